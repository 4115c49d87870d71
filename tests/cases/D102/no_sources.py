# expect: D102 D102 S101 S101
# before
from fastapi import APIRouter

from app.core.service_registry import Container

router = APIRouter()


@router.get("/items")
async def get_items():
    db = Container.resolve("db_session")
    return db.scalars(select(Item)).all()


async def restock(item_id: int):
    db = Container.resolve("db_session")
    db.commit()
# after
from fastapi import APIRouter

from app.core.service_registry import Container

router = APIRouter()


@router.get("/items")
async def get_items():
    db = Container.resolve("db_session")
    return (await db.scalars(select(Item))).all()


async def restock(item_id: int):
    db = Container.resolve("db_session")
    await db.commit()
