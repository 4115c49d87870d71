from app import models


def list_groups(org):
    groups = models.Group.all(org)
    return [group.name for group in groups]


def count_groups(org):
    return models.Group.all(org).count()


def first_group(org):
    return models.Group.all(org).order_by(models.Group.name).first()


def recent():
    found = models.latest(5)
    for group in found:
        print(group.name)


def some_groups(org):
    return models.Group.all(org).order_by(models.Group.id)[1:3]


def group_list(org):
    return list(models.Group.all(org))


def populated(org, named_only):
    if named_only:
        groups = models.Group.with_members(org).filter(models.Group.name.isnot(None))
    else:
        groups = models.Group.with_members(org)
    return sorted(group.id for group in groups)


def visible_groups(org, admin):
    if admin:
        groups = models.Group.all(org)
    else:
        groups = models.Group.query.filter(models.Group.name.isnot(None))
    return [group.name for group in groups]
