# expect: D104 D104 D104
# before
from app.core.database import SessionLocal
from app.core.service_registry import Container


def bootstrap():
    Container.register_factory("db_session", lambda: SessionLocal())
    Container.register_factory("mailer", lambda: object())


def only_sessions():
    # sessions for everyone
    Container.register_factory("db_session", SessionLocal)


registered = Container.register_factory("db_session", SessionLocal) or True
# after
from app.core.database import SessionLocal
from app.core.service_registry import Container


def bootstrap():
    # Database sessions no longer come from the Container: request handlers take `db: AsyncSession =
    # Depends(get_db)`, other code opens `async with SessionLocal() as db:`.
    Container.register_factory("mailer", lambda: object())


def only_sessions():
    # sessions for everyone
    # Database sessions no longer come from the Container: request handlers take `db: AsyncSession =
    # Depends(get_db)`, other code opens `async with SessionLocal() as db:`.
    pass


registered = Container.register_factory("db_session", SessionLocal) or True
