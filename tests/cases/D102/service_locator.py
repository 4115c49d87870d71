# expect: D102 D102 D102 S101 S101 S101
# before
from fastapi import APIRouter

from app.core.database import SessionLocal, get_db
from app.core.service_registry import Container

router = APIRouter()


@router.get("/items")
async def get_items():
    db = Container.resolve("db_session")
    return db.scalars(select(Item)).all()


async def restock(item_id: int, quantity: int):
    db = Container.resolve("db_session")
    item = db.get(Item, item_id)
    item.stock += quantity
    db.commit()
    return item


class OrderService:
    def __init__(self, container):
        self.container = container

    def session(self):
        return self.container.resolve("db_session")


def unrelated():
    return Container.resolve("mailer")
# after
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import SessionLocal, get_db
from app.core.service_registry import Container

router = APIRouter()


@router.get("/items")
async def get_items(db: AsyncSession = Depends(get_db)):
    return (await db.scalars(select(Item))).all()


async def restock(item_id: int, quantity: int):
    async with SessionLocal() as db:
        item = await db.get(Item, item_id)
        item.stock += quantity
        await db.commit()
        return item


class OrderService:
    def __init__(self, container):
        self.container = container

    def session(self):
        return self.container.resolve("db_session")


def unrelated():
    return Container.resolve("mailer")
