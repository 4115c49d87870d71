from app import db


class Author(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))

    @classmethod
    def by_name(cls, name):
        return cls.query.filter_by(name=name).first()

    @classmethod
    def named_like(cls, prefix):
        return cls.query.filter(cls.name.startswith(prefix)).order_by(cls.name).all()

    @classmethod
    def everyone(cls):
        return cls.query.order_by(cls.id)


class Settings:
    """Not a model: its `query` is a plain class attribute."""

    query = {"limit": 10}

    @classmethod
    def limit(cls):
        return cls.query.get("limit")
