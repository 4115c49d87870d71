from app.models import Project
from app.service import get, only_named


def test_get_named(session, project):
    assert get(db_session=session, project_id=project.id) in only_named(session.query(Project), project.name).all()
