# expect: F107 S102 S103
# before
from sqlalchemy.orm import Session


class Unit:
    def __init__(self, db: Session):
        with db.begin():
            pass
