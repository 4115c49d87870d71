from app import models
from app.models import Author, Book


def by_author(name):
    return Book.query.join(Book.author).filter_by(name=name).all()


def by_writer(name):
    return Book.query.join(Book.writer).filter_by(name=name).all()


def by_author_module(name):
    return models.Book.query.join(models.Book.author).filter_by(name=name).all()


def titles(title):
    return Author.query.join(Author.books).filter_by(title=title).all()


def on_shelf(label):
    return Book.query.join(Book.shelf).filter_by(label=label).all()
