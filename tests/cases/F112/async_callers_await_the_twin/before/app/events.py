from app.database import SessionLocal
from app.registry import register_daily
from app.services import purge_jobs


class Publisher:
    def publish(self, days: int = 50) -> int:
        with SessionLocal() as db:
            return purge_jobs(db, days)


def nightly(days: int = 50) -> int:
    with SessionLocal() as db:
        return purge_jobs(db, days)


register_daily(Publisher().publish, nightly)
