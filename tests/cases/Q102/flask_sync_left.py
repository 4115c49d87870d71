# expect: Q101 Q102 Q102 Q102 Q102
# target: sync
# before
from flask_sqlalchemy import SQLAlchemy

from app.models import Order
from app.search import Base

db = SQLAlchemy()


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50))


class Document(Base):
    """Not a Flask-SQLAlchemy model: its `query` is the search library's own."""


def documents(text):
    return Document.query.filter_by(text=text).all()


def orders():
    return Order.query.all()


def names_page():
    return db.session.query(Author.id, Author.name).paginate(page=1)


def first_names():
    return Author.query.with_entities(Author.name).first_or_404()


def wrapped(name):
    return Author.query.filter_by(name=name).from_self().all()
