"""Fixtures asked for by name where nothing needs the event loop: F113 stays quiet.

`settings` and `api_token` are sync all the way down, so `getfixturevalue` can set them up at any time; the test
that asks for them does no session I/O and stays sync; `config.getfixturevalue` on something that is not pytest's
request in a plain function is not a test at all."""

import pytest


@pytest.fixture
def settings():
    return {"page_size": 10}


@pytest.fixture
def api_token(settings):
    return f"token-{settings['page_size']}"


def test_token_by_name(request):
    assert request.getfixturevalue("api_token") == "token-10"
    assert request.getfixturevalue("settings")["page_size"] == 10


def lookup(config, name):
    return config.getfixturevalue(name)
