from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.models import Author, Book, Publisher


def books_by(session: Session, name: str):
    return session.scalars(
        select(Book).join(Book.author).where(Author.name == name)
    ).unique().all()


def authors_of(session: Session, title: str):
    return session.scalar(
        select(func.count())
        .select_from(
            select(Author).join(Author.books).where(Book.title == title).subquery()
        )
    )


def books_from(session: Session, city: str):
    return session.scalars(
        select(Book).join(Book.publisher).where(Publisher.city == city).limit(1)
    ).unique().first()
