from app.services.helpers import save


class JobRunner:
    def __init__(self, db):
        self.db = db

    def run(self, job):
        saved = save(self.db, job)
        return saved.id

    def run_many(self, jobs):
        return [self.run(job) for job in jobs]


def run_all(db, jobs):
    runner = JobRunner(db)
    return runner.run_many(jobs)
