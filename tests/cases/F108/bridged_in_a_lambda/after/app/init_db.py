import logging

from sqlasync.compat import call_legacy

from app.db import session_context
from app.fixes import fix_names
from app.repos import rename_all

logger = logging.getLogger(__name__)


async def safe_try(func):
    try:
        await func()
    except Exception as e:
        logger.error(f"Error calling '{func.__name__}': {e}")


async def main():
    async with session_context() as session:
        await call_legacy(session, fix_names)
        await safe_try(lambda: call_legacy(session, fix_names))
        await safe_try(lambda: rename_all(session))
