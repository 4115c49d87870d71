from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Base

Model = TypeVar("Model", bound=Base)


class Repository(Generic[Model]):
    """One repository class for every model: the model class is handed over at run time."""

    def __init__(self, session: Session, model: type[Model]) -> None:
        self.session = session
        self.model = model

    def create(self, data: dict) -> Model:
        item = self.model(session=self.session, **data)
        self.session.add(item)
        self.session.commit()
        self.session.refresh(item)
        return item

    def change(self, item_id: int, data: dict) -> Model:
        item = self._get(item_id)
        item.update(session=self.session, **data)
        self.session.commit()
        return item

    def _get(self, item_id: int) -> Model:
        return self.session.get(self.model, item_id)

    def _query(self):
        return select(self.model)

    def change_many(self, data: dict[int, dict]) -> list[Model]:
        query = self._query().where(self.model.id.in_(list(data)))
        items = self.session.execute(query).unique().scalars().all()
        for item in items:
            item.update(session=self.session, **data[item.id])
        self.session.commit()
        return items
