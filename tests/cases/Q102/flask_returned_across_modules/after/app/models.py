from app import db


class Group(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    org = db.Column(db.String(80))
    name = db.Column(db.String(80))

    @classmethod
    def all(cls, org):
        return db.select(cls).where(cls.org == org)

    @classmethod
    def with_members(cls, org):
        return (
            db.select(cls).join(Member, Member.group_id == cls.id).where(cls.org == org)
        )

    @classmethod
    def named(cls, org, prefix):
        groups = cls.all(org).where(cls.name.startswith(prefix))
        return db.session.scalars(groups.order_by(cls.name)).all()


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    group_id = db.Column(db.Integer, db.ForeignKey("group.id"))


def latest(limit):
    query = db.select(Group).order_by(Group.id.desc())
    if limit:
        query = query.limit(limit)
    return query
