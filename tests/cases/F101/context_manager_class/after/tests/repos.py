from sqlalchemy.orm import Session


class Units:
    def __init__(self, session: Session):
        self.session = session

    async def create(self, item):
        self.session.add(item)
        await self.session.commit()
        return item

    async def delete(self, item):
        await self.session.delete(item)
        await self.session.commit()
