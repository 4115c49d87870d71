from app import db, models

try:
    import ujson

    fast_json = True
except ImportError:
    fast_json = False


def user_name(user_id):
    return db.session.scalars(
        db.select(models.User).where(models.User.id == user_id).limit(1)
    ).first().name
