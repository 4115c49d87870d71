from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app import plugins


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(50))


class PluginInstance(Base):
    __tablename__ = "plugin_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50))

    @property
    def instance(self):
        """The plugin this record enables, looked up by its slug."""
        return plugins.registry[self.slug]
