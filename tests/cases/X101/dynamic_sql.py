# expect: R103 R103 S101 S101 S102 S102 X101 X101 X101 X101
# before
import asyncpg
from sqlalchemy import text
from sqlalchemy.orm import Session


async def by_status(conn: asyncpg.Connection, status: str):
    return await conn.fetch(f"SELECT * FROM jobs WHERE status = '{status}'")


def by_owner(db: Session, owner: str):
    return db.execute(text("SELECT * FROM jobs WHERE owner = '%s'" % owner))


def by_table(db: Session, table: str):
    sql = "SELECT count(*) FROM " + table + " WHERE deleted = 0"
    return db.execute(text(sql))


async def formatted(conn: asyncpg.Connection, name: str):
    return await conn.fetch("DELETE FROM tags WHERE name = '{}'".format(name))
