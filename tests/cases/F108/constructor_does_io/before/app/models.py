import functools

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    group: Mapped[Group | None] = relationship(lazy="joined")

    def __init__(self, session: Session, name: str, group: str = "default", **_) -> None:
        # The constructor looks its group up with the session it is handed.
        self.update(session, name, group)

    def update(self, session: Session, name: str, group: str = "default", **_) -> None:
        self.name = name
        self.group = session.execute(select(Group).where(Group.name == group)).scalars().one_or_none()


def with_group_lookup(init):
    """The `group` keyword names a group: look it up before the constructor runs."""

    @functools.wraps(init)
    def wrapper(self, session: Session, **kwargs):
        name = kwargs.pop("group", "default")
        kwargs["group"] = session.execute(select(Group).where(Group.name == name)).scalars().one_or_none()
        return init(self, session, **kwargs)

    return wrapper


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    group: Mapped[Group | None] = relationship(lazy="joined")

    @with_group_lookup
    def __init__(self, session: Session, code: str, group: Group | None = None) -> None:
        self.code = code
        self.group = group


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50))
