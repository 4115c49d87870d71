import pytest

from app.jobs import add_job, job_title


async def add(title):
    return await add_job(title)


@pytest.mark.anyio
async def test_first_job_has_its_title(first_job):
    assert await job_title(first_job) == "first"


@pytest.mark.anyio
async def test_added_jobs_count_on(first_job):
    ids = [await add(title) for title in ("b", "c")]
    assert ids == [first_job + 1, first_job + 2]
    assert (await job_title(ids[-1])).upper() == "C"


def test_titles_do_not_need_the_loop(first_job):
    assert first_job == 1
