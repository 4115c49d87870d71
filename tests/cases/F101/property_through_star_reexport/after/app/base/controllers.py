from fastapi import Depends

from app.repos import get_repos
from app.schema import PrivateUser, UserBase


def current_user() -> PrivateUser:
    return PrivateUser(id=1)


class Controller:
    user: PrivateUser = Depends(current_user)

    def __init__(self, session):
        self.session = session

    async def group(self):
        return await get_repos(self.session).jobs.get_one(1)

    async def show(self):
        return await self.group()


