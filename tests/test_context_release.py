"""One file's metadata alive at a time: every context the analysis of a file is done with lets its metadata
go before the next is built (a large file's contexts are tens of megabytes each; benchmarks/bench_large_file.py
measures the peak)."""

from __future__ import annotations

import gc
import textwrap

import pytest

from sqlasync.analysis import analyse, migrate
from sqlasync.codemods.core.family import FileContext
from sqlasync.codemods.registry import FAMILIES
from sqlasync.config import Config
from sqlasync.selection import Selection

# Query chains, session I/O and a helper its caller awaits: the prediction and migrate rewrite it family after
# family, each pass on a context of its own.
LEGACY = textwrap.dedent('''\
    from sqlalchemy.orm import Session

    from models import User


    def get_user(db: Session, user_id: int):
        return db.query(User).filter(User.id == user_id).first()


    def rename(db: Session, user_id: int, name: str):
        user = get_user(db, user_id)
        user.name = name
        db.commit()
        return user
''')


@pytest.fixture
def contexts_alive_at_each_new_one(monkeypatch) -> list[int]:
    """For each FileContext built, how many others still hold their metadata then."""
    counts: list[int] = []
    build = FileContext.__init__
    # Contexts an earlier test in this process left behind (a CLI run's last pass) are not this run's; held here
    # so that no new context can reuse one's id.
    left_behind = [o for o in gc.get_objects() if type(o) is FileContext]
    earlier = {id(o) for o in left_behind}

    def counting(self, *args, **kwargs) -> None:
        counts.append(sum(1 for o in gc.get_objects() if type(o) is FileContext and o is not self
                          and o.wrapper is not None and id(o) not in earlier))
        build(self, *args, **kwargs)

    monkeypatch.setattr(FileContext, "__init__", counting)
    return counts


def test_migrate_holds_one_context_at_a_time(tmp_path, contexts_alive_at_each_new_one) -> None:
    result = migrate(LEGACY.encode(), "svc.py", Config(root=tmp_path), FAMILIES, Selection(), "async")
    assert result.updated is not None and b"async def rename" in result.updated
    # The prediction, each rewrite pass and the analysis of the result: several contexts, never two at once.
    assert len(contexts_alive_at_each_new_one) > 3
    assert set(contexts_alive_at_each_new_one) == {0}


def test_check_leaves_no_context_holding_metadata(tmp_path, contexts_alive_at_each_new_one) -> None:
    left_behind = [o for o in gc.get_objects() if type(o) is FileContext]  # (by an earlier test in this process)
    result = analyse(LEGACY.encode(), "svc.py", Config(root=tmp_path), FAMILIES, "async")
    assert result.findings
    assert set(contexts_alive_at_each_new_one) == {0}
    assert not [o for o in gc.get_objects() if type(o) is FileContext and o.wrapper is not None
                and not any(o is earlier for earlier in left_behind)]
