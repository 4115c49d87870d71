# expect: D101 D101 D101 D101 S101 S101 S101 S101 S101 S102
# before
from fastapi import APIRouter
from sqlalchemy.orm import Session

from app.core.database import SessionLocal, engine, get_db

router = APIRouter()


@router.get("/a")
async def annotated_binding():
    db: Session = SessionLocal()
    try:
        return db.get(Job, 1)
    finally:
        db.close()
        audit("closed")


async def explicit_engine():
    db = Session(engine)
    db.execute(stmt)
    db.close()


async def two_sessions():
    source = SessionLocal()
    target = SessionLocal()
    rows = source.scalars(stmt).all()
    target.add_all(rows)
    target.commit()
    source.close()
    target.close()
# after
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import SessionLocal, engine, get_db

router = APIRouter()


@router.get("/a")
async def annotated_binding(db: AsyncSession = Depends(get_db)):
    try:
        return await db.get(Job, 1)
    finally:
        audit("closed")


async def explicit_engine():
    async with AsyncSession(engine) as db:
        await db.execute(stmt)


async def two_sessions():
    async with SessionLocal() as source:
        async with SessionLocal() as target:
            rows = (await source.scalars(stmt)).all()
            target.add_all(rows)
            await target.commit()
