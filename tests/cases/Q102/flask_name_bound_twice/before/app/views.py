from app import models

try:
    import ujson

    fast_json = True
except ImportError:
    fast_json = False


def user_name(user_id):
    return models.User.query.filter_by(id=user_id).first().name
