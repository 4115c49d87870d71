from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Job


class Report:
    def __init__(self, db: Session, user: str | None):
        self.db = db
        self.user = user

    def _jobs(self):
        query = select(Job)
        if self.user is not None:
            query = query.where(Job.user == self.user)
        return query

    async def count(self) -> int:
        return await self.db.scalar(
            select(func.count()).select_from(self._jobs().subquery())
        )

    async def newest(self) -> list:
        # Newest first.
        return (
            await self.db.scalars(self._jobs().order_by(Job.id.desc()).limit(3))
        ).all()


class Unsafe:
    def __init__(self, db: Session):
        self.db = db

    def _jobs(self):
        return self.db.query(Job).filter(Job.user == "x")

    def escaped(self):
        return self._jobs()

    def count(self) -> int:
        return self._jobs().count()
