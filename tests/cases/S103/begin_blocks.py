# expect: S102 S103 S103
# before
from sqlalchemy.orm import Session


def transfer(db: Session, job):
    with db.begin():
        db.add(job)
    with db.begin_nested():
        db.add(job)
