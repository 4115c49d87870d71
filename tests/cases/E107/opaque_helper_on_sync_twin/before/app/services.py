from .models import Organization


def get_by_name(*, db_session, name: str):
    return db_session.query(Organization).filter(Organization.name == name).one_or_none()
