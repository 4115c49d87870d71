from fastapi import APIRouter

from .database import engine
from .manage import describe, init_database

router = APIRouter()


@router.post("/init")
async def init():
    organization = await init_database(engine)
    return {"id": organization.id, "database": describe(engine)}
