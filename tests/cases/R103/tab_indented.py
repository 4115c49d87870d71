# expect: R103 R103
# before
import asyncpg
from app.db import SessionLocal


async def archive_drafts(pool: asyncpg.Pool, workspace_id: int, owner_id: int):
	return await pool.fetch(
		"UPDATE content SET status = 'archived' WHERE workspace_id = $1 AND owner_id = $2 RETURNING id",
		workspace_id,
		owner_id,
	)


async def count_content(pool: asyncpg.Pool, workspace_id: int) -> int:
	return await pool.fetchval("SELECT count(*) FROM content_items WHERE workspace_id = $1::int", workspace_id)
# after
import asyncpg
from sqlalchemy import text
from app.db import SessionLocal


async def archive_drafts(pool: asyncpg.Pool, workspace_id: int, owner_id: int):
	async with SessionLocal.begin() as db:
		return (
			(
				await db.execute(
					text(
						"UPDATE content SET status = 'archived' WHERE workspace_id = :workspace_id AND owner_id = :owner_id"
						" RETURNING id"
					),
					{"workspace_id": workspace_id, "owner_id": owner_id},
				)
			)
			.mappings()
			.all()
		)


async def count_content(pool: asyncpg.Pool, workspace_id: int) -> int:
	async with SessionLocal.begin() as db:
		return (await db.execute(
			text("SELECT count(*) FROM content_items WHERE workspace_id = CAST(:workspace_id AS int)"),
			{"workspace_id": workspace_id},
		)).scalar()
