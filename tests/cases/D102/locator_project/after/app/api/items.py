from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import get_db
from app.models import Item
from app.services.items import rename_item

router = APIRouter()


@router.get("/items/{item_id}")
async def read_item(item_id: int, db: AsyncSession = Depends(get_db)):
    return await db.get(Item, item_id)


@router.post("/items/{item_id}/name")
async def rename(item_id: int, name: str):
    return {"id": await rename_item(item_id, name)}
