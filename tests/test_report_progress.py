"""Progress: migrated constructs counted by evidence, next to legacy sites, per family and directory."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import libcst as cst
import pytest

from sqlasync.cli import main
from sqlasync.codemods.core.family import FileContext
from sqlasync.codemods.core.progress import CONSTRUCTS, MigratedConstructs
from sqlasync.codemods.registry import RULES
from sqlasync.config import Config
from sqlasync.findings import Finding
from sqlasync.progress import FOLLOW_ON_FAMILIES, progress

# Only the rule families these tests are about, so that new families do not change their numbers.
PYPROJECT = '[tool.sqlasync]\nselect = ["Q", "S"]\n'

MIGRATED = '''\
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_engine_from_config, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

engine = create_async_engine("sqlite+aiosqlite:///app.db")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
SessionDep = Annotated[AsyncSession, Depends(get_async_db)]


class Base(DeclarativeBase):
    pass


async def get_db():
    async with SessionLocal() as db:
        yield db


async def list_jobs(db: AsyncSession = Depends(get_db)):
    async with db.begin():
        db.add(Job())
        await db.flush()
    return (await db.scalars(select(Job))).all()


async def get_job(job_id: int, db: Annotated[AsyncSession, Depends(get_db)]):
    return await db.get(Job, job_id)


async def init_models():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
'''
ENV = "connectable = async_engine_from_config(config.get_section(config.config_ini_section), prefix='sqlalchemy.')\n"
LOOK_ALIKES = '''\
import httpx
from sqlalchemy.orm import Session


async def fetch(client: httpx.AsyncClient, url):
    return await client.get(url)


async def odd(db: Session):
    await db.commit()


def sync_get_db():
    return 1


async def get_db():
    return None
'''


def _counts(source: str, path: str = "app/db.py") -> dict[str, int]:
    wrapper = cst.MetadataWrapper(cst.parse_module(source))
    counter = MigratedConstructs(FileContext(PurePosixPath(path), Config(root=Path(".")), wrapper))
    wrapper.visit_batched([counter])
    return dict(counter.counts)


def test_every_migrated_construct_is_counted() -> None:
    assert _counts(MIGRATED) == {
        "create-async-engine": 1, "async-sessionmaker": 1, "declarative-base-class": 1, "async-get-db": 1,
        "async-session-block": 1, "async-session-dependency": 2, "async-session-annotation": 2, "async-begin": 1,
        "awaited-session-io": 1, "awaited-statement": 2, "run-sync-create-all": 1,
    }
    assert _counts(ENV, "migrations/env.py") == {"async-alembic-env": 1}
    assert _counts(ENV, "app/settings.py") == {}
    assert {c.name for c in CONSTRUCTS} == set(_counts(MIGRATED)) | {"async-alembic-env"}


def test_look_alikes_and_sync_sessions_are_not_progress() -> None:
    assert _counts(LOOK_ALIKES) == {}


def _finding(code: str, path: str, fixable: bool = False) -> Finding:
    return Finding(code, "m", path, 1, 1, 1, 2, fixable, code + path)


def test_numbers_per_family_and_directory() -> None:
    findings = [_finding("Q101", "app/a.py", True), _finding("Q101", "app/a.py"), _finding("S101", "lib/b.py"),
                _finding("P001", "lib/broken.py")]
    numbers = progress(findings, {"app/a.py": {"awaited-statement": 2}, "lib/c.py": {"create-async-engine": 1}})
    assert {k: numbers[k] for k in ("legacy", "fixable", "manual", "migrated", "percent")} == {
        "legacy": 3, "fixable": 1, "manual": 2, "migrated": 3, "percent": 50.0}
    assert numbers["by_family"] == {
        "bootstrap": {"legacy": 0, "fixable": 0, "manual": 0, "migrated": 1, "percent": 100.0},
        "query": {"legacy": 2, "fixable": 1, "manual": 1, "migrated": 2, "percent": 50.0},
        "session": {"legacy": 1, "fixable": 0, "manual": 1, "migrated": 0, "percent": 0.0},
    }
    assert numbers["by_directory"]["lib"] == {"legacy": 1, "fixable": 0, "manual": 1, "migrated": 1, "percent": 50.0}
    assert numbers["by_construct"] == {"awaited-statement": 2, "create-async-engine": 1}
    assert numbers["follow_on"] == {}


def test_follow_on_findings_are_counted_apart_from_legacy_sites() -> None:
    follow_on = sorted(code for code, rule in RULES.items() if rule.family in FOLLOW_ON_FAMILIES)
    assert follow_on, f"no rule family named {sorted(FOLLOW_ON_FAMILIES)} any more: update FOLLOW_ON_FAMILIES"
    findings = [_finding("Q101", "app/a.py"), _finding(follow_on[0], "app/a.py", True)]
    numbers = progress(findings, {})
    (family,) = FOLLOW_ON_FAMILIES
    assert (numbers["legacy"], numbers["by_directory"]["app"]["legacy"]) == (1, 1)
    assert numbers["follow_on"] == {family: {"sites": 1, "fixable": 1, "manual": 0}}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "core").mkdir()
    # Nothing legacy here: only the progress prefilter lets this file be parsed at all.
    (tmp_path / "core" / "engine.py").write_text(
        "from sqlalchemy.ext.asyncio import create_async_engine\n\nengine = create_async_engine(URL)\n")
    (tmp_path / "core" / "dao.py").write_text(
        "from sqlalchemy.orm import Session\n\n\ndef get(db: Session):\n    return db.query(Job).all()\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_counts_files_holding_only_migrated_code(project: Path, capsys) -> None:
    main(["check", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["migrated"] == {"core/engine.py": {"create-async-engine": 1}}
    fixable = report["summary"]["fixable"]
    assert report["summary"]["progress"]["by_directory"] == {
        "core": {"legacy": 2, "fixable": fixable, "manual": 2 - fixable, "migrated": 1, "percent": 33.3}}
    main(["check", "--no-prefilter", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["migrated"] == report["migrated"]
    assert main(["check"]) == 1
    assert (f"Migration 33.3% done: 1 migrated construct(s), 2 legacy site(s) left ({fixable} fixable, "
            f"{2 - fixable} manual).") in capsys.readouterr().out.splitlines()
