import pytest
from sqlalchemy import func, select

from app.models import Project
from app.service import create, get


@pytest.mark.anyio
async def test_get(session, project):
    assert (await get(db_session=session, project_id=project.id)).name == project.name


@pytest.mark.anyio
async def test_create(session):
    assert (await create(db_session=session, name="made")).id is not None


@pytest.mark.anyio
async def test_count(session, project):
    assert await session.scalar(select(func.count()).select_from(Project)) >= 1
