# expect: D101 D101 D101 D101 E102 S101 S101 S101 S101 S101 S101 S101
# before
from fastapi import APIRouter
from sqlalchemy.orm import Session, sessionmaker

from app.core.database import SessionLocal, engine, get_db

router = APIRouter()
ReportSession = sessionmaker(bind=engine)


@router.get("/jobs")
async def list_jobs(limit: int = 10):
    db = SessionLocal()
    try:
        return db.scalars(select(Job).limit(limit)).all()
    finally:
        db.close()


async def report():
    with ReportSession() as session:
        return session.scalar(count_jobs)


async def script():
    with Session(engine) as session:
        session.commit()


async def background(job_id):
    # the request's session is gone by now
    db = SessionLocal()
    try:
        job = db.get(Job, job_id)
        job.status = "done"
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()
    print(job.status)
    notify()
# after
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.database import SessionLocal, engine, get_db

router = APIRouter()
ReportSession = async_sessionmaker(engine, expire_on_commit=False)


@router.get("/jobs")
async def list_jobs(limit: int = 10, db: AsyncSession = Depends(get_db)):
    return (await db.scalars(select(Job).limit(limit))).all()


async def report():
    async with ReportSession() as session:
        return await session.scalar(count_jobs)


async def script():
    async with AsyncSession(engine) as session:
        await session.commit()


async def background(job_id):
    # the request's session is gone by now
    async with SessionLocal() as db:
        try:
            job = await db.get(Job, job_id)
            job.status = "done"
            await db.commit()
        except Exception:
            await db.rollback()
            raise
        print(job.status)
    notify()
