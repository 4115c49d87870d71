# expect: D101 F107 F107 Q101 S101 S102
# before
from sqlalchemy import Column, Float, Integer, event
from sqlalchemy.engine.base import Connection
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.session import Session


class Base(DeclarativeBase):
    pass


class Recipe(Base):
    __tablename__ = "recipes"
    id = Column(Integer, primary_key=True)
    rating = Column(Float)


# An ORM event listener runs inside the flush and stays sync (F107), so the Query call under it is left
# (Q101) and the session it takes keeps its sync `Session` annotation.
def reset_rating(session: Session, recipe_id: int):
    recipe = session.query(Recipe).filter(Recipe.id == recipe_id).first()
    if recipe:
        recipe.rating = -1


@event.listens_for(Recipe, "after_update")
def on_update(_, connection: Connection, target: Recipe):
    session = Session(bind=connection)
    reset_rating(session, target.id)
    session.commit()
