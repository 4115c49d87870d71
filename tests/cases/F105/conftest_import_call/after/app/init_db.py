from app.db import SessionLocal
from app.services import ping


async def main():
    async with SessionLocal() as session:
        await ping(session)
