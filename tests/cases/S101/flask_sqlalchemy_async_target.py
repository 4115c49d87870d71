# expect: Q101 Q102 S101 S103
# before
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))


def rename(user_id, name):
    user = db.session.query(User).filter_by(id=user_id).first()
    user.name = name
    db.session.commit()


def by_name(name):
    return User.query.filter_by(name=name).first()


def bulk(names):
    with db.session.begin():
        db.session.add_all([User(name=name) for name in names])
# after
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))


def rename(user_id, name):
    user = db.session.query(User).filter_by(id=user_id).first()
    user.name = name
    db.session.commit()


def by_name(name):
    return User.query.filter_by(name=name).first()


def bulk(names):
    with db.session.begin():
        db.session.add_all([User(name=name) for name in names])
