"""Flask-SQLAlchemy in one module: its extension instance (`db = SQLAlchemy(app)`) and the models built on it.

`Model.query` is Flask-SQLAlchemy's query property on `db.Model`: the query it starts runs on the extension's
scoped `db.session`, so under `--target sync` it converts like `db.session.query(Model)` (Q102, recogniser.py). This
module answers the two questions that conversion needs at each `Model.query`:

- is `Model` a class whose bases (through the repository's classes) include `<db>.Model`, where `<db>` is bound to
  `flask_sqlalchemy.SQLAlchemy(...)` or to an instance of a subclass of it, possibly in another module;
- how this module spells that `db` (a module-level name that stands for it), or, when it does not name it, which
  module to import it from.

With the repository index (family F in the run) both follow imports and re-exports across modules. Without it
(`--select Q`), only what this file shows counts: a model class defined here on `<db>.Model`, or a class-like
name imported beside an imported `db` (the weaker evidence the async target already uses for `db.session`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from ..core import pins
from ..core.evidence import ReceiverEvidence
from ..core.nodes import dotted_name

EXTENSION_CLASSES = frozenset({"flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy"})
MAX_FOLLOW = 16


def terminal_problem(root: Path, terminal: str) -> str | None:
    """Why the project's Flask-SQLAlchemy has no `db.<terminal>()` (None: it has; no pin means the newest, 3.x)."""
    cap = pins.ceiling(root, "flask-sqlalchemy")
    if cap is None or cap.allows((3, 0)):
        return None
    shown = ".".join(map(str, cap.version))
    return (f"Flask-SQLAlchemy {'' if cap.inclusive else '< '}{shown} (pinned in {cap.source}) has no "
            f"`db.{terminal}()`, which 3.0 added; `{terminal}()` stays until the upgrade")


def sqlalchemy_problem(root: Path) -> str | None:
    """Why the project's SQLAlchemy cannot run what `--target sync` writes (`select()` run by
    `session.scalars()`, SQLAlchemy 1.4.24+), or None."""
    cap = pins.ceiling(root, "sqlalchemy")
    if cap is None or cap.allows((1, 4, 24)):
        return None
    shown = ".".join(map(str, cap.version))
    return (f"SQLAlchemy {'' if cap.inclusive else '< '}{shown} (pinned in {cap.source}) has no "
            "`Session.scalars()` (1.4.24) for 2.0-style `select()` statements; the query stays until the upgrade")


@dataclass(frozen=True)
class FlaskDb:
    """How a module reaches the extension instance: `name` in scope, or `name` imported from `home`."""

    name: str
    home: str | None = None


class FlaskModels:
    """The Flask-SQLAlchemy facts of one file; `index` is the repository index (None or empty: this file only)."""

    def __init__(self, evidence: ReceiverEvidence, path: str, index, scanner) -> None:
        self.evidence = evidence
        self.path = path
        self.index = index if index is not None and path in index.files else None
        self._scanner = scanner
        self._local: dict[str, bool] | None = None

    # -- the question recogniser.py asks ---------------------------------------------------------------
    def model_db(self, model: cst.BaseExpression) -> FlaskDb | str:
        """The extension whose `db.Model` the class `model` derives from, as this module reaches it; or why not."""
        shown = dotted_name(model) or "the class"
        if self.index is not None:
            home = self._indexed_home(model)
            if home is None:
                return f"`{shown}` is not a model on a Flask-SQLAlchemy `db.Model` that the repository index shows"
            return self._spelling(home)
        name = self._local_model_db(model)
        if name is None:
            return (f"cannot tell that `{shown}` is a Flask-SQLAlchemy model from this file alone (run with the "
                    "repository index: family F selected)")
        return FlaskDb(name)

    # -- with the repository index ----------------------------------------------------------------
    def _indexed_home(self, model: cst.BaseExpression) -> tuple[str, str] | None:
        return self.indexed_home(self._scanner().expr(model))

    def indexed_home(self, model) -> tuple[str, str] | None:
        """(module, name) of the extension whose `db.Model` the class `model` (an index expression read in this
        file) derives from."""
        if model is None or self.index is None:
            return None
        entity = self.index.resolve(model, self.path)
        if entity is None or entity[0] != "class":
            return None
        for path, qualname in self.index.mro(entity[1], entity[2]):
            for base in self.index.cls(path, qualname).bases:
                if base is None:
                    continue
                home = self._db_attribute(base, path, "Model")
                if home is not None:
                    return home
        return None

    def _db_attribute(self, expr, origin: str, attribute: str) -> tuple[str, str] | None:
        """(module, name) of the extension instance when `expr` is `<that instance>.<attribute>`."""
        if expr[0] == "attr" and expr[2] == attribute:
            return self.db_home(expr[1], origin)
        if expr[0] == "name" and expr[1].endswith("." + attribute):
            return self.db_home(("name", expr[1].rpartition(".")[0]), origin)
        return None

    def db_home(self, expr, origin: str, depth: int = 0) -> tuple[str, str] | None:
        """(module, name) where `expr` (a module-level binding or import, followed across modules) is bound to
        the extension instance."""
        if expr is None or depth > MAX_FOLLOW or expr[0] != "name":
            return None
        parts = expr[1].split(".")
        for cut in range(len(parts) - 1, 0, -1):
            path = self.index.module_path(".".join(parts[:cut]), origin)
            if path is None:
                continue
            if len(parts) - cut != 1:
                return None
            summary = self.index.files[path]
            binding = summary.facts.names.get(parts[cut])
            if binding is None:
                return None
            if self._is_extension(binding, path):
                return summary.location.module, parts[cut]
            return self.db_home(binding, path, depth + 1)
        return None

    def _is_extension(self, binding, origin: str) -> bool:
        """`SQLAlchemy(...)`, or a call of a repository class deriving from it (redash's `RedashSQLAlchemy`)."""
        if binding is None or binding[0] != "call" or binding[1] is None:
            return False  # None: a name bound more than once at module level
        callee = binding[1]
        if callee[0] == "name" and callee[1] in EXTENSION_CLASSES:
            return True
        entity = self.index.resolve(callee, origin)
        if entity is None or entity[0] != "class":
            return False
        return any(base is not None and base[0] == "name" and base[1] in EXTENSION_CLASSES
                   for path, qualname in self.index.mro(entity[1], entity[2])
                   for base in self.index.cls(path, qualname).bases)

    def _spelling(self, home: tuple[str, str]) -> FlaskDb:
        """A module-level name of this file standing for the instance, else the import that brings it."""
        found = self.indexed_spelling(home)
        if found.home is None:
            return found
        module, name = home
        # The index may predate this module's text (`migrate` re-reads what it wrote): the import itself counts.
        scope = self.evidence.scopes.get(self.evidence.module)
        if scope is not None and {q.name for q in scope.get_qualified_names_for(name)} == {f"{module}.{name}"}:
            return FlaskDb(name)
        return found

    def indexed_spelling(self, home: tuple[str, str]) -> FlaskDb:
        """What the index shows of this file: a module-level name standing for the instance, else its import."""
        facts = self.index.files[self.path].facts
        module, name = home
        for local, binding in facts.names.items():
            if self._is_extension(binding, self.path) and (facts.module, local) == home:
                return FlaskDb(local)
            if binding is not None and binding[0] == "name" and self.db_home(binding, self.path) == home:
                return FlaskDb(local)
        return FlaskDb(name, module)

    # -- this file alone --------------------------------------------------------------------------
    def _local_model_db(self, model: cst.BaseExpression) -> str | None:
        if not isinstance(model, cst.Name):
            return None
        local = self._local_names()
        for statement in self.evidence.module.body:
            if isinstance(statement, cst.ClassDef) and statement.name.value == model.value:
                for base in statement.bases:
                    value = base.value
                    if isinstance(value, cst.Attribute) and value.attr.value == "Model" \
                            and isinstance(value.value, cst.Name) and value.value.value in local:
                        return value.value.value
                return None
        return next(iter(local)) if len(local) == 1 and model.value[:1].isupper() else None

    def _local_names(self) -> dict[str, bool]:
        """Module-level names bound to the extension here (True) or imported under the name `db` (False)."""
        if self._local is None:
            self._local = {}
            for statement in self.evidence.module.body:
                for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                    if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and len(small.targets) == 1 \
                            and isinstance(small.targets[0].target, cst.Name) \
                            and self.evidence.qualified(small.value.func) & EXTENSION_CLASSES:
                        self._local[small.targets[0].target.value] = True
                    elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                        for alias in small.names:
                            if (alias.evaluated_alias or alias.evaluated_name) == "db":
                                self._local.setdefault("db", False)
        return self._local
