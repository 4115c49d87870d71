"""Delete what nobody needs: python scripts/purge.py."""

import sys

from scripts.sessions import open_session


def purge(db):
    db.execute("DELETE FROM jobs WHERE status = 'failed'")


def main() -> int:
    purge(open_session())
    return 0


if __name__ == "__main__":
    sys.exit(main())
