from app.events import make_publisher, publish_all, relay
from app.services import purge_jobs


class Purger:
    def __init__(self, db):
        self.db = db

    def purge(self, days):
        return purge_jobs(self.db, days)


def purge(db, days: int):
    deleted = publish_all(Purger(db).purge, [days, days + 1])
    publisher = make_publisher(db)
    return deleted + relay(publisher, [days])
