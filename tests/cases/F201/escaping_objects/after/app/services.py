from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db import SessionLocal
from app.models import Order


async def pay(order_id: int) -> Order:
    async with SessionLocal() as db:
        order = await db.get(Order, order_id)
        order.status = "paid"
        await db.commit()
        await db.refresh(order)
        await db.refresh(order, ["lines", "notes"])
        return order


async def create(user_id: int) -> Order:
    async with SessionLocal() as db:
        order = Order(user_id=user_id)
        db.add(order)
        await db.commit()
        await db.refresh(order, ["lines", "notes"])
    return order


async def find(order_id: int) -> Order:
    async with SessionLocal() as db:
        order = await db.get(Order, order_id)
        await db.refresh(order, ["lines", "notes"])
        return order


async def recent() -> list[Order]:
    async with SessionLocal() as db:
        return (
            await db.scalars(
                select(Order)
                .options(selectinload(Order.lines), selectinload(Order.notes))
                .order_by(Order.id.desc())
                .limit(5)
            )
        ).all()


async def for_user(db: AsyncSession, user_id: int) -> list[Order]:
    return (
        await db.scalars(
            select(Order)
            .options(selectinload(Order.lines))
            .where(Order.user_id == user_id)
        )
    ).all()


async def count(db: AsyncSession) -> int:
    orders = (await db.scalars(select(Order))).all()
    return len(orders)


async def reopen(order_id: int, fresh: bool) -> Order:
    async with SessionLocal() as db:
        await db.commit()
        if fresh:
            order = await db.get(Order, order_id)
            await db.refresh(order, ["lines", "notes"])
            return order
        order = await db.get(Order, order_id)
        await db.refresh(order, ["lines", "notes"])
    return order


async def on_one_line(order_id: int, fresh: bool) -> Order | None:
    async with SessionLocal() as db:
        order = await db.get(Order, order_id)
        if fresh: return order
    return None
