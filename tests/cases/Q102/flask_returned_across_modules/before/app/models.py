from app import db


class Group(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    org = db.Column(db.String(80))
    name = db.Column(db.String(80))

    @classmethod
    def all(cls, org):
        return cls.query.filter(cls.org == org)

    @classmethod
    def with_members(cls, org):
        return cls.query.join(Member, Member.group_id == cls.id).filter(cls.org == org)

    @classmethod
    def named(cls, org, prefix):
        groups = cls.all(org).filter(cls.name.startswith(prefix))
        return groups.order_by(cls.name).all()


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    group_id = db.Column(db.Integer, db.ForeignKey("group.id"))


def latest(limit):
    query = Group.query.order_by(Group.id.desc())
    if limit:
        query = query.limit(limit)
    return query
