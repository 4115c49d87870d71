from sqlalchemy.orm import relationship

from app.extensions import db


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50))


class Book(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(50))
    author_id = db.Column(db.ForeignKey("author.id"))
    author = relationship("Author", backref="books")
