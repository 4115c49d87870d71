import pytest

from app.users import add_user


@pytest.mark.anyio
async def test_add_user(db):
    user = await add_user(db, "bob")
    assert user.name == "bob"


@pytest.mark.anyio
async def test_factory(make_user):
    assert (await make_user()).name == "ann"


class TestUsers:
    @pytest.mark.anyio
    async def test_twice(self, make_user):
        await make_user("a")
        assert (await make_user("b")).name == "b"


def test_index(client):
    assert client.get("/").json() == {"ok": True}
