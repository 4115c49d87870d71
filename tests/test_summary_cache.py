"""The summary cache gives back exactly the summary it was given."""

from __future__ import annotations

from pathlib import Path

from sqlasync.prediction import summarise
from sqlasync.codemods.registry import FAMILIES
from sqlasync.codemods.index.repo_index import ModuleLocation
from sqlasync.codemods.index.summary_cache import SummaryCache, cached_summaries
from sqlasync.config import Config

SOURCE = b'''\
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session, relationship

from app.db import Base, get_db

router = APIRouter()
__t = {"__m": 1}  # names that look like the cache's own tags


class Job(Base):
    __tablename__ = "jobs"
    clips = relationship("Clip", lazy="selectin")


def find(db: Session, key: int) -> Job | None:
    query = db.query(Job)
    if key:
        query = query.filter(Job.id == key)
    return query.first()


@router.get("/jobs/{key}")
def read(key: int, db: Session = Depends(get_db)):
    job = find(db, key)
    return [clip.name for clip in job.clips]
'''


def test_a_summary_comes_back_from_the_cache_as_it_was(tmp_path: Path) -> None:
    summary = summarise("app/jobs.py", SOURCE, ModuleLocation("app.jobs", "app", tmp_path.as_posix()),
                        Config(root=tmp_path), FAMILIES, None, "async")
    assert summary.predicted is not None and summary.facts.calls and summary.seeds  # every part is exercised
    cache = SummaryCache(tmp_path / "cache", "salt")
    key = cache.key("app/jobs.py", SOURCE)
    cache.put(key, summary)
    assert cache.get(key) == summary


def test_a_copy_of_the_project_in_another_folder_finds_the_summaries(tmp_path: Path) -> None:
    """plan's scratch copies and a CI runner restoring the cache folder see the project under another path."""
    cache = SummaryCache(tmp_path / "cache", "salt")
    computed: list[tuple] = []

    def compute(pending: list[tuple]) -> list:
        computed.extend(pending)
        return [summarise(display, content, location, Config(root=tmp_path), FAMILIES, None, "async")
                for display, location, content in pending]

    def run(root: Path) -> list:
        location = ModuleLocation("app.jobs", "app", root.as_posix())
        return cached_summaries([("app/jobs.py", location, SOURCE)], cache, compute, root)

    first = run(tmp_path / "checkout")
    again = run(tmp_path / "copy")
    assert len(computed) == 1
    assert again[0].location.source_root == (tmp_path / "copy").as_posix()
    assert again[0].facts == first[0].facts
