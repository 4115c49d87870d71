from app import models


def list_groups(org):
    return [group.name for group in models.Group.all(org)]


def page_of_groups(org, page):
    # handed to a function of the project: the query escapes, so `Group.all` and all its callers stay
    return models.paginate(models.Group.all(org), page)


def by_name(name):
    # `filter_by()` needs the class the function selects, which only the function names
    return models.Group.named(name).filter_by(name=name).first()


def labels(org, tagged):
    # one variable for the function's query and for `Model.query` of another class: `Group.by_org` stays
    if tagged:
        found = models.Tag.query.order_by(models.Tag.name)
    else:
        found = models.Group.by_org(org)
    return [item.name for item in found]
