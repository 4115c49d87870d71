from sqlalchemy.orm import Session

from app.factory import get_repositories


def create_preferences(session: Session, data: dict):
    repos = get_repositories(session)
    return repos.preferences.create(data)
