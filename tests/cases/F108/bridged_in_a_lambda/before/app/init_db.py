import logging

from app.db import session_context
from app.fixes import fix_names
from app.repos import rename_all

logger = logging.getLogger(__name__)


def safe_try(func):
    try:
        func()
    except Exception as e:
        logger.error(f"Error calling '{func.__name__}': {e}")


def main():
    with session_context() as session:
        fix_names(session)
        safe_try(lambda: fix_names(session))
        safe_try(lambda: rename_all(session))
