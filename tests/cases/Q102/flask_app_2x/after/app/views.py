from flask import Flask

from app.extensions import db
from app.models import Author, Book

app = Flask(__name__)


@app.route("/authors/<name>")
def author(name):
    return db.session.scalars(
        db.select(Author).where(Author.name == name).limit(1)
    ).first()


@app.route("/books")
def books():
    q = db.select(Book)
    if True:
        q = q.where(Book.title != "")
    return {"n": db.session.scalar(
        db.select(db.func.count()).select_from(q.subquery())
    ), "all": [b.title for b in db.session.scalars(
        q.order_by(Book.id)
    ).all()]}


@app.route("/books/<int:id>")
def book(id):
    return db.session.get(Book, id) or Book.query.get_or_404(id)
