# expect: E103 E103 E103 E103
# before
from sqlalchemy import MetaData
from sqlalchemy.orm import declarative_base

Base = declarative_base()
NamedBase = declarative_base(metadata=MetaData(schema="app"), cls=ReprMixin)  # shared schema
Constructed = declarative_base(constructor=None)


def factory():
    return declarative_base()
# after
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, declarative_base


class Base(DeclarativeBase):
    pass


class NamedBase(ReprMixin, DeclarativeBase):  # shared schema
    metadata = MetaData(schema="app")


Constructed = declarative_base(constructor=None)


def factory():
    return declarative_base()
