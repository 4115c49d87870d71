# expect: E101
# before
from sqlalchemy import create_engine, text

# Four uses of the engine cannot be converted (engine-level execution, a dispose() in a lambda and at the
# script's top level, a connection handed on): the engine stays sync with all of them, and none of its
# other uses is touched, until they are converted by hand.
engine = create_engine("sqlite:///app.db")


def stays_sync():
    return lambda: engine.dispose()


async def legacy():
    return engine.execute(text("select 1")).scalar()


async def connection_passed_on():
    with engine.connect() as conn:
        return count_rows(conn)


async def shutdown():
    engine.dispose()


if __name__ == "__main__":
    engine.dispose()
