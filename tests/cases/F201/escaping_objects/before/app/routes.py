from fastapi import APIRouter

from app import services
from app.schemas import OrderOut

router = APIRouter()


@router.post("/orders/{order_id}/pay", response_model=OrderOut)
async def pay(order_id: int):
    return await services.pay(order_id)


@router.get("/orders/{order_id}/notes")
async def notes(order_id: int):
    order = await services.find(order_id)
    return [note.text for note in await order.awaitable_attrs.notes]
