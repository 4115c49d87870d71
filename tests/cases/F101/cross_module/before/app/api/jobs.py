from app.services import helpers as h


def create_job(db, job):
    h.Cache().save(job)
    return h.save(db, job)
