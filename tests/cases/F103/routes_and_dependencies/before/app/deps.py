from fastapi import Depends, Header, HTTPException

from app.db import get_db
from app.models import User


def current_user(x_user_id: int = Header(), db=Depends(get_db)) -> User:
    user = db.get(User, x_user_id)
    if user is None:
        raise HTTPException(status_code=401)
    return user


def active_user(user: User = Depends(current_user)) -> User:
    if not user.active:
        raise HTTPException(status_code=403)
    return user


def page(skip: int = 0, limit: int = 20) -> dict:
    return {"skip": skip, "limit": limit}
