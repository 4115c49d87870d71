# expect: D103 D103 S101 S101
# before
from fastapi import APIRouter

from app.core.database import get_db

router = APIRouter()


@router.get("/count")
async def count():
    db = next(get_db())
    return db.scalar(count_jobs)


async def main():
    db = next(get_db())
    print(db.scalar(count_jobs))
    return 0
# after
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import get_db

router = APIRouter()


@router.get("/count")
async def count(db: AsyncSession = Depends(get_db)):
    return await db.scalar(count_jobs)


async def main():
    async with asynccontextmanager(get_db)() as db:
        print(await db.scalar(count_jobs))
    return 0
