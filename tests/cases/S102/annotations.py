# expect: S102 S102 S102
# before
from typing import Optional

import sqlalchemy.orm as orm
from sqlalchemy.orm import Session


def one(db: Session) -> None: ...


def two(db: Optional[Session] = None) -> None: ...


def three(db: "orm.Session") -> None: ...
