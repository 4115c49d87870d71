# expect: Q101 Q101
# before
from sqlalchemy import text

from app.models import User


async def by_name(db, name: str):
	return db.query(User).filter(User.name == name, User.id > 3).order_by(User.name, User.id).all()


async def by_sql(db):
	return db.query(User).filter(text("""
    name = 'x'
    AND id > 3
""")).order_by(User.name, User.id).all()
# after
from sqlalchemy import select, text

from app.models import User


async def by_name(db, name: str):
	return (
		await db.scalars(
			select(User).where(User.name == name, User.id > 3).order_by(User.name, User.id)
		)
	).all()


async def by_sql(db):
	return (
		await db.scalars(
			select(User)
			.where(text("""
    name = 'x'
    AND id > 3
"""))
			.order_by(User.name, User.id)
		)
	).all()
