# expect: S102 S102 S102 S102 S102 S102 S102
# before
from typing import Annotated, Optional

import sqlalchemy.orm as orm
from fastapi import Depends
from sqlalchemy.orm import Session, scoped_session

from app.core.database import get_db

SessionDep = Annotated[Session, Depends(get_db)]


def one(db: Session) -> None: ...


def two(db: Optional[Session] = None) -> Session: ...


def three(db: "orm.Session") -> None: ...


def four(registry: scoped_session, db: Session | None = None) -> None: ...
# after
from typing import Annotated, Optional

import sqlalchemy.orm as orm
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_scoped_session

from app.core.database import get_db

SessionDep = Annotated[AsyncSession, Depends(get_db)]


def one(db: AsyncSession) -> None: ...


def two(db: Optional[AsyncSession] = None) -> AsyncSession: ...


def three(db: "AsyncSession") -> None: ...


def four(registry: async_scoped_session, db: AsyncSession | None = None) -> None: ...
