"""`migrate`'s writing: all files or none, symlinks written through, owner and mode kept, leftovers of a
killed run removed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sqlasync.writing as writing
from sqlasync.writing import TEMP_SUFFIX, WriteError, remove_stale_temps, write_all


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(f"*{TEMP_SUFFIX}"))


def test_a_failed_rename_puts_back_the_files_already_renamed(tmp_path: Path, monkeypatch) -> None:
    files = [tmp_path / name for name in ("a.py", "b.py", "c.py")]
    for file in files:
        file.write_text(f"old {file.name}\n")
    real_replace = os.replace
    renamed = []

    def replace_failing_on_the_second(source, target):
        if str(source).endswith(TEMP_SUFFIX) and Path(target).name == "b.py":
            raise OSError(5, "Input/output error")
        renamed.append(Path(target).name)
        real_replace(source, target)

    monkeypatch.setattr(writing.os, "replace", replace_failing_on_the_second)
    with pytest.raises(WriteError, match=r"cannot write .*b\.py: Input/output error; nothing was written"):
        write_all([(file, f"new {file.name}\n".encode()) for file in files])
    assert renamed[0] == "a.py"  # a.py was renamed into place, then put back
    assert [file.read_text() for file in files] == ["old a.py\n", "old b.py\n", "old c.py\n"]
    assert _temps(tmp_path) == []


def test_a_file_that_cannot_be_prepared_stops_the_run_before_any_rename(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("old\n")
    second.write_text("old\n")
    real_open = os.open

    def open_refusing_b(path, flags, mode=0o777):
        if Path(path).name.startswith(".b.py."):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(writing.os, "open", open_refusing_b)
    with pytest.raises(WriteError, match=r"cannot write .*b\.py: Permission denied; nothing was written"):
        write_all([(first, b"new\n"), (second, b"new\n")])
    assert first.read_text() == second.read_text() == "old\n"
    assert _temps(tmp_path) == []


def test_a_file_edited_since_the_run_read_it_is_not_overwritten(tmp_path: Path) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("old\n")
    second.write_text("edited meanwhile\n")
    with pytest.raises(WriteError, match=r"b\.py changed on disk while sqlasync read the project; nothing was "
                                         r"written"):
        write_all([(first, b"new\n"), (second, b"new\n")], [b"old\n", b"old\n"])
    assert (first.read_text(), second.read_text()) == ("old\n", "edited meanwhile\n")
    assert _temps(tmp_path) == []


def test_a_symlink_is_written_through_once_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "impl.py"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    link, other_link = tmp_path / "link.py", tmp_path / "again.py"
    link.symlink_to("real/impl.py")
    other_link.symlink_to(target)
    write_all([(link, b"new\n"), (other_link, b"new\n")])
    assert link.is_symlink() and other_link.is_symlink()
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o7777 == 0o640
    assert _temps(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_owner_and_group_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "owned.py"
    target.write_text("old\n")
    os.chown(target, 65534, 65534)
    write_all([(target, b"new\n")])
    info = target.stat()
    assert (info.st_uid, info.st_gid) == (65534, 65534)
    assert target.read_text() == "new\n"


def test_temp_files_of_a_killed_run_are_removed_and_a_live_run_s_are_not(tmp_path: Path) -> None:
    # Above the largest pid Linux allows: no run has it.
    dead = tmp_path / f".svc.py.{2**22 + 12345}.0a1b2c3d{TEMP_SUFFIX}"
    older_format = tmp_path / f".svc.py.x8Fq2_ab{TEMP_SUFFIX}"  # written by versions without the pid
    live = tmp_path / f".svc.py.{os.getppid()}.0a1b2c3d{TEMP_SUFFIX}"
    unrelated = tmp_path / ".svc.py.bak"
    for path in (dead, older_format, live, unrelated):
        path.write_text("partial")
    remove_stale_temps([tmp_path])
    assert not dead.exists() and not older_format.exists()
    assert live.exists() and unrelated.exists()


def test_put_back_writes_every_file_while_a_stop_signal_waits_and_write_all_does_not(tmp_path: Path) -> None:
    """`migrate --verify` puts a batch back after Ctrl-C: a second signal then must not leave it half undone."""
    import signal
    import threading

    from sqlasync.interrupts import Interrupted, stop_signals_held, stop_signals_raise
    from sqlasync.writing import put_back

    files = [tmp_path / name for name in ("a.py", "b.py")]
    for file in files:
        file.write_text("migrated\n")
    for write, expected in ((write_all, "migrated\n"), (put_back, "legacy\n")):
        with stop_signals_raise(), pytest.raises(Interrupted):
            with stop_signals_held():
                # To the main thread itself: sent to the process, a signal may land on another thread (xdist's
                # own), whose mask does not hold it, and Python then runs the handler in the main thread at once.
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # waits until the block ends
                write([(file, b"legacy\n") for file in files])
        assert [file.read_text() for file in files] == [expected, expected], write.__name__
    assert _temps(tmp_path) == []
