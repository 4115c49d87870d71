# expect: E101
# before
from alembic import script
from alembic.runtime import migration
from sqlalchemy import create_engine


# An engine built and used inside one function (Alembic's MigrationContext needs a sync connection)
# stays sync with its uses; a function that returns, yields or publishes its engine is a factory.
def db_is_at_head(url, alembic_cfg) -> bool:
    connectable = create_engine(url)
    directory = script.ScriptDirectory.from_config(alembic_cfg)
    with connectable.begin() as connection:
        context = migration.MigrationContext.configure(connection)
        return set(context.get_current_heads()) == set(directory.get_heads())
