# expect: Q101 Q101
# target: sync
# before
"""Flask-SQLAlchemy's session reached as `models.db.session` or through an import alias starts the extension's
own Query: under `--target sync` its terminals become the extension's (`first_or_404` → `db.first_or_404`)."""
from app import db as database
from app import models


def by_name(name):
    return models.db.session.query(models.User).filter_by(name=name).first_or_404()


def count_named(name):
    return database.session.query(models.User).filter_by(name=name).count()
# after
"""Flask-SQLAlchemy's session reached as `models.db.session` or through an import alias starts the extension's
own Query: under `--target sync` its terminals become the extension's (`first_or_404` → `db.first_or_404`)."""
from sqlalchemy import select

from app import db as database
from app import models


def by_name(name):
    return models.db.first_or_404(select(models.User).where(models.User.name == name).limit(1))


def count_named(name):
    return database.session.scalar(
        select(database.func.count()).select_from(models.User).where(models.User.name == name)
    )
