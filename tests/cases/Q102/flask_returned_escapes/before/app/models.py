from app import db


class Group(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    org = db.Column(db.String(80))
    name = db.Column(db.String(80))

    @classmethod
    def all(cls, org):
        return cls.query.filter(cls.org == org)

    @classmethod
    def named(cls, name):
        return cls.query.order_by(cls.id)

    @classmethod
    def unused(cls):
        return cls.query.filter(cls.name.is_(None))

    @classmethod
    def by_org(cls, org):
        return cls.query.filter(cls.org == org)


class Tag(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))


def paginate(query, page):
    return query.limit(20).offset(20 * page).all()
