# expect: D101 F107 F107 S101 S101 S101 S102 S103
# before
import sqlalchemy as sa
from sqlalchemy import orm

from alembic import op

revision = "a1"


def _duplicates(session: orm.Session) -> list:
    return list(session.execute(sa.text("select x from t group by x having count(*) > 1")))


# Alembic calls upgrade() without awaiting it, on the sync connection op.get_bind() hands it (the async
# env runs migrations through run_sync): the revision and its session stay sync, whatever else migrates.
def upgrade():
    bind = op.get_bind()
    session = orm.Session(bind=bind)
    with session:
        session.execute(sa.text("update t set x = 1"))
        _duplicates(session)
        session.commit()
