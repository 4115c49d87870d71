from sqlalchemy.orm import Query

from app import models


class CachingQuery(Query):
    """A Query subclass in the caller's file may change what a chain does: the caller stays, so the function too."""


def ungrouped():
    return [group.id for group in models.Group.unused()]
