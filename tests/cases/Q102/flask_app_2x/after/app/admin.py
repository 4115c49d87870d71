from app import models
from app.extensions import db


def rename(author_id, name):
    author = db.session.get(models.Author, author_id)
    author.name = name
    models.db.session.commit()
    return models.Book.query.filter_by(author_id=author_id).paginate(page=1, per_page=20)
