from app.jobs import add_job, job_title


def add(run, title):
    return run(add_job(title))


def test_first_job_has_its_title(run, first_job):
    assert run(job_title(first_job)) == "first"


def test_added_jobs_count_on(run, first_job):
    ids = [add(run, title) for title in ("b", "c")]
    assert ids == [first_job + 1, first_job + 2]
    assert run(job_title(ids[-1])).upper() == "C"


def test_titles_do_not_need_the_loop(first_job):
    assert first_job == 1
