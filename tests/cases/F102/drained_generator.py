# expect: F101 F101 F102 F102 F102 S101 S102 S102
# before
from sqlalchemy.orm import Session


def create(db: Session, name: str) -> str:
    db.commit()
    return name


# A generator expression unpacked or drained by a builtin on the spot becomes a list comprehension that
# awaits in order (one handed to `any()`, which stops early, or kept for later could not await).
def create_all(db: Session, names: list[str]):
    first, second = (create(db, name) for name in names[:2])
    total = sum(len(create(db, name)) for name in names)
    ordered = sorted((create(db, name) for name in names), key=len)
    return first, second, total, ordered
# after
from sqlalchemy.ext.asyncio import AsyncSession


async def create(db: AsyncSession, name: str) -> str:
    await db.commit()
    return name


# A generator expression unpacked or drained by a builtin on the spot becomes a list comprehension that
# awaits in order (one handed to `any()`, which stops early, or kept for later could not await).
async def create_all(db: AsyncSession, names: list[str]):
    first, second = [await create(db, name) for name in names[:2]]
    total = sum([len(await create(db, name)) for name in names])
    ordered = sorted([await create(db, name) for name in names], key=len)
    return first, second, total, ordered
