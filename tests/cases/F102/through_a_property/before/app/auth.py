from app.repos import get_repos


class Provider:
    def __init__(self, session):
        self.session = session

    def try_get(self, job_id):
        repos = get_repos(self.session)
        return repos.jobs.get_one(job_id) or repos.same_jobs.get_one(job_id)
