from pytest import fixture

from app.db import SessionLocal
from app.init_db import main

main()


@fixture
def db():
    with SessionLocal() as session:
        yield session
