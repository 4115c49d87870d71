# expect: S102 S103
# before
from sqlalchemy.orm import Session


# The dependency opened the session; entering it closes it at the end of the block.
async def startup_info(session: Session):
    with session as db:
        db.add(Marker())
# after
from sqlalchemy.ext.asyncio import AsyncSession


# The dependency opened the session; entering it closes it at the end of the block.
async def startup_info(session: AsyncSession):
    async with session as db:
        db.add(Marker())
