from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateSchema

from .database import Base, sessionmaker
from .models import Organization
from .search import sync_trigger
from .services import get_by_name


def install_triggers(connection: Connection, schema: str) -> None:
    """Runs as it is on the sync face of the async connection."""
    connection.execute(text(f"set search_path to {schema}"))
    connection.execute(text("create or replace function touch() returns trigger as $$ begin return new; end $$"))


def setup_search(connection: Connection, tables: list[str]) -> None:
    """Hands the connection to code of another module, written for the sync driver."""
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    for table in tables:
        sync_trigger(connection, table, "search_vector")


def init_database(engine: Engine, schema: str = "core"):
    """Creates the schema, its triggers and the default organization."""
    with engine.begin() as connection:
        connection.execute(CreateSchema(schema, if_not_exists=True))
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        install_triggers(connection, schema=schema)
    with engine.connect() as connection:
        setup_search(connection, sorted(Base.metadata.tables))
        connection.commit()
    session = sessionmaker(bind=engine)
    db_session = session()
    organization = get_by_name(db_session=db_session, name="default")
    if not organization:
        organization = Organization(name="default")
        db_session.add(organization)
        db_session.commit()
    return organization


def describe(engine: Engine) -> str:
    """No I/O through the engine: stays sync, and keeps its annotation (`url` is the same on both engines)."""
    return engine.url.render_as_string(hide_password=True)
