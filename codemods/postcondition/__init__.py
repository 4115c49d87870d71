"""The post-condition every `migrate` must meet: the program still works, across the whole project.

After a run some definitions are async (functions, the session factory, the engine, `get_db`) and
others stay sync, in the files the run rewrote and in every other file of the project. The run is
sound only if every use agrees with what it uses: a coroutine is awaited (or handed on), nothing
sync is awaited, a session is entered with the `with` its side needs and reaches functions that
expect its side. `find_violations` lists the uses that do not; `introduced` keeps those the run
added, which `migrate` refuses to write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .checks import Violation, find_violations
from .project import Project

__all__ = ["Violation", "introduced", "violations_of"]


def violations_of(sources: Mapping[str, bytes], trust_session_annotations: bool = True) -> list[Violation]:
    """Every violation in the program made of `sources` (file path -> content).

    `trust_session_annotations=False` reads `x: Session` as saying nothing about `x`: a run that does not
    rewrite annotations (S102 not selected) leaves them behind the code."""
    return find_violations(Project(sources), trust_session_annotations)


def introduced(before: Iterable[Violation], after: Iterable[Violation]) -> list[Violation]:
    """The violations of `after` that `before` did not have (a legacy defect is not the run's doing)."""
    remaining = Counter(v.key() for v in before)
    added = []
    for violation in after:
        if remaining[violation.key()] > 0:
            remaining[violation.key()] -= 1
        else:
            added.append(violation)
    return added
