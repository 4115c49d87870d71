import pytest

from app.jobs import add_job, clear_jobs


@pytest.fixture(scope="session")
def anyio_backend():
    # Migrated async tests and fixtures run on asyncio through the anyio pytest plugin.
    return "asyncio"


@pytest.fixture
async def first_job(anyio_backend) -> int:
    job_id = await add_job("first")
    yield job_id
    await clear_jobs()
