# expect: Q101 Q102 Q102 Q102 Q102 Q102 Q102 Q102 Q102 Q102 Q102 Q102 Q102 Q102 Q102
# target: sync
# before
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50))


class Book(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(50))
    author_id = db.Column(db.ForeignKey("author.id"))
    author = db.relationship("Author", backref="books")


def by_name(name):
    return Author.query.filter_by(name=name).first()


def every_author():
    return Author.query.order_by(Author.name).all()


def author_count():
    return Author.query.count()


def the_author(name):
    return Author.query.filter(Author.name == name).one()


def a_title(author_id):
    return Book.query.with_entities(Book.title).filter_by(author_id=author_id).scalar()


def author(pk):
    return Author.query.get(pk)


def author_or_404(pk):
    return Author.query.get_or_404(pk)


def first_or_404(name):
    return Author.query.filter_by(name=name).first_or_404(description="no such author")


def one_or_404(name):
    return Author.query.filter_by(name=name).one_or_404()


def page(number):
    return Book.query.order_by(Book.id).paginate(page=number, per_page=10)


def titles(author_id, newest):
    books = Book.query.filter(Book.author_id == author_id)
    if newest:
        books = books.order_by(Book.id.desc())
    return [book.title for book in books]


def session_query(name):
    return db.session.query(Author).filter_by(name=name).first_or_404()


def books_by(name):
    return Book.query.join(Book.author).filter_by(name=name).order_by(Book.id).all()


def authors_with_books_of(author_id):
    return Author.query.join(Author.books).filter_by(author_id=author_id).all()


def books_joined_count(name):
    return Book.query.join(Book.author).filter_by(name=name).count()
# after
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50))


class Book(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(50))
    author_id = db.Column(db.ForeignKey("author.id"))
    author = db.relationship("Author", backref="books")


def by_name(name):
    return db.session.scalars(
        db.select(Author).where(Author.name == name).limit(1)
    ).first()


def every_author():
    return db.session.scalars(db.select(Author).order_by(Author.name)).all()


def author_count():
    return db.session.scalar(db.select(db.func.count()).select_from(Author))


def the_author(name):
    return db.session.scalars(db.select(Author).where(Author.name == name)).one()


def a_title(author_id):
    return db.session.execute(
        db.select(Book.title).where(Book.author_id == author_id)
    ).scalar_one_or_none()


def author(pk):
    return db.session.get(Author, pk)


def author_or_404(pk):
    return db.get_or_404(Author, pk)


def first_or_404(name):
    return db.first_or_404(
        db.select(Author).where(Author.name == name).limit(1),
        description="no such author",
    )


def one_or_404(name):
    return db.one_or_404(db.select(Author).where(Author.name == name))


def page(number):
    return db.paginate(db.select(Book).order_by(Book.id), page=number, per_page=10)


def titles(author_id, newest):
    books = db.select(Book).where(Book.author_id == author_id)
    if newest:
        books = books.order_by(Book.id.desc())
    return [book.title for book in db.session.scalars(books)]


def session_query(name):
    return db.first_or_404(db.select(Author).where(Author.name == name).limit(1))


def books_by(name):
    return db.session.scalars(
        db.select(Book).join(Book.author).where(Author.name == name).order_by(Book.id)
    ).unique().all()


def authors_with_books_of(author_id):
    return db.session.scalars(
        db.select(Author).join(Author.books).where(Book.author_id == author_id)
    ).unique().all()


def books_joined_count(name):
    return db.session.scalar(
        db.select(db.func.count())
        .select_from(
            db.select(Book).join(Book.author).where(Author.name == name).subquery()
        )
    )
