from app.services import helpers as h


async def create_job(db, job):
    h.Cache().save(job)
    return await h.save(db, job)
