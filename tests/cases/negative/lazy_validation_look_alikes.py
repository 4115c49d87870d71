"""Validations that look like F205's but need no `run_sync`: F205 reports none of them."""

import json

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, select
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(AsyncAttrs, DeclarativeBase):
    pass


class Owner(Base):
    __tablename__ = "owners"
    id: Mapped[int] = mapped_column(primary_key=True)


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"))
    owner: Mapped[Owner] = relationship()


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str


async def from_body(db: AsyncSession, body: str) -> TagOut:
    # A request body: a dict, no ORM object, nothing to load.
    tag = TagOut.model_validate(json.loads(body))
    db.add(Tag(name=tag.name))
    await db.commit()
    return tag


async def from_dump(db: AsyncSession, tag_id: int) -> TagOut:
    # The object is dumped to a dict first.
    tag = await db.get(Tag, tag_id)
    data = {"id": tag.id, "name": tag.name}
    return TagOut.model_validate(data)


async def columns_only(db: AsyncSession) -> list[TagOut]:
    # A schema of the repository that reads columns only (not `owner`): nothing lazy to load.
    rows = (await db.scalars(select(Tag))).all()
    return [TagOut.model_validate(row) for row in rows]


def sync_code(tag: Tag) -> TagOut:
    # Stays sync: lazy loads work as they always did.
    return TagOut.model_validate(tag)
