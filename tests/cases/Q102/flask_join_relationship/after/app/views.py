from app import db, models
from app.models import Author, Book


def by_author(name):
    return db.session.scalars(
        db.select(Book).join(Book.author).where(Author.name == name)
    ).unique().all()


def by_writer(name):
    return db.session.scalars(
        db.select(Book).join(Book.writer).where(Author.name == name)
    ).unique().all()


def by_author_module(name):
    return db.session.scalars(
        db.select(models.Book).join(models.Book.author).where(Author.name == name)
    ).unique().all()


def titles(title):
    return db.session.scalars(
        db.select(Author).join(Author.books).where(Book.title == title)
    ).unique().all()


def on_shelf(label):
    return Book.query.join(Book.shelf).filter_by(label=label).all()
