from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from app.db import get_db
from app.deps import active_user, current_user, page
from app.errors import NotFound

app = FastAPI()
router = APIRouter()


@router.get("/me")
def me(user=Depends(active_user)):
    return {"name": user.name}


@router.post("/me/name")
async def rename(name: str, user=Depends(current_user), db=Depends(get_db)):
    user.name = name
    await db.commit()
    return {"name": user.name}


@router.get("/users/{user_id}")
async def read_user(user_id: int, db=Depends(get_db)):
    return {"name": (await current_user(user_id, db)).name}


@router.get("/pages")
def pages(paging=Depends(page)):
    return paging


@app.exception_handler(NotFound)
def not_found(request: Request, exc: NotFound):
    return JSONResponse(status_code=404, content={"detail": str(exc)})
