# expect: S101 S101 S102 S103
# target: sync
# before
from sqlalchemy.orm import Session


def save(db: Session, job):
    with db.begin():
        db.add(job)
    db.commit()
    db.refresh(job)
