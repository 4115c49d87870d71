from typing import Generic, TypeVar

from sqlalchemy.orm import Session

Schema = TypeVar("Schema")


class Repository(Generic[Schema]):
    def __init__(self, session: Session, model: type):
        self.session = session
        self.model = model

    def create(self, data: dict):
        item = self.model(**data)
        self.session.add(item)
        self.session.commit()
        return item
