from sqlalchemy.orm import Query, Session

from app.models import Job


def count_rows(query: Query) -> int:
    return query.count()


def first_of(query: Query):
    return query.first()


def by_user(query: Query, user: str) -> list:
    return query.filter_by(user=user).all()


def everything(query: Query) -> list:
    return query.all()


def never_called(query: Query) -> list:
    return query.all()


HANDLERS = {"first": first_of}


def columns(db: Session) -> int:
    return count_rows(db.query(Job.id, Job.user))


def newest(db: Session):
    return first_of(db.query(Job).order_by(Job.id.desc()))


def mine(db: Session) -> list:
    return by_user(db.query(Job), "me")


def given(db: Session, query) -> list:
    return everything(query)


def listed(db: Session) -> list:
    return everything(db.query(Job))
