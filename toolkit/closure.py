"""The migrations of a cut that leave the whole program working, or the verdict that they do not.

A cut is a set of files to migrate. `judge` (toolkit/soundness.py) says which uses the cut would break and
which files must come along to mend them; `sound_migrations` can take those files into the cut, round
after round, until nothing is missing. `migrate` runs it over the paths it was given, `plan` over each
batch it proposes, and `migrate --verify` over a batch without the files it had to put back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from .analysis import Migration
from .discovery import SourceFile, discover
from .live_status import current as run_status
from .project_sources import with_project_sources
from .runner import Options, migrate_files, with_coloring
from .soundness import Verdict, judge

# --with-dependents widens the run this many times at most (each round adds every file still missing).
MAX_DEPENDENT_ROUNDS = 8


def sound_migrations(files: list[SourceFile], options: Options, with_dependents: bool,
                     held: Iterable[str] = ()) -> tuple[list[Migration], Verdict]:
    """Migrations of `files` and the verdict on them; with `with_dependents`, the files that must come
    along are added until none is missing. Files in `held` (display paths) never come along: a cut
    that needs one of them stays unsound."""
    held = frozenset(held)
    for _ in range(MAX_DEPENDENT_ROUNDS):
        run_options = with_coloring(files, _seen_from_the_cut(files, options))
        migrations = migrate_files(files, run_options)
        run_status().phase("soundness")
        verdict = judge(files, migrations, run_options)
        if verdict.sound or not with_dependents or not verdict.come_along or held & set(verdict.come_along):
            break
        files = sorted({*files, *discover([Path(p) for p in verdict.come_along], options.config)},
                       key=lambda f: f.display)
    return migrations, verdict


def _seen_from_the_cut(files: list[SourceFile], options: Options) -> Options:
    """`options` with the service-locator keys whose registration this cut must keep. `plan` and `--verify`
    prepare the whole project once, where every resolve may convert and D104 may drop the registration; a
    cut of fewer files leaves the resolves of the others in place, and they still need it."""
    held = with_project_sources(options.config, files, options.selection,
                                use_cache=options.use_cache).held_container_keys
    if held == options.config.held_container_keys:
        return options
    return replace(options, config=replace(options.config, held_container_keys=held))
