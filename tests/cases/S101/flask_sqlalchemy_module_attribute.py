# expect: S101 S101 S101 S101 S101 S101
# before
"""Flask-SQLAlchemy's session reached through a module attribute or an import alias is the same sync session
as `db.session`: the async target leaves it, and says to use `--target sync`."""
import app.models as m
from app import db as database
from app import models


def rename(user_id, name):
    user = models.db.session.get(models.User, user_id)
    user.name = name
    models.db.session.commit()


def add(name):
    database.session.add(models.User(name=name))
    database.session.commit()


def remove(user):
    m.db.session.delete(user)
    m.db.session.flush()
    m.db.session.commit()
# after
"""Flask-SQLAlchemy's session reached through a module attribute or an import alias is the same sync session
as `db.session`: the async target leaves it, and says to use `--target sync`."""
import app.models as m
from app import db as database
from app import models


def rename(user_id, name):
    user = models.db.session.get(models.User, user_id)
    user.name = name
    models.db.session.commit()


def add(name):
    database.session.add(models.User(name=name))
    database.session.commit()


def remove(user):
    m.db.session.delete(user)
    m.db.session.flush()
    m.db.session.commit()
