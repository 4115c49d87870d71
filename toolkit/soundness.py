"""The post-condition of a `migrate` run, checked over the whole program before anything is written.

A run rewrites some files; the program is every file around them (their source roots and what their
imports reach). The run is sound when the program after it has no use that breaks which the program
before it did not have: a coroutine nobody awaits, an `await` on something sync, a session entered or
handed to the wrong side (codemods/postcondition). What it would break names the files that must come
along: the run can take them, or it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlasync.codemods.coloring.loops import ASYNC_ENGINE_FACTORIES, LISTENER, top_conftests
from sqlasync.codemods.postcondition import Violation, introduced, violations_of

from .analysis import Migration
from .discovery import SourceFile
from .findings import Finding, fingerprint
from .migration_cache import sources_digest
from .problems import CUT_BREAKS_USE
from .runner import Options, project_files, read_sources

LEFT_FOR_LACK_OF_FILE = "needs-file"
ANNOTATION_RULE = "S102"
# Families whose fixes put database I/O on the async engine (F only follows them; X never fixes).
ASYNC_IO_FAMILIES = frozenset("QSDER")
# Programs whose violations are kept (a whole-program inference each: seconds on a real project).
RECENT_PROGRAMS = 4
_recent_violations: dict[tuple[str, bool], list[Violation]] = {}


@dataclass(frozen=True)
class Verdict:
    """The uses a run would break, and which of them only other files of the project can mend."""

    broken: tuple[Violation, ...]
    run_files: frozenset[str]
    # Functions this run's files keep sync (and why) whose session or callees become async around them: the
    # uses they break are a limit of automatic migration, mended by changing the cause by hand.
    kept_sync: tuple[tuple[str, str], ...] = ()

    @property
    def sound(self) -> bool:
        return not self.broken

    @property
    def come_along(self) -> list[str]:
        """Files outside the run that must be migrated with it."""
        return sorted({v.needs for v in self.broken} - self.run_files)

    @property
    def own_defects(self) -> list[Violation]:
        """Uses the run itself breaks inside the files it rewrites: no wider cut mends those."""
        kept = {function for function, _ in self.kept_sync}
        return [v for v in self.broken if v.needs in self.run_files and _function_id(v) not in kept]

    @property
    def held_back(self) -> list[Violation]:
        """Uses broken only because a function must stay sync (see `kept_sync`)."""
        kept = {function for function, _ in self.kept_sync}
        return [v for v in self.broken if v.needs in self.run_files and _function_id(v) in kept]


def judge(files: Sequence[SourceFile], migrations: Sequence[Migration], options: Options) -> Verdict:
    before = read_sources(project_files(list(files), options).values())
    after = dict(before)
    after.update({m.path: m.updated for m in migrations if m.updated is not None and m.path in before})
    # Without S102 the run leaves `Session` annotations behind the code it converts: they prove nothing.
    trusted = ANNOTATION_RULE in options.selection or options.target != "async"
    # A run that changes nothing introduces nothing: the whole-program inference is skipped, not run twice.
    broken = introduced(_violations(before, trusted), _violations(after, trusted)) if after != before else []
    broken += [_left_broken(finding) for m in migrations for finding in m.left if finding.needs is not None]
    run_files = frozenset(file.display for file in files)
    if options.target == "async" and any(code[0] in ASYNC_IO_FAMILIES for m in migrations for code in m.fixed):
        broken += _suites_without_loop_listener(after, run_files)
    return Verdict(tuple(broken), run_files, _kept_sync(broken, run_files, options))


def _violations(sources: dict[str, bytes], trusted: bool) -> list[Violation]:
    """`violations_of`, worked out once per program: every cut a plan tries (and every round that widens one)
    is judged against the same program before it, and the program after a batch is the one before the next."""
    key = (sources_digest(sources.items()), trusted)
    if key not in _recent_violations:
        _recent_violations[key] = violations_of(sources, trusted)
        while len(_recent_violations) > RECENT_PROGRAMS:
            del _recent_violations[next(iter(_recent_violations))]
    return _recent_violations[key]


def _kept_sync(broken: list[Violation], run_files: frozenset[str], options: Options) -> tuple[tuple[str, str], ...]:
    """The functions of the run that break a use because the coloring had to keep them sync, with its reason."""
    coloring = options.coloring
    if coloring is None:
        return ()
    kept = {}
    for violation in broken:
        if violation.path not in run_files:
            continue
        function = (violation.path, violation.function)
        reason = coloring.reason(function)
        if reason is not None and not coloring.async_after(function):
            kept[_function_id(violation)] = reason
    return tuple(sorted(kept.items()))


def _function_id(violation: Violation) -> str:
    return f"{violation.path}::{violation.function}"


def _suites_without_loop_listener(after: dict[str, bytes], run_files: frozenset[str]) -> list[Violation]:
    """A run that moves database I/O onto an async engine makes each test tree run that engine on several
    event loops; F109 gives the tree's top conftest.py the pool listener that allows it, but only when that
    conftest is part of the run. A suite that already copes (it disposes the engine between tests, or the
    engine does not pool) needs nothing."""
    if not any(factory.rpartition(".")[2].encode() in source for source in after.values()
               for factory in ASYNC_ENGINE_FACTORIES) or any(b"NullPool" in source for source in after.values()):
        return []
    return [Violation(path, 1, 1, LEFT_FOR_LACK_OF_FILE, "", "F109 the tests under this conftest.py run the async "
                      "engine on several event loops and need its pool listener", path)
            for path in top_conftests(after) if path not in run_files and not _copes_with_loops(after[path])]


def _copes_with_loops(conftest: bytes) -> bool:
    return LISTENER.encode() in conftest or b".dispose()" in conftest


def _left_broken(finding: Finding) -> Violation:
    """A site a family left because a file it needs is outside the run: broken unless that file comes along."""
    return Violation(finding.path, finding.line, finding.column, LEFT_FOR_LACK_OF_FILE, "",
                     f"{finding.code} {finding.message}", finding.needs)


def closure_findings(verdict: Verdict) -> list[Finding]:
    """`check --closure`: each use a `migrate` of the checked paths would break, as a finding where it is."""
    kept = dict(verdict.kept_sync)
    findings = []
    for violation in verdict.broken:
        if violation.needs in verdict.run_files:
            cause = kept.get(_function_id(violation))
            reason = (f"`{violation.function}` must stay sync: {cause}; change that by hand" if cause is not None
                      else "a defect of sqlasync: please report it")
        else:
            reason = f"migrate {violation.needs} with the checked paths (or pass --with-dependents)"
        message = f"a migrate of the checked paths alone would break this use: {violation.message}"
        findings.append(Finding(CUT_BREAKS_USE.code, message, violation.path, violation.line, violation.column,
                                violation.line, violation.column, False,
                                fingerprint(CUT_BREAKS_USE.code, violation.message, violation.function, 0),
                                reason=reason, needs=violation.needs))
    return findings
