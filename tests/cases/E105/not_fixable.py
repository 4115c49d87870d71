# expect: E105 E105 S101
# before
import logging

from app.core.database import SessionLocal

log = logging.getLogger(__name__)


def get_db():
    db = SessionLocal()
    log.debug("session opened")
    try:
        yield db
    finally:
        db.close()


def get_session():
    yield SessionLocal()
