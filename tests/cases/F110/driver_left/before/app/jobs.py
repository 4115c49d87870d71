async def job_title(job_id: int) -> str:
    return f"job {job_id}"
