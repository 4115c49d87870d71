# F111 look-alikes: blocking calls in functions this run does not make async.
import time

import requests
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from passlib.context import CryptContext

router = APIRouter()
pwd_context = CryptContext(schemes=["bcrypt"])


@router.post("/hash")
async def already_offloaded(password: str):
    # Async before the run, with the blocking call already in a worker thread: nothing to do.
    return {"hash": await run_in_threadpool(pwd_context.hash, password)}


@router.get("/slow")
async def already_async_and_blocking():
    # The user's own async code: F111 looks only at functions the run makes async.
    time.sleep(1)
    return requests.get("https://example.com").json()


@router.get("/sync")
def stays_sync(url: str):
    # No session I/O: FastAPI keeps running it in its thread pool, where blocking is fine.
    time.sleep(1)
    return {"hash": pwd_context.hash(requests.get(url).text)}


class Client:
    def get(self, url):
        return url


async def not_requests(client: Client):
    return client.get("https://example.com")
