import app.services.helpers
from app.services import persist


def import_jobs(db, jobs):
    for job in jobs:
        persist(db, job)
    return len(jobs)


def reimport(db, job):
    return app.services.helpers.save(db, job).id
