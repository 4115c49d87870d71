from sqlalchemy.orm import Session

from app.models import Group


class Owners:
    def __init__(self, db: Session, group_id: int):
        self.db = db
        self.group_id = group_id

    async def group(self) -> Group:
        return await self.db.get(Group, self.group_id)
