from app.repos import get_repos


class Provider:
    def __init__(self, session):
        self.session = session

    async def try_get(self, job_id):
        repos = get_repos(self.session)
        return await repos.jobs.get_one(job_id) or await repos.same_jobs.get_one(job_id)
