from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlasync.compat import call_legacy

from app.models import Base

Model = TypeVar("Model", bound=Base)


class Repository(Generic[Model]):
    """One repository class for every model: the model class is handed over at run time."""

    def __init__(self, session: AsyncSession, model: type[Model]) -> None:
        self.session = session
        self.model = model

    async def create(self, data: dict) -> Model:
        item = await call_legacy(self.session, self.model, session=self.session, **data)
        self.session.add(item)
        await self.session.commit()
        await self.session.refresh(item)
        return item

    async def change(self, item_id: int, data: dict) -> Model:
        item = await self._get(item_id)
        await call_legacy(self.session, item.update, session=self.session, **data)
        await self.session.commit()
        return item

    async def _get(self, item_id: int) -> Model:
        return await self.session.get(self.model, item_id)

    def _query(self):
        return select(self.model)

    async def change_many(self, data: dict[int, dict]) -> list[Model]:
        query = self._query().where(self.model.id.in_(list(data)))
        items = (await self.session.execute(query)).unique().scalars().all()
        for item in items:
            await call_legacy(
                self.session, item.update, session=self.session, **data[item.id]
            )
        await self.session.commit()
        return items
