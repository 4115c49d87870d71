"""Delete what nobody needs: python scripts/purge.py."""

import asyncio
import sys

from scripts.sessions import open_session


async def purge(db):
    await db.execute("DELETE FROM jobs WHERE status = 'failed'")


async def main() -> int:
    await purge(open_session())
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
