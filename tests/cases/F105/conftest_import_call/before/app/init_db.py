from app.db import SessionLocal
from app.services import ping


def main():
    with SessionLocal() as session:
        ping(session)
