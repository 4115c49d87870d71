# expect: F101 F101 F101 F102 F102 S101 S102 S102
# before
from sqlalchemy import text
from sqlalchemy.orm import Session


class Migrator:
    def __init__(self, session: Session):
        self.session = session

    def migrate(self, name: str) -> int:
        return self.session.execute(text("SELECT 1")).scalar_one()


class Nextcloud(Migrator):
    pass


# A mapping's values are what its annotation says: `.get()` and `[key]` give one of them.
def start(session: Session, kind: str) -> int:
    table: dict[str, type[Migrator]] = {"nextcloud": Nextcloud}
    constructor = table.get(kind, None)
    migrator = constructor(session)
    return migrator.migrate(kind)


def by_key(migrators: dict[str, Migrator]) -> int:
    return migrators["a"].migrate("a")


# A loop over a mapping runs over its keys: nothing to await.
def names(migrators: dict[str, Migrator]) -> list:
    return [key.upper() for key in migrators]
# after
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Migrator:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def migrate(self, name: str) -> int:
        return (await self.session.execute(text("SELECT 1"))).scalar_one()


class Nextcloud(Migrator):
    pass


# A mapping's values are what its annotation says: `.get()` and `[key]` give one of them.
async def start(session: AsyncSession, kind: str) -> int:
    table: dict[str, type[Migrator]] = {"nextcloud": Nextcloud}
    constructor = table.get(kind, None)
    migrator = constructor(session)
    return await migrator.migrate(kind)


async def by_key(migrators: dict[str, Migrator]) -> int:
    return await migrators["a"].migrate("a")


# A loop over a mapping runs over its keys: nothing to await.
def names(migrators: dict[str, Migrator]) -> list:
    return [key.upper() for key in migrators]
