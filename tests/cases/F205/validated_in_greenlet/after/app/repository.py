from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models import Group
from app.schemas import GroupOut


class Repository:
    """Generic: the model and the schema are chosen by whoever builds it."""

    def __init__(self, session: AsyncSession, model: type, schema: type):
        self.session = session
        self.model = model
        self.schema = schema

    async def create(self, data: dict):
        item = self.model(**data)
        self.session.add(item)
        await self.session.commit()
        await self.session.refresh(item)
        return await self.session.run_sync(lambda _: self.schema.model_validate(item))

    async def create_many(self, data: list[dict]):
        items = []
        for document in data:
            items.append(self.model(**document))
        self.session.add_all(items)
        await self.session.commit()
        return await self.session.run_sync(
            lambda _: [self.schema.model_validate(item) for item in items]
        )

    async def rename_all(self, names: dict[int, str]):
        renamed = []
        for row in (
            await self.session.execute(
                select(self.model).where(self.model.id.in_(list(names)))
            )
        ).scalars():
            row.name = names[row.id]
            renamed.append(row)
        await self.session.commit()
        return await self.session.run_sync(
            lambda _: [self.schema.model_validate(row) for row in renamed]
        )

    async def many(self, ids: list[int]):
        rows = (
            (
                await self.session.execute(
                    select(self.model).where(self.model.id.in_(ids))
                )
            )
            .scalars()
            .all()
        )
        return await self.session.run_sync(
            lambda _: [self.schema.model_validate(row) for row in rows]
        )

    async def names(self, ids: list[int]):
        rows = (
            (
                await self.session.execute(
                    select(self.model).where(self.model.id.in_(ids))
                )
            )
            .scalars()
            .all()
        )
        return await self.session.run_sync(
            lambda _: {
                self.schema.model_validate(row).name for row in rows if row is not None
            }
        )

    async def _one(self, item_id: int) -> Group:
        return (
            (
                await self.session.execute(
                    select(Group)
                    .options(selectinload(Group.users))
                    .where(Group.id == item_id)
                )
            )
            .scalars()
            .one()
        )

    async def patch(self, item_id: int, data: dict):
        # Loaded by another method: the session the class's methods use runs the validation.
        entry = await self._one(item_id)
        merged = (
            await self.session.run_sync(lambda _: self.schema.model_validate(entry))
        ).model_dump()
        merged.update(data)
        return merged

    def from_request(self, body: dict):
        # A dict is no ORM object: nothing to load, nothing to change.
        return self.schema.model_validate(body)


async def group_out(session: AsyncSession, group_id: int) -> GroupOut:
    group = await session.get(Group, group_id)
    return await session.run_sync(lambda _: GroupOut.model_validate(group))


async def lazy_count(session: AsyncSession, group_id: int) -> int:
    group = await session.get(Group, group_id)
    return sum(
        [
            1
            for user in await group.awaitable_attrs.users
            if GroupOut.model_validate(await user.awaitable_attrs.group).id
        ]
    )
