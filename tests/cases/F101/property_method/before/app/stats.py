from sqlalchemy.orm import Session


class Stats:
    def __init__(self, db: Session, user_id: str):
        self.db = db
        self.user_id = user_id

    @property
    def label(self) -> str:
        return f"stats of {self.user_id}"

    # One query per read.
    @property
    def total(self) -> int:
        return self.db.scalar("SELECT count(*) FROM jobs")

    @property
    def per_user(self) -> float:
        return self.total / max(self.total, 1)
