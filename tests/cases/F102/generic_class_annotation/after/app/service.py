from sqlalchemy.orm import Session

from app.factory import get_repositories


async def create_preferences(session: Session, data: dict):
    repos = get_repositories(session)
    return await repos.preferences.create(data)
