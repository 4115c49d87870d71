from sqlalchemy.orm import Session

from shop.models import Author, Book, Publisher


def books_by(session: Session, name: str):
    return session.query(Book).join(Book.author).filter_by(name=name).all()


def authors_of(session: Session, title: str):
    return session.query(Author).join(Author.books).filter_by(title=title).count()


def books_from(session: Session, city: str):
    return session.query(Book).join(Book.publisher).filter_by(city=city).first()
