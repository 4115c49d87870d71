from app import db, models


def list_groups(org):
    groups = models.Group.all(org)
    return [group.name for group in db.session.scalars(groups)]


def count_groups(org):
    return db.session.scalar(
        db.select(db.func.count()).select_from(models.Group.all(org).subquery())
    )


def first_group(org):
    return db.session.scalars(
        models.Group.all(org).order_by(models.Group.name).limit(1)
    ).unique().first()


def recent():
    found = models.latest(5)
    for group in db.session.scalars(found):
        print(group.name)


def some_groups(org):
    return db.session.scalars(
        models.Group.all(org).order_by(models.Group.id).slice(1, 3)
    ).unique().all()


def group_list(org):
    return db.session.scalars(models.Group.all(org)).all()


def populated(org, named_only):
    if named_only:
        groups = models.Group.with_members(org).where(models.Group.name.isnot(None))
    else:
        groups = models.Group.with_members(org)
    return sorted(group.id for group in db.session.scalars(groups).unique())


def visible_groups(org, admin):
    if admin:
        groups = models.Group.all(org)
    else:
        groups = db.select(models.Group).where(models.Group.name.isnot(None))
    return [group.name for group in db.session.scalars(groups).unique()]
