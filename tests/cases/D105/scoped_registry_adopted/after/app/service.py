from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project


async def get(*, db_session: AsyncSession, project_id: int) -> Project | None:
    return (
        await db_session.scalars(
            select(Project).where(Project.id == project_id).limit(1)
        )
    ).first()


async def create(*, db_session: AsyncSession, name: str) -> Project:
    project = Project(name=name)
    db_session.add(project)
    await db_session.commit()
    return project


def only_named(query, name: str):
    return query.filter(Project.name == name)
