"""Writing a migration all or nothing.

Every new content first goes to a temp file beside the file it replaces, with that file's mode, owner
and group; only once every one is ready are they renamed into place. A failure (or a stop signal) before
then removes the temp files; a failure while renaming puts back the files already renamed, from a hard
link to each original taken beforehand. A symlink is written through: its target is rewritten, once
however many links lead to it, and the link stays a link.

Temp files are named `.<name>.<pid>.<random>.sqlasync-tmp`; those a killed run left behind (its pid no
longer running) are removed by the next run that writes in the same folders.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .interrupts import stop_signal_waiting, stop_signals_held
from .supervisor import files_being_written

TEMP_SUFFIX = ".sqlasync-tmp"


class WriteError(Exception):
    """A file of the run could not be written; nothing of the run was."""


@dataclass(frozen=True)
class _Staged:
    shown: Path      # as the run names it (a link, perhaps)
    target: Path     # the regular file that is rewritten
    temp: Path       # its new content, ready to be renamed over it
    backup: Path     # the original, to put back if a later rename fails


def write_all(changes: Sequence[tuple[Path, bytes]], originals: Sequence[bytes] | None = None) -> None:
    """Replace each path's content, all or nothing; raises WriteError naming the path that failed. With
    `originals` (each path's content when the run read it), a file edited since is not overwritten: the
    run stops, nothing written (a long migration and an editor open on the same tree)."""
    with files_being_written():
        staged: list[_Staged] = []
        current: Path | None = None
        try:
            targets: set[Path] = set()
            for index, (current, content) in enumerate(changes):
                target = current.resolve(strict=True)
                if target not in targets:
                    targets.add(target)
                    if originals is not None and target.read_bytes() != originals[index]:
                        raise WriteError(f"{current} changed on disk while sqlasync read the project; nothing "
                                         "was written (run it again)")
                    _stage(current, target, content, staged)
        except BaseException as exc:
            _discard(staged)
            if isinstance(exc, OSError):
                raise WriteError(f"cannot write {current}: {_reason(exc)}; "
                                 "nothing was written") from exc
            raise
        with stop_signals_held():
            if stop_signal_waiting():
                _discard(staged)
                return  # the signal is raised as the block ends
            _commit(staged)


def put_back(changes: Sequence[tuple[Path, bytes]]) -> None:
    """Like `write_all`, but a stop signal that arrives meanwhile waits until every file is written: this
    is what puts the tree back after one (`migrate --verify` undoing the batch it was stopped in)."""
    with files_being_written(), stop_signals_held():
        staged: list[_Staged] = []
        try:
            for path, content in changes:
                _stage(path, path.resolve(strict=True), content, staged)
        except OSError as exc:
            _discard(staged)
            raise WriteError(f"cannot put back {path}: {_reason(exc)}") from exc
        _commit(staged)


def replace_whole(path: Path, content: bytes) -> None:
    """Write a file of sqlasync's own (a report) so that it is either its old self or wholly the new one: a
    full disk or a stop signal halfway leaves the previous report, not half of the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_name(path)
    with files_being_written():
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


def remove_stale_temps(folders: Iterable[Path]) -> None:
    """Remove the temp files a killed run left in `folders` (those of a run still going stay)."""
    for folder in set(folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX) and not _owner_running(entry.name):
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass  # not ours to remove, or gone already: either way it does not block this run


def _stage(shown: Path, target: Path, content: bytes, staged: list[_Staged]) -> None:
    info = target.stat()
    entry = _Staged(shown, target, _temp_name(target), _temp_name(target))
    # Recorded before anything is created, so that whatever stops this leaves nothing behind.
    staged.append(entry)
    fd = os.open(entry.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        _keep_owner(handle.fileno(), info)
        os.fchmod(handle.fileno(), info.st_mode & 0o7777)
        os.fsync(handle.fileno())
    try:
        os.link(target, entry.backup)
    except OSError:
        shutil.copy2(target, entry.backup)  # a file system without hard links


def _keep_owner(fd: int, info: os.stat_result) -> None:
    """Owner and group of the original where this process may set them (root may; others may keep the group
    when they belong to it); otherwise the new file is the writer's, as any editor would leave it."""
    if (info.st_uid, info.st_gid) == (os.geteuid(), os.getegid()):
        return
    for uid in (info.st_uid, -1):
        try:
            os.fchown(fd, uid, info.st_gid)
            return
        except PermissionError:
            continue


def _commit(staged: list[_Staged]) -> None:
    renamed: list[_Staged] = []
    try:
        for entry in staged:
            os.replace(entry.temp, entry.target)
            renamed.append(entry)
    except OSError as exc:
        failed = staged[len(renamed)]
        unrestored = _restore(renamed)
        _discard(staged)
        message = f"cannot write {failed.shown}: {_reason(exc)}; nothing was written"
        if unrestored:
            message = (f"cannot write {failed.shown}: {_reason(exc)}; these were rewritten and could not be put "
                       f"back: {', '.join(unrestored)}")
        raise WriteError(message) from exc
    _discard(staged)


def _restore(renamed: list[_Staged]) -> list[str]:
    unrestored = []
    for entry in renamed:
        try:
            os.replace(entry.backup, entry.target)
        except OSError as exc:
            unrestored.append(f"{entry.shown} ({_reason(exc)})")
    return unrestored


def _discard(staged: list[_Staged]) -> None:
    for entry in staged:
        for path in (entry.temp, entry.backup):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # the folder refused the file in the first place


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def _owner_running(name: str) -> bool:
    """Does the run that made temp file `name` still run? (Names without a pid come from older versions.)"""
    parts = name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
