from fastapi import Depends

from app.repos import get_repos
from app.schema import PrivateUser, UserBase


def current_user() -> PrivateUser:
    return PrivateUser(id=1)


class Controller:
    user: PrivateUser = Depends(current_user)

    def __init__(self, session):
        self.session = session

    @property
    def group(self):
        return get_repos(self.session).jobs.get_one(1)

    def show(self):
        return self.group


