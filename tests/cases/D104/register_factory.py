# expect: D104
# before
from app.core.database import SessionLocal
from app.core.service_registry import Container


def bootstrap():
    Container.register_factory("db_session", lambda: SessionLocal())
    Container.register_factory("mailer", lambda: object())
