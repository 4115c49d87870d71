from sqlasync.compat import call_legacy

from app.db import session_context
from app.fixes import fix_names


async def main():
    async with session_context() as session:
        await call_legacy(session, fix_names)
