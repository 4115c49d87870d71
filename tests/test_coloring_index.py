"""The repository index behind async coloring: module names, name resolution across files, the
fixpoint's verdicts and the index's scope."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import libcst as cst
import pytest

from sqlasync.codemods.index.scan import ModuleScanner
from sqlasync.codemods.coloring.solution import ALREADY_ASYNC, BECOMES, NOT_NEEDED, STAYS_SYNC
from sqlasync.codemods.core.family import FileContext
from sqlasync.codemods.index.repo_index import ModuleLocation, locate_module, scan_module
from sqlasync.codemods.index import repo_scope
from sqlasync.codemods.index.repo_scope import ImportCache, expand, source_roots
from sqlasync.config import Config, load_config
from sqlasync.discovery import discover
from sqlasync.runner import Options, with_coloring
from sqlasync.selection import Selection


def _project(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _coloring(root: Path, monkeypatch, paths=(".",)):
    monkeypatch.chdir(root)
    config = load_config([Path(p) for p in paths])
    files = discover([Path(p) for p in paths], config)
    options = Options(config, Selection(), "async", jobs=1, use_cache=False)
    return with_coloring(files, options).coloring


SAVE = "def save(db, job):\n    db.add(job)\n    db.commit()\n    return job\n"


def test_module_names_follow_packages(tmp_path: Path) -> None:
    _project(tmp_path, {"proj/app/__init__.py": "", "proj/app/services/__init__.py": "",
                        "proj/app/services/jobs.py": "", "proj/tests/test_jobs.py": ""})
    jobs = locate_module(tmp_path / "proj/app/services/jobs.py")
    assert (jobs.module, jobs.package, jobs.source_root) == ("app.services.jobs", "app.services",
                                                             (tmp_path / "proj").as_posix())
    package = locate_module(tmp_path / "proj/app/services/__init__.py")
    assert (package.module, package.package) == ("app.services", "app.services")
    test = locate_module(tmp_path / "proj/tests/test_jobs.py")
    assert (test.module, test.source_root) == ("test_jobs", (tmp_path / "proj/tests").as_posix())


@pytest.fixture
def resolving(tmp_path: Path) -> Path:
    _project(tmp_path, {
        "app/__init__.py": "",
        "app/dao.py": SAVE,
        "app/reexport/__init__.py": "from app.dao import save as persist\n",
        "app/repo.py": (
            "from typing import Generic, TypeVar\n\nfrom app.dao import save\n\nT = TypeVar('T')\n\n\n"
            "class Base(Generic[T]):\n    def create(self, db, obj) -> T:\n        return save(db, obj)\n\n\n"
            "class Job:\n    __tablename__ = 'jobs'\n\n\nclass JobRepo(Base[Job]):\n    def again(self, db, obj):\n"
            "        return super().create(db, obj)\n"
        ),
        "app/callers.py": (
            "import app.dao\nfrom app import dao as d\nfrom app.reexport import persist\nfrom app.repo import JobRepo\n\n"
            "repo = JobRepo()\n\n\n"
            "def by_alias(db):\n    return d.save(db, 1)\n\n\n"
            "def by_attribute(db):\n    return app.dao.save(db, 1)\n\n\n"
            "def by_reexport(db):\n    return persist(db, 1)\n\n\n"
            "def by_module_instance(db):\n    return repo.create(db, 1)\n\n\n"
            "def by_annotation(db, other: JobRepo):\n    return other.again(db, 1)\n\n\n"
            "def by_constructor(db):\n    local = JobRepo()\n    return local.create(db, 1)\n\n\n"
            "def untouched(x):\n    return x + 1\n"
        ),
    })
    return tmp_path


def test_calls_resolve_across_modules(resolving: Path, monkeypatch) -> None:
    coloring = _coloring(resolving, monkeypatch)
    assert coloring.verdict(("app/dao.py", "save")) == BECOMES
    for caller in ("by_alias", "by_attribute", "by_reexport", "by_module_instance", "by_annotation",
                   "by_constructor"):
        assert coloring.verdict(("app/callers.py", caller)) == BECOMES, caller
    assert coloring.verdict(("app/repo.py", "JobRepo.again")) == BECOMES  # through super()
    assert coloring.verdict(("app/callers.py", "untouched")) == NOT_NEEDED


def test_generic_repository_method_returns_its_type_argument(resolving: Path, monkeypatch) -> None:
    index = _coloring(resolving, monkeypatch).index
    created = ("call", ("attr", ("call", ("name", "app.repo.JobRepo")), "create"))
    assert index.resolve(created, "app/callers.py") == ("instance", "app/repo.py", "Job")


def test_partial_migration_keeps_callees_of_legacy_code_sync(resolving: Path, monkeypatch) -> None:
    coloring = _coloring(resolving, monkeypatch, paths=("app/dao.py",))
    # callers.py is not migrated: save, which it calls, must stay sync for it.
    assert coloring.verdict(("app/dao.py", "save")) == STAYS_SYNC
    assert "not part of this migration" in coloring.reason(("app/dao.py", "save"))


def test_blocking_flows_down_to_callees_and_across_overrides(tmp_path: Path, monkeypatch) -> None:
    _project(tmp_path, {
        "m.py": (
            SAVE + "\n\ndef helper(db):\n    return save(db, 1)\n\n\n"
            "class Stats:\n    @property\n    def total(self):\n        return helper(self.db)\n\n\n"
            "class Repo:\n    def store(self, db):\n        db.flush()\n\n\n"
            "class Special(Repo):\n    def store(self, db):\n        return None\n\n\n"
            "def key(db):\n    db.commit()\n\n\n"
            "def ordered(items):\n    return sorted(items, key=key)\n\n\n"
            "async def already(db):\n    await db.commit()\n"
        ),
    })
    coloring = _coloring(tmp_path, monkeypatch)
    # The property cannot await, so what it calls stays sync with it; the property itself hands its session to
    # that sync I/O, so it is reported as staying sync (F107) for the reason it has.
    assert coloring.verdict(("m.py", "Stats.total")) == STAYS_SYNC
    assert "@property" in coloring.reason(("m.py", "Stats.total"))
    assert coloring.verdict(("m.py", "helper")) == STAYS_SYNC
    assert coloring.verdict(("m.py", "save")) == STAYS_SYNC
    assert "Stats.total" in coloring.reason(("m.py", "save"))
    assert coloring.verdict(("m.py", "Repo.store")) == BECOMES
    assert coloring.verdict(("m.py", "Special.store")) == BECOMES  # overrides share one color
    assert coloring.verdict(("m.py", "key")) == STAYS_SYNC
    assert "sorted" in coloring.reason(("m.py", "key"))
    assert coloring.verdict(("m.py", "already")) == ALREADY_ASYNC


CALLBACKS = SAVE + (
    "\n\nclass Saver:\n    def __init__(self, db):\n        self.db = db\n\n    def save(self, job):\n"
    "        return save(self.db, job)\n\n\n"
    "def each(callback, jobs):\n    return [callback(job) for job in jobs]\n\n\n"
    "def relay(callback, jobs):\n    return each(callback, jobs)\n\n\n"
    "def handler(db, jobs):\n    return relay(Saver(db).save, jobs)\n"
)


def test_a_called_parameter_handed_only_functions_that_become_async_is_awaited(tmp_path: Path, monkeypatch) -> None:
    _project(tmp_path, {"m.py": CALLBACKS})
    coloring = _coloring(tmp_path, monkeypatch)
    # The bound method reaches `each` through `relay`, which only hands it on: all three follow it.
    for function in ("Saver.save", "each", "relay", "handler"):
        assert coloring.verdict(("m.py", function)) == BECOMES, function
    assert coloring.callables.awaited == {("m.py", "each"): {"callback"}}


def test_a_called_parameter_that_also_receives_a_sync_function_keeps_both_sync(tmp_path: Path, monkeypatch) -> None:
    _project(tmp_path, {"m.py": CALLBACKS + "\n\ndef log(job):\n    return job\n\n\n"
                                            "def report(jobs):\n    return each(log, jobs)\n"})
    coloring = _coloring(tmp_path, monkeypatch)
    assert coloring.verdict(("m.py", "Saver.save")) == STAYS_SYNC
    assert "also receives `log`" in coloring.reason(("m.py", "Saver.save"))
    assert coloring.verdict(("m.py", "each")) == NOT_NEEDED
    assert coloring.callables.awaited == {}


def test_a_callable_that_escapes_is_not_followed(tmp_path: Path, monkeypatch) -> None:
    _project(tmp_path, {"m.py": CALLBACKS.replace("return [callback(job) for job in jobs]",
                                                  "HOOKS.append(callback)\n    return [callback(job) for job in jobs]")
                        + "\n\nHOOKS = []\n"})
    coloring = _coloring(tmp_path, monkeypatch)
    assert coloring.verdict(("m.py", "each")) == NOT_NEEDED
    assert coloring.callables.sources == {}
    assert coloring.verdict(("m.py", "Saver.save")) != BECOMES


def test_fixture_values_and_dependencies(tmp_path: Path, monkeypatch) -> None:
    _project(tmp_path, {
        "app/__init__.py": "",
        "app/dao.py": SAVE,
        "app/routes.py": (
            "from fastapi import Depends\n\nfrom app.dao import save\n\n\n"
            "def current(db=Depends(lambda: None)):\n    return save(db, 1)\n\n\n"
            "def route(user=Depends(current)):\n    return user\n"
        ),
        "tests/conftest.py": (
            "import pytest\n\nfrom app.dao import save\n\n\n@pytest.fixture\ndef make(db):\n"
            "    def _make():\n        return save(db, 1)\n\n    return _make\n"
        ),
        "tests/test_make.py": "def test_make(make):\n    assert make() == 1\n",
    })
    coloring = _coloring(tmp_path, monkeypatch)
    assert coloring.verdict(("app/routes.py", "current")) == BECOMES
    assert coloring.roles[("app/routes.py", "current")] == "dependency"
    assert coloring.verdict(("app/routes.py", "route")) == NOT_NEEDED
    assert coloring.verdict(("tests/conftest.py", "make.<locals>._make")) == BECOMES
    assert coloring.verdict(("tests/conftest.py", "make")) == NOT_NEEDED
    assert coloring.verdict(("tests/test_make.py", "test_make")) == BECOMES
    assert coloring.anyio_homes() == {"tests/conftest.py"}


def _callees(source: str) -> dict[tuple[int, str], tuple]:
    """The callee of each `x.method(...)` call in module `m.py`, by line and method."""
    wrapper = cst.MetadataWrapper(cst.parse_module(source))
    context = FileContext(PurePosixPath("m.py"), Config(root=Path(".")), wrapper)
    facts = scan_module(wrapper, "m.py", ModuleLocation("m", "", "."), context.evidence)
    return {(site.line, site.method): site.callee for site in facts.calls if site.method is not None}


def test_a_name_rebound_from_itself_holds_each_step_applied_to_the_others() -> None:
    callees = _callees(
        "def make():\n    return 1\n\n\n"
        "def run(a):\n    q = make()\n    if a:\n        q = q.where(1)\n    q = q.order(2)\n    return q.done()\n")
    start = ("call", ("name", "m.make"))

    def step(value, method):
        return ("call", ("attr", value, method))

    # Each binding's own read sees the name without that binding: the start, or the start with the other step.
    assert callees[(8, "where")] == ("attr", ("either", start, step(start, "order")), "where")
    assert callees[(9, "order")] == ("attr", ("either", start, step(start, "where")), "order")
    after_where = step(("either", start, step(start, "order")), "where")
    after_order = step(("either", start, step(start, "where")), "order")
    assert callees[(10, "done")] == ("attr", ("either", ("either", start, after_where), after_order), "done")


def test_a_long_chain_of_rebindings_resolves_like_a_short_one(tmp_path: Path, monkeypatch) -> None:
    # Worked out along every order of its steps, a chain of 30 `found = found.where(...)` would never finish.
    steps = "".join(f"    if flag == {i}:\n        found = found.where({i})\n" for i in range(30))
    _project(tmp_path, {"m.py": (
        "class Finder:\n    def where(self, x) -> \"Finder\":\n        return self\n\n"
        "    def save(self, db):\n        db.commit()\n\n\n"
        f"def run(db, flag):\n    found = Finder()\n{steps}    return found.save(db)\n")})
    coloring = _coloring(tmp_path, monkeypatch)
    assert coloring.verdict(("m.py", "Finder.save")) == BECOMES
    assert coloring.verdict(("m.py", "run")) == BECOMES  # `found.save(db)` resolved through the chain


def test_a_chain_of_thirty_rebindings_is_worked_out_in_linear_steps(monkeypatch) -> None:
    # Counted, not timed: each binding of `q` is worked out three times (alone, on the chain's start, on the
    # others), where following every order of the steps would take 30! evaluations.
    evaluations = []
    work_out = ModuleScanner._binding
    monkeypatch.setattr(ModuleScanner, "_binding", lambda self, a: evaluations.append(a) or work_out(self, a))

    def chain(steps: int) -> tuple:
        rebindings = "".join(f"    if flag == {i}:\n        q = q.where({i})\n" for i in range(steps))
        source = f"def make():\n    return 1\n\n\ndef run(flag):\n    q = make()\n{rebindings}    return q.done()\n"
        evaluations.clear()
        return _callees(source)[(7 + 2 * steps, "done")]

    two_steps = chain(2)
    start = ("call", ("name", "m.make"))
    once = ("call", ("attr", start, "where"))
    # Two steps, where the old per-node guard and the per-name value agree (pinned in the test above).
    assert two_steps == ("attr", ("either", start, ("call", ("attr", ("either", start, once), "where"))), "done")
    assert len(evaluations) == 3 * 3
    assert chain(30) == two_steps  # more steps of the same method say nothing more about the callee
    assert len(evaluations) == 3 * 31


def test_scope_is_the_source_roots_plus_what_they_import(tmp_path: Path) -> None:
    _project(tmp_path, {"one/app/__init__.py": "", "one/app/main.py": "import shared.util\n",
                        "one/tests/test_main.py": "from app import main\n",
                        "shared/__init__.py": "", "shared/util.py": "", "two/other.py": ""})
    assert source_roots([tmp_path / "one/app/main.py", tmp_path / "one/tests/test_main.py"]) == [tmp_path / "one"]
    imports = ImportCache(None)
    assert imports.imported_modules(tmp_path / "one/app/main.py") == {"shared.util"}
    reached = expand([tmp_path / "one/app/main.py"], imports.imported_modules, tmp_path)
    assert reached == {tmp_path / "one/app/main.py", tmp_path / "shared/util.py", tmp_path / "shared/__init__.py"}


def test_imports_are_kept_by_content_and_package(tmp_path: Path, monkeypatch) -> None:
    _project(tmp_path, {"app/__init__.py": "", "app/main.py": "from .util import helper\nimport os\n",
                        "app/util.py": ""})
    first = ImportCache(tmp_path / "cache")
    assert first.imported_modules(tmp_path / "app/main.py") == {"app.util", "app.util.helper", "os"}
    first.save()

    def parse(source, package):
        raise AssertionError("parsed again")

    monkeypatch.setattr(repo_scope, "modules_imported_by", parse)
    assert ImportCache(tmp_path / "cache").imported_modules(tmp_path / "app/main.py") == {
        "app.util", "app.util.helper", "os"}
    (tmp_path / "app/main.py").write_text("import json\n")
    with pytest.raises(AssertionError, match="parsed again"):
        ImportCache(tmp_path / "cache").imported_modules(tmp_path / "app/main.py")


def test_a_bounded_typevar_stands_for_its_bound_and_every_subclass(tmp_path: Path, monkeypatch) -> None:
    _project(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": (
            "from sqlalchemy.orm import DeclarativeBase, relationship\n\n\n"
            "class Base(DeclarativeBase):\n    pass\n\n\n"
            "class Plain(Base):\n    pass\n\n\n"
            "class User(Base):\n    group = relationship('Group')\n\n"
            "    def __init__(self, session, name):\n        self.name = name\n\n"
            "    def update(self, session, name):\n        self.name = name\n\n\n"
            "class Admin(User):\n    pass\n"),
        "app/repo.py": (
            "from typing import Generic, TypeVar\n\nfrom app.models import Base\n\n"
            "Model = TypeVar('Model', bound=Base)\nOther = TypeVar('Other')\n\n\n"
            "class Repository(Generic[Model]):\n"
            "    def __init__(self, session, model: type[Model], other: type[Other]):\n"
            "        self.model = model\n        self.other = other\n\n"
            "    def one(self) -> Model:\n        return self.model()\n"),
    })
    index = _coloring(tmp_path, monkeypatch).index
    repo = "app/repo.py"
    this = ("self", repo, "Repository")
    assert sorted(index.subclasses("app/models.py", "Base")) == [
        ("app/models.py", "Admin"), ("app/models.py", "Plain"), ("app/models.py", "User")]
    # `self.model(...)` may construct any model: User's constructor (which Admin inherits) is the only one written.
    assert index.possible_callees(("attr", this, "model"), repo) == [("app/models.py", "User.__init__")]
    # A method called on what `-> Model` returns is that method of any model that has it.
    one = ("call", ("attr", this, "one"))
    assert index.bound_instance(one, repo) == ("app/models.py", "Base")
    assert index.possible_callees(("attr", one, "update"), repo) == [("app/models.py", "User.update")]
    # A TypeVar without a bound says nothing.
    assert index.possible_callees(("attr", this, "other"), repo) == []
    assert index.bound_instance(("call", ("attr", this, "other")), repo) is None
