from app.core.container import Container
from app.core.database import SessionLocal


def configure_services():
    Container.register_factory("db_session", lambda: SessionLocal())
