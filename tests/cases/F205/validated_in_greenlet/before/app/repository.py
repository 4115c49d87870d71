from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Group
from app.schemas import GroupOut


class Repository:
    """Generic: the model and the schema are chosen by whoever builds it."""

    def __init__(self, session: Session, model: type, schema: type):
        self.session = session
        self.model = model
        self.schema = schema

    def create(self, data: dict):
        item = self.model(**data)
        self.session.add(item)
        self.session.commit()
        self.session.refresh(item)
        return self.schema.model_validate(item)

    def create_many(self, data: list[dict]):
        items = []
        for document in data:
            items.append(self.model(**document))
        self.session.add_all(items)
        self.session.commit()
        return [self.schema.model_validate(item) for item in items]

    def rename_all(self, names: dict[int, str]):
        renamed = []
        for row in self.session.execute(select(self.model).where(self.model.id.in_(list(names)))).scalars():
            row.name = names[row.id]
            renamed.append(row)
        self.session.commit()
        return [self.schema.model_validate(row) for row in renamed]

    def many(self, ids: list[int]):
        rows = self.session.execute(select(self.model).where(self.model.id.in_(ids))).scalars().all()
        return [self.schema.model_validate(row) for row in rows]

    def names(self, ids: list[int]):
        rows = self.session.execute(select(self.model).where(self.model.id.in_(ids))).scalars().all()
        return {self.schema.model_validate(row).name for row in rows if row is not None}

    def _one(self, item_id: int) -> Group:
        return self.session.execute(select(Group).where(Group.id == item_id)).scalars().one()

    def patch(self, item_id: int, data: dict):
        # Loaded by another method: the session the class's methods use runs the validation.
        entry = self._one(item_id)
        merged = self.schema.model_validate(entry).model_dump()
        merged.update(data)
        return merged

    def from_request(self, body: dict):
        # A dict is no ORM object: nothing to load, nothing to change.
        return self.schema.model_validate(body)


def group_out(session: Session, group_id: int) -> GroupOut:
    group = session.get(Group, group_id)
    return GroupOut.model_validate(group)


def lazy_count(session: Session, group_id: int) -> int:
    group = session.get(Group, group_id)
    return sum(1 for user in group.users if GroupOut.model_validate(user.group).id)
