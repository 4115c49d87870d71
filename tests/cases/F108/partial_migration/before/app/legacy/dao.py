def get_job(db, job_id):
    return db.get(Job, job_id)


def save(db, job):
    db.add(job)
    db.commit()
    return job


def nightly(db):
    from app.api.helpers import touch

    touch(db)
