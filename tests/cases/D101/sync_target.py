# expect: D101 D101 S101 S101 S101 S101 S101
# target: sync
# before
from fastapi import APIRouter

from app.core.database import SessionLocal, get_db

router = APIRouter()


@router.get("/jobs")
def list_jobs():
    db = SessionLocal()
    try:
        return db.scalars(select(Job)).all()
    finally:
        db.close()


def script():
    db = SessionLocal()
    db.commit()
    db.close()


def already_closed():
    with SessionLocal() as db:
        db.commit()
# after
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.core.database import SessionLocal, get_db

router = APIRouter()


@router.get("/jobs")
def list_jobs(db: Session = Depends(get_db)):
    return db.scalars(select(Job)).all()


def script():
    with SessionLocal() as db:
        db.commit()


def already_closed():
    with SessionLocal() as db:
        db.commit()
