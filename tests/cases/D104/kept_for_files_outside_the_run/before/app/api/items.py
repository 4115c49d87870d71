from fastapi import APIRouter

from app.core.container import Container
from app.models import Item
from app.services.items import rename_item

router = APIRouter()


@router.get("/items/{item_id}")
def read_item(item_id: int):
    db = Container.resolve("db_session")
    return db.get(Item, item_id)


@router.post("/items/{item_id}/name")
def rename(item_id: int, name: str):
    return {"id": rename_item(item_id, name)}
