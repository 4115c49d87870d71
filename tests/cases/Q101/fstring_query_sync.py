# expect: Q101 S102
# target: sync
# before
"""A query inside an f-string's replacement field is written on one line, however long: before Python 3.12 a
line break there is a syntax error."""
from sqlalchemy.orm import Session

from app.models import Invoice


def summary(db: Session, customer_id: int) -> str:
    return f"{db.query(Invoice).filter(Invoice.customer_id == customer_id, Invoice.paid.is_(False)).count()} open invoice(s)"
# after
"""A query inside an f-string's replacement field is written on one line, however long: before Python 3.12 a
line break there is a syntax error."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Invoice


def summary(db: Session, customer_id: int) -> str:
    return (
        f"{db.scalar(select(func.count()).select_from(Invoice).where(Invoice.customer_id == customer_id, Invoice.paid.is_(False)))}"
        " open invoice(s)"
    )
