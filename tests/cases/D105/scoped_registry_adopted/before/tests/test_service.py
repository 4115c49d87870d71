from app.models import Project
from app.service import create, get, only_named


def test_get(session, project):
    assert get(db_session=session, project_id=project.id).name == project.name


def test_create(session):
    assert create(db_session=session, name="made").id is not None


def test_count(session, project):
    assert session.query(Project).count() >= 1


def test_only_named(session, project):
    assert only_named(session.query(Project), project.name).one().id == project.id
