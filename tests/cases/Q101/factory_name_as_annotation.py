# expect: F101 F101 Q101 S101
# before
from app.database import SessionLocal
from app.models import Activity


# Netflix/dispatch annotates its sessions with the factory's name (`db_session: SessionLocal`): read as the type
# of the factory's sessions, the parameter is a session like one annotated `Session`.
def get_all(*, db_session: SessionLocal) -> list[Activity]:
    return db_session.query(Activity).all()


def create(*, db_session: SessionLocal, activity: Activity) -> Activity:
    db_session.add(activity)
    db_session.commit()
    return activity
# after
from sqlalchemy import select

from app.database import SessionLocal
from app.models import Activity


# Netflix/dispatch annotates its sessions with the factory's name (`db_session: SessionLocal`): read as the type
# of the factory's sessions, the parameter is a session like one annotated `Session`.
async def get_all(*, db_session: SessionLocal) -> list[Activity]:
    return (await db_session.scalars(select(Activity))).all()


async def create(*, db_session: SessionLocal, activity: Activity) -> Activity:
    db_session.add(activity)
    await db_session.commit()
    return activity
