from sqlalchemy.orm import Session

from app.models import Project


def get(*, db_session: Session, project_id: int) -> Project | None:
    return db_session.query(Project).filter(Project.id == project_id).first()


def create(*, db_session: Session, name: str) -> Project:
    project = Project(name=name)
    db_session.add(project)
    db_session.commit()
    return project


def only_named(query, name: str):
    return query.filter(Project.name == name)
