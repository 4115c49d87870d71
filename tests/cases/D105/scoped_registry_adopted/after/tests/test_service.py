import pytest
from sqlalchemy import func, select

from app.models import Project
from app.service import create, get, only_named


@pytest.mark.anyio
async def test_get(session, project):
    assert (await get(db_session=session, project_id=project.id)).name == project.name


@pytest.mark.anyio
async def test_create(session):
    assert (await create(db_session=session, name="made")).id is not None


@pytest.mark.anyio
async def test_count(session, project):
    assert await session.scalar(select(func.count()).select_from(Project)) >= 1


def test_only_named(session, project):
    sync_session = session.sync_session
    assert only_named(sync_session.query(Project), project.name).one().id == project.id
