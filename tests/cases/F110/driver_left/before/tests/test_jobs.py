from app.jobs import job_title


def test_titles(run):
    # `run` handed to map(): each call would have to await inside map, which cannot.
    assert list(map(run, [job_title(1), job_title(2)])) == ["job 1", "job 2"]


def test_one_title(run):
    assert run(job_title(3)) == "job 3"
