from pydantic import BaseModel


class UserBase(BaseModel):
    group: str | None = None


class PrivateUser(UserBase):
    id: int
