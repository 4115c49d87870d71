import app.services.helpers
from app.services import persist


async def import_jobs(db, jobs):
    for job in jobs:
        await persist(db, job)
    return len(jobs)


async def reimport(db, job):
    return (await app.services.helpers.save(db, job)).id
