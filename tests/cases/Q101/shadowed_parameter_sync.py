# expect: Q101 Q101 Q101 Q101 Q101 S102 S102 S102 S102
# target: sync
# A query variable that shadows a parameter (redash's QueryResult.get_latest(cls, data_source, query, ...)):
# the parameter is read only before the first statement that binds the query, and that statement binds it on
# every path (if/else), so every later read sees a query and the flow converts. Bound on one branch only, read in
# the binding statement itself, or read as a truth value: left, with the reason.
# before
from sqlalchemy.orm import Session

from app.models import Result


def latest(session: Session, query, max_age):
    query_hash = hash(query)
    if max_age == -1:
        query = session.query(Result).filter(Result.query_hash == query_hash)
    else:
        query = session.query(Result).filter(Result.query_hash == query_hash, Result.age < max_age)
    return query.order_by(Result.id.desc()).first()


def read_after(session: Session, query):
    query = session.query(Result)
    if query:
        pass
    return query.all()


def only_one_branch(session: Session, query, flag):
    if flag:
        query = session.query(Result)
    return query.all()


def read_in_the_binding(session: Session, query):
    query = session.query(Result).filter(Result.name == query)
    return query.all()
# after
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Result


def latest(session: Session, query, max_age):
    query_hash = hash(query)
    if max_age == -1:
        query = select(Result).where(Result.query_hash == query_hash)
    else:
        query = select(Result).where(Result.query_hash == query_hash, Result.age < max_age)
    return session.scalars(query.order_by(Result.id.desc()).limit(1)).first()


def read_after(session: Session, query):
    query = session.query(Result)
    if query:
        pass
    return query.all()


def only_one_branch(session: Session, query, flag):
    if flag:
        query = session.query(Result)
    return query.all()


def read_in_the_binding(session: Session, query):
    query = session.query(Result).filter(Result.name == query)
    return query.all()
