from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.database import get_db
from app.models import Invite, Tag, User
from app.repository import Repository

router = APIRouter()


@router.post("/users")
def create_user(name: str, db: Session = Depends(get_db)):
    return Repository(db, User).create({"name": name}).id


@router.put("/users/{user_id}")
def change_user(user_id: int, name: str, group: str, db: Session = Depends(get_db)):
    return Repository(db, User).change(user_id, {"name": name, "group": group}).group_id


@router.put("/users")
def change_users(names: dict[int, str], db: Session = Depends(get_db)):
    changed = Repository(db, User).change_many({key: {"name": name} for key, name in names.items()})
    return sorted(user.name for user in changed)


@router.post("/users/direct")
def create_user_directly(name: str, db: Session = Depends(get_db)):
    user = User(db, name)
    db.add(user)
    db.commit()
    return user.id


@router.post("/invites")
def create_invite(code: str, group: str, db: Session = Depends(get_db)):
    invite = Invite(db, code=code, group=group)
    db.add(invite)
    db.commit()
    return invite.id


@router.post("/tags")
def create_tag(label: str, db: Session = Depends(get_db)):
    tag = Tag(label=label)
    db.add(tag)
    db.commit()
    return tag.id
