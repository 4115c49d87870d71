from fastapi import APIRouter, BackgroundTasks, Depends

from app.db import get_db
from app.tasks import notify, refresh_stats

router = APIRouter()


@router.post("/users/{user_id}/refresh")
async def refresh(user_id: str, background_tasks: BackgroundTasks, db=Depends(get_db)):
    background_tasks.add_task(refresh_stats, user_id)
    return {"queued": True}


@router.post("/users/{user_id}/notes")
async def add_note(user_id: str, message: str, background_tasks: BackgroundTasks, db=Depends(get_db)):
    background_tasks.add_task(notify, db, user_id, message)
    await notify(db, user_id, "note queued")
    return {"queued": True}
