from functools import cached_property

from sqlalchemy.orm import Session

from .repository import Repository


class Preferences:
    pass


class AllRepositories:
    def __init__(self, session: Session):
        self.session = session

    # Annotated with the generic class, parametrised: still an instance of Repository.
    @cached_property
    def preferences(self) -> Repository[Preferences]:
        return Repository(self.session, Preferences)


def get_repositories(session: Session):
    return AllRepositories(session)
