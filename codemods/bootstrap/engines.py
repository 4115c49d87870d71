"""E101/E102: the engine and the session factory, planned for the async engine (BootstrapRecogniser)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ..core.nodes import dotted_name, string_value
from .async_url import literal_async_url
from .engine_options import (SYNC_ONLY_CONNECT_ARGS, SYNC_POOLS, SYNC_TARGET, UNSHARED_ENGINE_OPTIONS, _assignments,
                             _is_false, _is_module, _keyword)
from .plan import EnginePlan, MissingGetDb, SessionmakerPlan


class _EnginesAndFactories:
    """E101/E102: the engine and the session factory, planned for the async engine (BootstrapRecogniser)."""

    # -- E101 ---------------------------------------------------------------------------------
    def _engine_plan(self, call: cst.Call) -> EnginePlan | str:
        if self.context.target == "sync":
            return SYNC_TARGET
        stored = self._stored_on_attribute(call)
        if stored:
            return (f"the engine is stored on `{stored}`, whose uses (E107) are not followed; convert them "
                    "together by hand")
        local = self._local_engine(call)
        if local:
            return (f"a short-lived engine used only inside `{local}` (a health or revision check, a script): it "
                    "stays sync with the code that uses it there; convert the function by hand if it should run "
                    "on the event loop")
        positional = [a for a in call.args if a.keyword is None and not a.star]
        url = positional[0] if positional else _keyword(call, "url")
        if url is None or any(a.star == "*" for a in call.args):
            return "the URL is not passed as the first argument; convert by hand"
        for options in (a for a in call.args if a.star == "**"):
            keys = self._dict_keys(options.value)
            if keys is None:
                return "`**options` may hold settings only the sync driver knows; convert by hand"
            if keys & UNSHARED_ENGINE_OPTIONS:
                return (f"`**options` sets {sorted(keys & UNSHARED_ENGINE_OPTIONS)}, which the async engine "
                        "spells differently or does not have; convert by hand")
        literal = None
        text = string_value(url.value)
        if text is not None:
            literal = literal_async_url(text)
            if literal is None:
                return f"no async driver is known for {text.partition(':')[0]!r} URLs; choose one by hand"
        for argument in call.args:
            name = argument.keyword.value if argument.keyword else None
            if name in ("strategy", "convert_unicode", "encoding") or (name == "autocommit" and not _is_false(argument)):
                return f"`{name}=` has no async equivalent; remove it by hand (SQLAlchemy 2 has no such option)"
        pool = _keyword(call, "poolclass")
        if pool is not None:
            last = (dotted_name(pool.value) or "").split(".")[-1]
            if last in SYNC_POOLS and SYNC_POOLS[last] is None:
                return f"`poolclass={last}` cannot serve an async engine; choose a pool by hand"
            if last not in SYNC_POOLS:
                pool = None
        keys = self._connect_arg_keys(_keyword(call, "connect_args"))
        if keys & SYNC_ONLY_CONNECT_ARGS:
            return (f"connect_args {sorted(keys & SYNC_ONLY_CONNECT_ARGS)} belong to the sync driver; give the "
                    "async driver its own (asyncpg: ssl, timeout, server_settings) by hand")
        left = self._engine_uses_left(call)
        if left:
            return (f"{len(left)} use(s) of the engine stay sync ({', '.join(left[:3])}{', ...' if len(left) > 3 else ''}"
                    "; see E107): the engine is converted together with them, once they are converted by hand")
        return EnginePlan(call, url, literal, pool)

    def _engine_uses_left(self, call: cst.Call) -> list[str]:
        """The uses in this file of the module-level name `call` is bound to that E107/E108 leave sync."""
        assign = self.evidence.parent(call)
        if self.engine_calls is None or not (isinstance(assign, cst.Assign) and assign.value is call
                                             and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)):
            return []
        if id(call) in self._checking_uses:
            return []  # a use's plan asks whether this engine becomes async: assume it does while deciding
        self._checking_uses.add(id(call))
        try:
            return self.engine_calls.uses_left(assign.targets[0].target)
        finally:
            self._checking_uses.discard(id(call))

    def _dict_keys(self, value: cst.BaseExpression) -> set[str] | None:
        """The keys of a `**options` argument that names a dict literal (or `dict(...)`) bound where it is
        visible; None when any binding is something else or a key is not a plain string."""
        if not isinstance(value, cst.Name):
            return None
        bound = [self.evidence.bound_value(a.node) for a in _assignments(self.evidence, value)]
        keys: set[str] = set()
        for found in bound:
            if isinstance(found, cst.Dict) and all(isinstance(e, cst.DictElement) and string_value(e.key)
                                                   for e in found.elements):
                keys |= {string_value(e.key) for e in found.elements}
            elif isinstance(found, cst.Call) and dotted_name(found.func) == "dict" and all(a.keyword for a in found.args):
                keys |= {a.keyword.value for a in found.args}
            else:
                return None
        return keys if bound else None

    def _connect_arg_keys(self, argument: cst.Arg | None) -> set[str]:
        """The keys of `connect_args`, followed through one module-level name (`connect_args=_args`)."""
        if argument is None:
            return set()
        value = argument.value
        if isinstance(value, cst.Name):
            bound = [self.evidence.bound_value(a.node) for a in _assignments(self.evidence, value)]
            values = [v for v in bound if v is not None]
        else:
            values = [value]
        keys: set[str] = set()
        for found in values:
            for dictionary in m.findall(found, m.Dict()):
                keys |= {string_value(e.key) or "" for e in dictionary.elements if isinstance(e, cst.DictElement)}
            for call in m.findall(found, m.Call(func=m.Name("dict"))):
                keys |= {a.keyword.value for a in call.args if a.keyword}
        return keys

    # -- E102 ---------------------------------------------------------------------------------
    def _sessionmaker_plan(self, call: cst.Call) -> SessionmakerPlan | str:
        if self.context.target == "sync":
            return SYNC_TARGET
        outer = self.evidence.parent(self.evidence.parent(call))
        if isinstance(outer, cst.Call) and (dotted_name(outer.func) or "").endswith("scoped_session"):
            return ("`scoped_session` needs a scope function under asyncio: use `async_scoped_session(factory, "
                    "scopefunc=asyncio.current_task)` by hand, or better a session per request")
        for argument in call.args:
            name = argument.keyword.value if argument.keyword else None
            if name == "autocommit" and not _is_false(argument):
                return "`autocommit=True` sessions do not exist in SQLAlchemy 2; convert by hand"
            if name == "class_":
                return "a custom session class must derive from AsyncSession first; convert by hand"
            if argument.star:
                return "`**options` may hold sync-only settings; convert by hand"
        stored = self._stored_on_attribute(call)
        if stored:
            return (f"the factory is stored on `{stored}`, whose sessions are not followed; convert it together "
                    "with their uses by hand")
        engine = self._sync_engine_bound(call)
        if engine is not None:
            return (f"it binds `{engine}`, which stays a sync engine (E101 leaves its `create_engine()`): an "
                    "async_sessionmaker cannot use it; convert the engine first")
        return SessionmakerPlan(call, self._missing_get_db(call))

    def _local_engine(self, call: cst.Call) -> str | None:
        """The function's name when `call` builds an engine into a local name the function neither returns,
        yields nor declares global, or hands it straight to another call: nothing outside it sees that engine."""
        assign = self.evidence.parent(call)
        function = self.evidence.enclosing(call, cst.FunctionDef)
        if function is not None and isinstance(assign, cst.Arg):
            return function.name.value  # `sessionmaker(bind=create_engine(url))()`: only that call sees it
        if function is None or not (isinstance(assign, cst.Assign) and assign.value is call and len(assign.targets) == 1
                                    and isinstance(assign.targets[0].target, cst.Name)):
            return None
        name = assign.targets[0].target.value
        declared_global = m.findall(function, m.Global(names=[m.ZeroOrMore(), m.NameItem(m.Name(name)), m.ZeroOrMore()]))
        # `return engine`, `return factory, engine`, `yield {"engine": engine}`: the caller gets it.
        handed_out = [node for node in m.findall(function, m.Return() | m.Yield())
                      if node.value is not None and m.findall(node.value, m.Name(name))]
        return None if handed_out or declared_global else function.name.value

    def _stored_on_attribute(self, call: cst.Call) -> str | None:
        """`self.engine` in `self.engine = create_engine(...)`: the code that uses an attribute is not followed."""
        assign = self.evidence.parent(call)
        if isinstance(assign, (cst.Assign, cst.AnnAssign)) and assign.value is call:
            targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
            attribute = next((t for t in targets if isinstance(t, cst.Attribute)), None)
            if attribute is not None:
                return dotted_name(attribute) or cst.Module([]).code_for_node(attribute)
        return None

    def _sync_engine_bound(self, call: cst.Call) -> str | None:
        """The name of the engine `call` binds when this module builds it with a `create_engine()` that E101
        leaves sync (directly, or returned by a function of the module)."""
        positional = [a for a in call.args if a.keyword is None and not a.star]
        bind = _keyword(call, "bind") or (positional[0] if positional else None)
        if bind is None or not isinstance(bind.value, cst.Name):
            return None
        for assignment in _assignments(self.evidence, bind.value):
            value = self.evidence.bound_value(assignment.node)
            if isinstance(value, cst.Call) and any(isinstance(self._engine_plan(built), str)
                                                   for built in self._engines_built_by(value)):
                return bind.value.value
        return None

    def _engines_built_by(self, call: cst.Call) -> list[cst.Call]:
        """`call` itself when it is `create_engine(...)`; the `create_engine(...)` calls a module-level
        function returns, when `call` calls one."""
        names = ("sqlalchemy.create_engine", "sqlalchemy.engine.create_engine")
        if self.evidence.callee_is(call, names, ("create_engine",)):
            return [call]
        if not isinstance(call.func, cst.Name):
            return []
        functions = [s for s in self.context.module.body if isinstance(s, cst.FunctionDef) and s.name.value == call.func.value]
        returned = [r.value for f in functions for r in m.findall(f, m.Return()) if isinstance(r.value, cst.Call)]
        return [r for r in returned if self.evidence.callee_is(r, names, ("create_engine",))]

    def _missing_get_db(self, call: cst.Call) -> MissingGetDb | None:
        """When this file is the module `get-db` names and has no get_db yet, the factory's statement."""
        configured = self.context.config.get_db
        if not configured or not _is_module(self.context.path, configured.partition(":")[0] if ":" in configured
                                            else configured.rpartition(".")[0]):
            return None
        name = configured.partition(":")[2] if ":" in configured else configured.rpartition(".")[2]
        if any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in self.context.module.body):
            return None
        assign = self.evidence.parent(call)
        statement = self.evidence.parent(assign)
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
                and statement in self.context.module.body):
            return None
        return MissingGetDb(statement, name, assign.targets[0].target.value)
