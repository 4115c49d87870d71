from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Food


async def merge_foods(db: AsyncSession, into_id: int, other_id: int) -> Food:
    into = await db.get(Food, into_id)
    other = await db.get(Food, other_id)
    # every ingredient of the other food moves over
    await into.awaitable_attrs.ingredients
    into.ingredients += await other.awaitable_attrs.ingredients
    await db.delete(other)
    await db.commit()
    return into
