from flask import Flask

from app.models import Author, Book

app = Flask(__name__)


@app.route("/authors/<name>")
def author(name):
    return Author.query.filter_by(name=name).first()


@app.route("/books")
def books():
    q = Book.query
    if True:
        q = q.filter(Book.title != "")
    return {"n": q.count(), "all": [b.title for b in q.order_by(Book.id).all()]}


@app.route("/books/<int:id>")
def book(id):
    return Book.query.get(id) or Book.query.get_or_404(id)
