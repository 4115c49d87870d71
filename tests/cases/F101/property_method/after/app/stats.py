from sqlalchemy.orm import Session


class Stats:
    def __init__(self, db: Session, user_id: str):
        self.db = db
        self.user_id = user_id

    @property
    def label(self) -> str:
        return f"stats of {self.user_id}"

    # One query per read.
    async def total(self) -> int:
        return await self.db.scalar("SELECT count(*) FROM jobs")

    async def per_user(self) -> float:
        return await self.total() / max(await self.total(), 1)
