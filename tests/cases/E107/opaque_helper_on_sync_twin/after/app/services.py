from sqlalchemy import select

from .models import Organization


async def get_by_name(*, db_session, name: str):
    return (
        await db_session.scalars(select(Organization).where(Organization.name == name))
    ).one_or_none()
