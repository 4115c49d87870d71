"""The class a relationship attribute leads to (`Post.author` → `Author`), as the module at hand can write it.

Legacy `filter_by()` after `join(Post.author)` binds its keywords to the joined class; the 2.0 statement names
that class (`.where(Author.name == name)`). The source only shows the relationship, so the repository index
answers which class it is, from the models in the repository:

- `author = relationship("Author")`, `relationship(Author)`, `db.relationship(...)` (Flask-SQLAlchemy),
  `author: Mapped["Author"]`, `posts: Mapped[list["Post"]]`, on the class or one of its bases;
- `posts = relationship("Post", backref="author")` (or `backref=backref("author")`) on the other class.

A class named by a string is looked up as SQLAlchemy's registry does, by its name among the repository's
classes, when the declaring module does not import it. The answer is written with a name this module already
binds to the class (`Author`, or `models.Author` through an imported module), else it says why.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from ..index.facts import Relationship
from ..index.scan import ModuleScanner
from ..core.evidence import ReceiverEvidence
from ..core.nodes import metadata_value

Entity = tuple


class RelatedClasses:
    """Relationship targets seen from one file; `index` is the repository index (None: nothing is known)."""

    def __init__(self, index, path: str, scanner: Callable[[], ModuleScanner], evidence: ReceiverEvidence) -> None:
        self.index = index if index is not None and path in index.files else None
        self.path = path
        self._scanner = scanner
        self.evidence = evidence

    def joined_class(self, attribute: cst.BaseExpression) -> cst.BaseExpression | str | None:
        """The class `attribute` (`Model.relationship`) joins to, spelled for this module; a reason when it is
        a relationship whose class cannot be written here; None when it is not a relationship the index shows."""
        if self.index is None or not isinstance(attribute, cst.Attribute):
            return None
        owner = self.index.resolve(self._scanner().expr(attribute.value), self.path)
        if owner is None or owner[0] != "class":
            return None
        name = attribute.attr.value
        target = self._declared(owner, name) or self._backref(owner, name)
        if target is None:
            return None
        if isinstance(target, str):
            return target
        spelled = self._spelling(target, attribute)
        if spelled is not None:
            return spelled
        module = self.index.files[target[1]].location.module
        return (f"the joined class `{module}.{target[2]}` (the target of `{name}`) has no name in this module; "
                f"import it to convert")

    # -- which class ---------------------------------------------------------------------------------
    def _declared(self, owner: Entity, name: str) -> Entity | str | None:
        for path, qualname in self.index.mro(owner[1], owner[2]):
            relationship = self.index.cls(path, qualname).relationships.get(name)
            if relationship is not None:
                return self._target(relationship, path) or (
                    f"cannot tell which class the relationship `{qualname}.{name}` leads to")
        return None

    def _target(self, relationship: Relationship, path: str) -> Entity | None:
        target = self.index.resolve(relationship.target, path)
        if target is not None and target[0] == "class":
            return target
        # `relationship("Author")` in a module that does not import Author: SQLAlchemy's registry finds it by name.
        written = relationship.target
        if written is not None and written[0] == "inst":
            written = written[1]
        if written is None or written[0] != "name":
            return None
        simple = written[1].rpartition(".")[2]
        found = [("class", file, simple) for file, summary in self.index.files.items()
                 if simple in summary.facts.classes]
        return found[0] if len(found) == 1 else None

    def _backref(self, owner: Entity, name: str) -> Entity | None:
        """The class declaring `relationship(<owner or a base>, backref=name)`."""
        ancestors = set(self.index.mro(owner[1], owner[2]))
        found = {("class", path, qualname)
                 for path, summary in self.index.files.items()
                 for qualname, facts in summary.facts.classes.items()
                 for relationship in facts.relationships.values()
                 if relationship.backref == name and (target := self._target(relationship, path)) is not None
                 and (target[1], target[2]) in ancestors}
        return found.pop() if len(found) == 1 else None

    # -- how this module writes it ---------------------------------------------------------------------
    def _spelling(self, target: Entity, site: cst.CSTNode) -> cst.BaseExpression | None:
        """A module-level name bound to the class (`Author`), else an imported module's attribute for it
        (`models.Author`); the name must mean that binding at `site`."""
        names = self.index.files[self.path].facts.names
        simple = target[2].rpartition(".")[2]
        for local in sorted(names, key=lambda local: local != simple):
            if self.index.resolve(names[local], self.path) == target and self._module_level_at(local, site):
                return cst.Name(local)
        for local in sorted(names):
            module = self.index.resolve(names[local], self.path)
            if module is not None and module[0] == "module" and self._module_level_at(local, site) \
                    and self.index.member(module, simple, 0) == target:
                return cst.Attribute(cst.Name(local), cst.Name(simple))
        return None

    def _module_level_at(self, name: str, site: cst.CSTNode) -> bool:
        scope = metadata_value(self.evidence.scopes, site)
        if scope is None or name not in scope:
            return False
        assignments = list(scope[name])
        return bool(assignments) and all(a.scope is scope.globals for a in assignments)
