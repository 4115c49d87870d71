from app.core.database import SessionLocal
from app.models import Item


async def rename_item(item_id, name):
    async with SessionLocal() as db:
        item = await db.get(Item, item_id)
        item.name = name
        await db.commit()
        return item.id
