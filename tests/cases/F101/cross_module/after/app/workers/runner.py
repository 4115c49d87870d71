from app.services.helpers import save


class JobRunner:
    def __init__(self, db):
        self.db = db

    async def run(self, job):
        saved = await save(self.db, job)
        return saved.id

    async def run_many(self, jobs):
        return [await self.run(job) for job in jobs]


async def run_all(db, jobs):
    runner = JobRunner(db)
    return await runner.run_many(jobs)
