"""What the real-world scripts (flask_query_sites.py, project_suite.py) do to a project before measuring it:
fetch it at a fixed commit from a mirror, raise its pins, and apply the small compatibility edits that a raised
pin needs in the project's own code (none of it is the migration's work; the same edits go into the copy that is
measured before and the one migrated after).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# Lock files that pin exactly; with the pins raised they contradict the project file, so they go.
LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock")
PIN_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def extract(mirror: Path, commit: str, into: Path, paths: tuple[str, ...] = ()) -> None:
    """`git archive COMMIT [PATHS] | tar -x` from a bare mirror into a new folder."""
    into.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(mirror), "archive", commit, *paths], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed in {mirror}")


def raise_pins(root: Path, pins: dict[str, str], python: str | None = None) -> list[str]:
    """Rewrite `name==version` (any comparison) of each distribution in `pins` to `name==pins[name]` in the
    project file(s) and requirements files under `root`. A uv.lock is locked again with `uv lock` (`--python`),
    which moves only what the raised pins need and keeps every other locked version (re-resolving from scratch
    took newer releases of unpinned packages, e.g. a setuptools without pkg_resources, which redash's CLI
    imports); without uv, and for the other lock files, the lock is dropped. Returns what was changed."""
    changed = []
    files = [root / name for name in PIN_FILES] + sorted(root.glob("requirements*.txt")) + sorted(
        root.glob("requirements/*.txt"))
    for path in files:
        if not path.is_file():
            continue
        text = original = path.read_text()
        for name, version in pins.items():
            # The name as written (case and -/_ vary), not followed by more of a name, then a version clause
            # (extras and markers after it are kept).
            spelled = "[-_.]".join(re.escape(part) for part in re.split(r"[-_.]", name))
            text = re.sub(rf"(?i)(?<![\w.-])({spelled})(\[[^\]]*\])?\s*(==|~=|>=|<=|<|>)[^;,\"'\s\]]+(\s*,\s*[<>=!~]=?[^;,\"'\s\]]+)*",
                          lambda m, v=version: f"{m.group(1)}{m.group(2) or ''}=={v}", text)
        if text != original:
            path.write_text(text)
            changed.append(path.relative_to(root).as_posix())
    if (root / "uv.lock").is_file() and changed and shutil.which("uv") is not None:
        command = ["uv", "lock", *(["--python", python] if python else [])]
        relock = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        if relock.returncode == 0:
            changed.append("uv.lock (locked again: " + "; ".join(
                line.strip() for line in relock.stderr.splitlines() if line.strip().startswith("Updated")) + ")")
    for name in LOCK_FILES:
        if (root / name).is_file() and not (name == "uv.lock" and any(c.startswith("uv.lock") for c in changed)):
            (root / name).unlink()
            changed.append(f"{name} (removed)")
    return changed


def edit(root: Path, path: str, anchor: str, replacement: str, why: str) -> None:
    """Replace the one occurrence of `anchor` in root/path; refuse when it is not there exactly once (the project
    moved on: the edit must be looked at again)."""
    target = root / path
    text = target.read_text()
    if text.count(anchor) != 1:
        raise SystemExit(f"compat edit ({why}): {path} holds {text.count(anchor)} occurrence(s) of {anchor!r}")
    target.write_text(text.replace(anchor, replacement))


# redash at ca79fe9 runs on SQLAlchemy 1.3 and Flask-SQLAlchemy 2.5. With SQLAlchemy 1.4 (either Flask-SQLAlchemy)
# three places of its own code break, and with Flask-SQLAlchemy 3 three more (one of them a Query site: paginate's
# arguments):
_QUERY_ORDER_HELPERS = '''

def _is_entity(expr):
    return isclass(expr) or isinstance(expr, (sa.orm.util.AliasedClass, AliasedInsp, sa.orm.Mapper))


def _query_labels(query):
    # SQLAlchemy 1.4: neither a Query nor a Select keeps _entities; column_descriptions names each column.
    return [d["name"] for d in query.column_descriptions if d["name"] and not _is_entity(d["expr"])]


def _join_entities(query):
    # SQLAlchemy 1.4: Query._join_entities is gone. The joins are in _legacy_setup_joins (Query.join) or
    # _setup_joins (Select.join), each (target, onclause, from, flags); a class target is coerced to its table,
    # annotated with the class's mapper.
    found = []
    joins = tuple(getattr(query, "_legacy_setup_joins", ())) + tuple(getattr(query, "_setup_joins", ()))
    for target, onclause, *_ in joins:
        for candidate in (target, onclause):
            prop = getattr(candidate, "property", None)
            if isinstance(prop, sa.orm.RelationshipProperty):
                found.append(prop.mapper.class_)
                break
            if candidate is not None and _is_entity(candidate):
                found.append(candidate)
                break
            parent = getattr(candidate, "_annotations", {}).get("parententity")
            if parent is not None:
                found.append(parent.entity)
                break
    return found


def _all_mappers():
    # SQLAlchemy 1.4: mappers belong to registries; mapperlib._mapper_registry is gone.
    return [mapper for registry in mapperlib._all_registries() for mapper in registry.mappers]

'''


def redash_sqlalchemy14(root: Path) -> list[str]:
    """The edits redash needs to run on SQLAlchemy 1.4 (with Flask-SQLAlchemy 2.5 or 3.0). Returns their reasons."""
    reasons = []
    # 1. redash/utils/query_order.py (a copy of SQLAlchemy-Utils' sort_query) reads Query internals 1.4 removed
    #    (_ColumnEntity's module, Query._entities, Query._join_entities, mapperlib._mapper_registry): every list
    #    handler that sorts fails to import. The helpers above read the same through 1.4's API, for a Query and
    #    for a Select (what the migration may hand to it).
    order = "redash/utils/query_order.py"
    edit(root, order, "from sqlalchemy.orm.query import _ColumnEntity\n",
         "from sqlalchemy.orm.context import _ColumnEntity, _MapperEntity\n", "1.4 moved the query entities")
    edit(root, order, "\n\ndef get_query_descriptor(", _QUERY_ORDER_HELPERS + "\ndef get_query_descriptor(",
         "1.4 helpers")
    text = (root / order).read_text()
    labels = re.search(r"(def query_labels\(query\):\n(?:.*\n)*?)    return \[\n(?:.*\n)*?    \]\n", text)
    if labels is None:
        raise SystemExit(f"compat edit: {order} has no query_labels of the expected shape")
    text = text[:labels.start()] + labels.group(1) + "    return _query_labels(query)\n" + text[labels.end():]
    (root / order).write_text(text)
    edit(root, order, "for entity in query._join_entities]", "for entity in _join_entities(query)]",
         "1.4 removed Query._join_entities")
    edit(root, order, "sa.orm.query._MapperEntity", "_MapperEntity", "1.4 moved _MapperEntity")
    edit(root, order, "sa.orm.query._ColumnEntity", "_ColumnEntity", "1.4 moved _ColumnEntity")
    edit(root, order, "mapperlib._mapper_registry if", "_all_mappers() if", "1.4 removed _mapper_registry")
    reasons.append(f"{order}: SQLAlchemy 1.4 removed the Query internals its sort_query reads")
    # 2. ChangeTrackingMixin.__setattr__ reads every column before setting anything; 1.4 sets an instance's
    #    state through setattr too, before any column can be read (UnmappedInstanceError on every new Query).
    edit(root, "redash/models/changes.py", "    def __setattr__(self, key, value):\n",
         "    def __setattr__(self, key, value):\n"
         "        if key == \"_sa_instance_state\":  # SQLAlchemy 1.4 sets the state through setattr\n"
         "            return super(ChangeTrackingMixin, self).__setattr__(key, value)\n",
         "1.4 sets _sa_instance_state with setattr")
    reasons.append("redash/models/changes.py: SQLAlchemy 1.4 sets an instance's state through __setattr__")
    # 3. The tests' tearDown disposes `db.get_engine(app)`; Flask-SQLAlchemy 3 takes a bind key there (KeyError).
    #    `db.engine` is the same engine on 2.5 and 3.0.
    edit(root, "tests/__init__.py", "db.get_engine(self.app).dispose()", "db.engine.dispose()",
         "Flask-SQLAlchemy 3 get_engine takes a bind key")
    reasons.append("tests/__init__.py: Flask-SQLAlchemy 3's get_engine takes a bind key, not the app")
    # 4. TestJWTAuthentication.tearDown does not call the base tearDown, so its session is never removed. On
    #    Flask-SQLAlchemy 2.5 the session is scoped to the thread and the next setUp's `db.session.close()` ends its
    #    transaction; on 3.0 it is scoped to the app context, the next test gets another session, and its
    #    `drop_all` waits forever on the locks the first one holds. Closing every session there ends it on both.
    edit(root, "tests/__init__.py", "        db.session.close()\n        db.drop_all()\n",
         "        db.session.close()\n        close_all_sessions()\n        db.drop_all()\n",
         "Flask-SQLAlchemy 3 scopes the session to the app context")
    edit(root, "tests/__init__.py", "from unittest import TestCase\n",
         "from unittest import TestCase\n\nfrom sqlalchemy.orm import close_all_sessions\n", "its import")
    reasons.append("tests/__init__.py: a test that skips the base tearDown leaves its session open, which "
                   "Flask-SQLAlchemy 3 (sessions per app context) no longer closes in the next setUp")
    # 5. redash's paginate helper calls `query_set.paginate(page, page_size)`; Flask-SQLAlchemy 3 takes keywords only
    #    (TypeError on every paginated list). The keywords mean the same on 2.5.
    edit(root, "redash/handlers/base.py", "query_set.paginate(page, page_size)",
         "query_set.paginate(page=page, per_page=page_size)", "Flask-SQLAlchemy 3 paginate takes keywords")
    reasons.append("redash/handlers/base.py: Flask-SQLAlchemy 3's Query.paginate takes keyword arguments only")
    return reasons


COMPAT = {"redash-sqlalchemy14": redash_sqlalchemy14}
