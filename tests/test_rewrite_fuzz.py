"""Generated legacy modules (random mixes of the patterns the rules know, with comments, blank lines and odd
formatting): the output compiles, a second run changes nothing, and every line outside the rewritten code
comes out byte for byte.

The modules are built from blocks. Each "keeper" line (a comment, a blank-line-separated statement that no
rule touches) carries a unique marker, so the check can find it in the output; the legacy blocks are what the
rules rewrite. Hypothesis runs derandomized (a fixed seed), so CI sees the same examples every time."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlasync.analysis import migrate, verify
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

HEADERS = [
    "from sqlalchemy.orm import Session\n",
    # The comment line above an import the rewrite removes stays (only the import's own comment may go).
    "# keeper: database imports\nfrom sqlalchemy.orm import Session  # sync session\n",
    "from sqlalchemy import select\nfrom sqlalchemy.orm import Session\n",
    "import os\n\nfrom sqlalchemy.orm import Session\n",
]

# Legacy function bodies, with the spacing and comments people write; {n} makes names unique.
LEGACY = [
    "def get_{n}(db: Session, job_id):\n    return db.query(Job).filter(Job.id == job_id).first()\n",
    "def list_{n}(db: Session):\n    # newest first\n    return db.query(Job).order_by(Job.id.desc()).all()\n",
    "def save_{n}(db: Session, job):\n    db.add(job)\n    db.commit()   # persist\n    db.refresh(job)\n"
    "    return job\n",
    "def count_{n}(db: Session) -> int:\n    return db.query(Job).filter(\n        Job.status == 'done',\n"
    "    ).count()\n",
    "def drop_{n}(db: Session, job):\n\n    db.delete(job)\n\n    db.commit()\n",
    "def named_{n}(db: Session, name):\n    return db.query(Job).filter_by(name=name).one_or_none()  # noqa: E501\n",
]


def _keeper(n: int, kind: int) -> str:
    """A block no rule changes, whose every line is unique."""
    if kind == 0:
        return f"# keeper comment {n}\n"
    if kind == 1:
        return f"KEEPER_{n} = {{'a': {n},   'b' :[1,2]}}  # odd spacing {n}\n"
    return f"def keeper_{n}(x):\n    # keeper body {n}\n    return x  *  {n}\n"


@st.composite
def legacy_modules(draw) -> str:
    parts = [draw(st.sampled_from(HEADERS)), "\nfrom app.models import Job\n"]
    blocks = draw(st.lists(st.tuples(st.booleans(), st.integers(0, len(LEGACY) - 1), st.integers(0, 2)),
                           min_size=1, max_size=7))
    for n, (legacy, template, kind) in enumerate(blocks):
        separator = draw(st.sampled_from(["\n\n", "\n\n\n", "\n\n# between blocks {n}\n\n"])).format(n=n)
        parts.append(separator)
        parts.append(LEGACY[template].format(n=n) if legacy else _keeper(n, kind))
    return "".join(parts)


def _keeper_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if "keeper" in line.lower() or "between blocks" in line]


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(legacy_modules())
def test_generated_modules_compile_settle_and_keep_untouched_lines(tmp_path_factory, source: str) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    config = Config(root=Path(root))
    first = migrate(source.encode(), "app/jobs.py", config, FAMILIES, Selection(), "async")
    assert first.error is None
    output = (first.updated or source.encode()).decode()
    verify(output.encode(), "app/jobs.py")
    second = migrate(output.encode(), "app/jobs.py", config, FAMILIES, Selection(), "async")
    assert second.updated is None, "a second migrate must change nothing"
    kept = output.splitlines()
    for line in _keeper_lines(source):
        assert line in kept, f"{line!r} was changed or lost"
    # The keepers also keep their order.
    assert [line for line in kept if line in _keeper_lines(source)] == _keeper_lines(source)
