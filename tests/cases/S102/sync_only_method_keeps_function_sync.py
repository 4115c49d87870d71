# expect: F101 S101 S101 S102 S102
# before
from sqlalchemy.orm import Session

from app.models import Participant


def create_all(*, db_session: Session, participants_in: list) -> list:
    participants = [Participant(**p) for p in participants_in]
    db_session.bulk_save_objects(participants)
    db_session.commit()
    return participants


def rename(db_session: Session, participant, name):
    participant.name = name
    db_session.commit()
# after
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.models import Participant


def create_all(*, db_session: Session, participants_in: list) -> list:
    participants = [Participant(**p) for p in participants_in]
    db_session.bulk_save_objects(participants)
    db_session.commit()
    return participants


async def rename(db_session: AsyncSession, participant, name):
    participant.name = name
    await db_session.commit()
