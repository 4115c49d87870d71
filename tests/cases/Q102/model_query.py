# expect: Q102 Q102
# before
from app.models import User


def find(name):
    return User.query.filter_by(name=name).first()


def everyone():
    return User.query.order_by(User.id).all()
