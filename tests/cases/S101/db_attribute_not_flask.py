# expect: F101 F101 S101 S101
# before
"""A `db` that is not an import (a parameter, an attribute of `self`) proves nothing about Flask-SQLAlchemy:
its `.session` is an ordinary session, awaited once the function is async."""


def rename(store, user, name):
    user.name = name
    store.db.session.commit()


class Repository:
    def __init__(self, db):
        self.db = db

    def save(self, user):
        self.db.session.add(user)
        self.db.session.commit()
# after
"""A `db` that is not an import (a parameter, an attribute of `self`) proves nothing about Flask-SQLAlchemy:
its `.session` is an ordinary session, awaited once the function is async."""


async def rename(store, user, name):
    user.name = name
    await store.db.session.commit()


class Repository:
    def __init__(self, db):
        self.db = db

    async def save(self, user):
        self.db.session.add(user)
        await self.db.session.commit()
