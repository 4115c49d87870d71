from app.users import add_user


def test_add_user(db):
    user = add_user(db, "bob")
    assert user.name == "bob"


def test_factory(make_user):
    assert make_user().name == "ann"


class TestUsers:
    def test_twice(self, make_user):
        make_user("a")
        assert make_user("b").name == "b"


def test_index(client):
    assert client.get("/").json() == {"ok": True}
