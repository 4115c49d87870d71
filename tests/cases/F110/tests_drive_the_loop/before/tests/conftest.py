import asyncio

import pytest

from app.jobs import add_job, clear_jobs


@pytest.fixture(scope="session")
def run():
    """One loop for the whole session, driving the async code from sync tests."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


@pytest.fixture
def first_job(run) -> int:
    job_id = run(add_job("first"))
    yield job_id
    run(clear_jobs())
