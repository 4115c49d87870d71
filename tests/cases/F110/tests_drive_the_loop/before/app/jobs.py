JOBS: dict[int, str] = {}


async def add_job(title: str) -> int:
    JOBS[len(JOBS) + 1] = title
    return len(JOBS)


async def job_title(job_id: int) -> str | None:
    return JOBS.get(job_id)


async def clear_jobs() -> None:
    JOBS.clear()
