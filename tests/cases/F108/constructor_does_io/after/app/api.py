from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from sqlasync.compat import call_legacy

from app.database import get_db
from app.models import Invite, Tag, User
from app.repository import Repository

router = APIRouter()


@router.post("/users")
async def create_user(name: str, db: AsyncSession = Depends(get_db)):
    return (await Repository(db, User).create({"name": name})).id


@router.put("/users/{user_id}")
async def change_user(
    user_id: int, name: str, group: str, db: AsyncSession = Depends(get_db)
):
    return (
        await Repository(db, User).change(user_id, {"name": name, "group": group})
    ).group_id


@router.put("/users")
async def change_users(names: dict[int, str], db: AsyncSession = Depends(get_db)):
    changed = await Repository(db, User).change_many(
        {key: {"name": name} for key, name in names.items()}
    )
    return sorted(user.name for user in changed)


@router.post("/users/direct")
async def create_user_directly(name: str, db: AsyncSession = Depends(get_db)):
    user = await call_legacy(db, User, name)
    db.add(user)
    await db.commit()
    return user.id


@router.post("/invites")
async def create_invite(code: str, group: str, db: AsyncSession = Depends(get_db)):
    invite = await call_legacy(db, Invite, code=code, group=group)
    db.add(invite)
    await db.commit()
    return invite.id


@router.post("/tags")
async def create_tag(label: str, db: AsyncSession = Depends(get_db)):
    tag = Tag(label=label)
    db.add(tag)
    await db.commit()
    return tag.id
