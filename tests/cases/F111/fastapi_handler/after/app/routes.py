import asyncio
import time

import requests
from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool

from app.db import get_db
from app.mail import send_welcome
from app.models import User
from app.security import pwd_context

router = APIRouter()


@router.post("/users")
async def register(name: str, email: str, password: str, db=Depends(get_db)):
    user = User(
        name=name,
        email=email,
        password_hash=await run_in_threadpool(pwd_context.hash, password),
    )
    db.add(user)
    await db.commit()
    avatar = (await run_in_threadpool(
        requests.get,
        "https://avatars.example.com/lookup",
        params={"email": email},
        timeout=5,
    )).json()["url"]
    send_welcome(user)
    return {"id": user.id, "avatar": avatar}


@router.post("/login")
async def login(user_id: int, password: str, db=Depends(get_db)):
    user = await db.get(User, user_id)
    if user is None or not await run_in_threadpool(
        pwd_context.verify, password, user.password_hash
    ):
        await asyncio.sleep(1)  # slow down password guessing
        raise HTTPException(status_code=401)
    return {"id": user.id}


@router.get("/health")
def health():
    time.sleep(0.01)
    return {"ok": requests.head("https://avatars.example.com").ok}
