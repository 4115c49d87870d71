# expect: D101 F107 S101
# before
from contextlib import ExitStack, contextmanager

from app.database import SessionLocal


@contextmanager
def session_context():
    session = SessionLocal()
    try:
        yield session
    finally:
        session.close()


def enter_session(stack: ExitStack):
    return stack.enter_context(session_context())
