import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)


async def safe(db: AsyncSession, status, table_name):
    log.info(f"selecting jobs where status is {status}")
    await db.execute(text("SELECT * FROM jobs WHERE status = :status"), {"status": status})
    message = "Deleted from " + table_name
    return message


async def also_safe(db: AsyncSession, ids):
    statement = "SELECT * FROM jobs WHERE id IN :ids"
    return await db.execute(text(statement), {"ids": tuple(ids)})
