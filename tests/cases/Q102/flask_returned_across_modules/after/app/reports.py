from app import db
from app.models import latest


def recent_names():
    found = latest(3)
    return [group.name for group in db.session.scalars(found)]


def newest():
    return db.session.scalars(latest(None).slice(0, 1)).all()[0]
