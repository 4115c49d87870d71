# expect: F107 S101 S101 S102 S102 S102 S102
# before
from functools import lru_cache

from sqlalchemy.orm import Session

from app.decorators import background_task
from app.models import Contact

ACTIVE: dict[int, Session] = {}


def track(session: Session) -> int:
    ACTIVE[id(session)] = session
    return id(session)


@lru_cache(maxsize=100)
def contact_details(plugin, email: str, db_session: Session):
    return plugin.lookup(email, db_session=db_session)


@background_task
def add_contact(*, db_session: Session, plugin, email: str) -> Contact:
    track(db_session)
    details = contact_details(plugin, email, db_session)
    contact = Contact(email=email, name=details.get("name", email))
    db_session.add(contact)
    db_session.commit()
    return contact


async def rename_contact(db_session: Session, contact: Contact, name: str) -> None:
    track(db_session)
    contact.name = name
    db_session.commit()
# after
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.decorators import background_task
from app.models import Contact

ACTIVE: dict[int, Session] = {}


def track(session: AsyncSession | Session) -> int:
    ACTIVE[id(session)] = session
    return id(session)


@lru_cache(maxsize=100)
def contact_details(plugin, email: str, db_session: Session):
    return plugin.lookup(email, db_session=db_session)


@background_task
def add_contact(*, db_session: Session, plugin, email: str) -> Contact:
    track(db_session)
    details = contact_details(plugin, email, db_session)
    contact = Contact(email=email, name=details.get("name", email))
    db_session.add(contact)
    db_session.commit()
    return contact


async def rename_contact(db_session: AsyncSession, contact: Contact, name: str) -> None:
    track(db_session)
    contact.name = name
    await db_session.commit()
