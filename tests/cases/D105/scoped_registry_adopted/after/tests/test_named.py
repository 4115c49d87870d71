import pytest

from app.models import Project
from app.service import get, only_named


@pytest.mark.anyio
async def test_get_named(session, project):
    assert (
        await get(db_session=session, project_id=project.id)
        in only_named(session.sync_session.query(Project), project.name).all()
    )
