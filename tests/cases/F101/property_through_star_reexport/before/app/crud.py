from app.base import Controller
from app.schema import UserBase


class UserController(Controller):
    def update_user(self, new_data: UserBase):
        return self.user.group != new_data.group
