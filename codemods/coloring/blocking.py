"""F111: blocking work that a function this run makes async would run on the event loop.

FastAPI and Starlette run a `def` handler in a worker thread, so a password hash, an HTTP request or a
`time.sleep` in it only holds that thread. Once the migration makes the function `async def`, the same
call holds the event loop, and the application serves one request at a time. Only family F knows which
functions become async in this run, so the rule lives here: in each of them, a call known to block is
offloaded to a worker thread (`await run_in_threadpool(fn, ...)` in Starlette/FastAPI code, `await
asyncio.to_thread(fn, ...)` elsewhere), and `time.sleep(x)` becomes `await asyncio.sleep(x)`. Blocking
that a single call cannot carry (a `with` block, a file object, a streamed response, a project function
that blocks inside) is reported with the reason and left to the user.

Functions that were `async def` before the run are the user's own code and are not looked at.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..core.functions import qualname_of
from ..index.facts import Expr
from ..index.scan_nodes import own_nodes
from ..core.imports import Import

OFFLOAD = "offload"    # the call alone does the blocking work: run it in a worker thread
SLEEP = "sleep"        # asyncio has an awaitable twin
RESOURCE = "resource"  # the value it returns blocks on every use too: offloading the call alone does not help


@dataclass(frozen=True)
class Blocking:
    why: str    # what the call waits for (it goes into the finding's message)
    fix: str    # OFFLOAD, SLEEP or RESOURCE


_HTTP = Blocking("waits for the HTTP response on a socket", OFFLOAD)
_HASH = Blocking("runs a password hash that is slow on purpose (tens to hundreds of milliseconds of CPU)", OFFLOAD)
_SMTP = Blocking("talks to the mail server over a socket", OFFLOAD)
_CHILD = Blocking("waits for the child process to exit", OFFLOAD)
_DISK = Blocking("reads or writes files on disk", OFFLOAD)
_OPEN = Blocking("opens a file whose reads and writes block as well", RESOURCE)
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# Callables known to block the calling thread, by qualified name; `X()` stands for an instance of X (a
# module-level `pwd_context = CryptContext(...)`, a local `session = requests.Session()`, a parameter
# annotated `Path`). Each entry says what the call waits for.
BLOCKING: dict[str, Blocking] = {
    "time.sleep": Blocking("sleeps the calling thread", SLEEP),
    **{f"requests.{method}": _HTTP for method in _HTTP_METHODS},
    **{f"{session}().{method}": _HTTP for session in ("requests.Session", "requests.sessions.Session")
       for method in (*_HTTP_METHODS, "send")},
    "urllib.request.urlopen": Blocking("opens an HTTP response whose reads block as well", RESOURCE),
    **{f"{context}.{method}": _HASH for context in ("passlib.context.CryptContext()", "passlib.apps.custom_app_context")
       for method in ("hash", "verify", "verify_and_update", "encrypt")},
    **{f"passlib.hash.{scheme}.{method}": _HASH for scheme in ("bcrypt", "argon2", "pbkdf2_sha256", "sha256_crypt")
       for method in ("hash", "verify")},
    **{f"bcrypt.{function}": _HASH for function in ("hashpw", "checkpw", "kdf")},
    **{f"smtplib.{client}": _SMTP for client in ("SMTP", "SMTP_SSL")},   # the constructor connects
    **{f"smtplib.{client}().{method}": _SMTP for client in ("SMTP", "SMTP_SSL")
       for method in ("connect", "ehlo", "starttls", "login", "send_message", "sendmail", "quit")},
    **{f"subprocess.{function}": _CHILD for function in ("run", "call", "check_call", "check_output")},
    "os.system": _CHILD,
    "builtins.open": _OPEN,
    "io.open": _OPEN,
    "pathlib.Path().open": _OPEN,
    **{f"pathlib.Path().{method}": _DISK for method in ("read_text", "write_text", "read_bytes", "write_bytes")},
    **{f"shutil.{function}": _DISK for function in ("copy", "copy2", "copyfile", "copytree", "move", "rmtree",
                                                     "make_archive", "unpack_archive")},
}
# A Path derived from a Path is a Path: `base.parent`, `base.resolve()`, `base / "x"`.
PATH = "pathlib.Path()"
PATH_CLASSES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})
PATH_ATTRIBUTES = frozenset({"parent"})
PATH_METHODS = frozenset({"absolute", "expanduser", "joinpath", "resolve", "with_name", "with_stem", "with_suffix"})
STARLETTE_RUNNERS = ("fastapi.concurrency", "starlette.concurrency")
FRAMEWORK_ROLES = frozenset({"route", "handler", "dependency"})
MAX_DEPTH = 8


@dataclass(frozen=True)
class Offload:
    """Run `call` in a worker thread (or, for a sleep, on the loop) and await it."""

    call: cst.Call
    function: cst.FunctionDef   # the function the call runs in: it is async once this edit is made
    role: str | None
    runner: str | None          # the module run_in_threadpool comes from; None for asyncio
    sleep: bool
    parenthesize: bool


def recognise(rec) -> None:
    for function in [n for n in rec.evidence.parents if isinstance(n, cst.FunctionDef) and rec.becomes_async(n)]:
        _Function(rec, function).recognise()


class _Function:
    def __init__(self, rec, function: cst.FunctionDef) -> None:
        self.rec = rec
        self.function = function
        self.id = (rec.path, qualname_of(function, rec.evidence.parents))
        self.resolver = Resolver(rec.coloring.index, rec.path, rec.scanner)
        self.runner = self._runner()

    def recognise(self) -> None:
        for node in own_nodes(self.function):
            if isinstance(node, cst.Call) and not isinstance(self.rec.evidence.parent(node), cst.Await):
                name = self.resolver.qualified(node.func)
                if name in BLOCKING:
                    self._blocking(node, BLOCKING[name])
                else:
                    self._project_call(node)

    def _blocking(self, call: cst.Call, blocking: Blocking) -> None:
        text = _code(call.func)
        message = f"`{text}()` {blocking.why}; in async `{self.function.name.value}` it blocks the event loop"
        problem = self._problem(call, blocking)
        if problem is not None:
            self.rec.report("F111", call, message, reason=problem)
            return
        runner = None if blocking.fix == SLEEP else self.runner
        how = "`await asyncio.sleep(...)`" if blocking.fix == SLEEP else \
            "`await run_in_threadpool(...)`" if runner else "`await asyncio.to_thread(...)`"
        self.rec.report("F111", call, f"{message}: it becomes {how}", fixable=True,
                        data=Offload(call, self.function, self.rec.coloring.roles.get(self.id), runner,
                                     blocking.fix == SLEEP, self.rec.parenthesize(call)))

    def _problem(self, call: cst.Call, blocking: Blocking) -> str | None:
        """Why offloading the call alone would be wrong or not enough; None when it is the fix."""
        _, context = self.rec.scanner.placement(call)
        if context != "body":
            return f"called {context}, where `await` cannot go; offload it by hand"
        if isinstance(self.rec.evidence.parent(call), cst.WithItem):
            return ("the `with` block it opens blocks as well, up to the exit that closes it: move the block into a "
                    "sync helper and offload that helper with `await asyncio.to_thread(helper, ...)`")
        if blocking.fix == RESOURCE:
            return ("each read or write of what it returns blocks as well: move that I/O into a sync helper and "
                    "offload the helper with `await asyncio.to_thread(helper, ...)`")
        if blocking is _HTTP and any(arg.keyword is not None and arg.keyword.value == "stream"
                                     and _code(arg.value) != "False" for arg in call.args):
            return ("a streamed response reads its body from the socket later, outside this call: offload the "
                    "whole download in a sync helper")
        if self.runner and any(arg.keyword is not None and arg.keyword.value == "func" for arg in call.args):
            return "its keyword argument `func` collides with run_in_threadpool's own; offload it with functools.partial"
        return None

    def _runner(self) -> str | None:
        """Where run_in_threadpool comes from in Starlette/FastAPI code (None: plain asyncio code)."""
        imported = {binding[1] for binding in self.rec.scanner.facts.names.values() if binding and binding[0] == "name"}
        for module in STARLETTE_RUNNERS:
            if f"{module}.run_in_threadpool" in imported:
                return module
        if any(name.split(".")[0] == "fastapi" for name in imported):
            return "fastapi.concurrency"
        if any(name.split(".")[0] == "starlette" for name in imported):
            return "starlette.concurrency"
        return "fastapi.concurrency" if self.rec.coloring.roles.get(self.id) in FRAMEWORK_ROLES else None

    def _project_call(self, call: cst.Call) -> None:
        """A sync project function without session I/O that calls something known to block: reported only."""
        coloring = self.rec.coloring
        entity = coloring.index.resolve(self.rec.scanner.expr(call.func), self.rec.path)
        if entity is None or entity[0] != "function":
            return
        callee = (entity[1], entity[2])
        if coloring.async_after(callee) or coloring.legacy(callee):
            return
        blocking = blocking_inside(coloring.index, callee)
        if blocking is None or self.rec.scanner.placement(call)[1] != "body":
            return
        self.rec.report("F111", call, f"`{_code(call.func)}()` stays sync and calls `{blocking}`, which blocks; in "
                        f"async `{self.function.name.value}` it blocks the event loop",
                        reason="sqlasync offloads only calls it knows to block, not project functions (one may touch "
                               "state that must stay on the loop's thread): if it is safe in a worker thread, call it "
                               "with `await asyncio.to_thread(fn, ...)` (`run_in_threadpool` in FastAPI code)")


def blocking_inside(index, function) -> str | None:
    """The first call known to block in the body of a project function, as its qualified name."""
    memo = index.memo.setdefault("blocking-inside", {})
    if function not in memo:
        path, qualname = function
        resolver = Resolver(index, path, None)
        memo[function] = next((name for site in index.files[path].facts.calls
                               if site.owner == qualname and site.context == "body"
                               for name in [resolver.symbolic(site.callee)] if name in BLOCKING), None)
    return memo[function]


class Resolver:
    """The qualified name of what an expression holds outside the project (`requests.get`,
    `passlib.context.CryptContext().hash`), through imports and module-level bindings of any project file."""

    def __init__(self, index, path: str, scanner) -> None:
        self.index = index
        self.path = path
        self.scanner = scanner

    def qualified(self, node: cst.BaseExpression, depth: int = 0) -> str | None:
        """From the syntax where it says more than the scanner's expressions (`/` joins Paths)."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            return PATH if self.qualified(node.left, depth + 1) == PATH else None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.BinaryOperation):
            base = self.qualified(node.value, depth + 1)
            return _member(base, node.attr.value) if base else None
        if isinstance(node, cst.Name):
            values = self.scanner.bound_values(node)
            if len(values) == 1 and isinstance(values[0], cst.BinaryOperation):
                return self.qualified(values[0], depth + 1)
        return self.symbolic(self.scanner.expr(node))

    def symbolic(self, expr: Expr | None, path: str | None = None, depth: int = 0) -> str | None:
        path = path or self.path
        if expr is None or depth > MAX_DEPTH:
            return None
        kind = expr[0]
        if kind == "name":
            return self._external(expr[1], path, depth + 1)
        if kind in ("call", "inst"):
            inner = self.symbolic(expr[1], path, depth + 1)
            return _called(inner) if inner else None
        if kind == "attr":
            inner = self.symbolic(expr[1], path, depth + 1)
            return _member(inner, expr[2]) if inner else None
        if kind == "enter":
            inner = self.symbolic(expr[1], path, depth + 1)
            # The block a blocking manager opens is reported as a whole; other managers enter as themselves.
            return None if inner is None or inner.removesuffix("()") in BLOCKING else inner
        return None

    def _external(self, fqn: str, origin: str, depth: int) -> str | None:
        """`fqn` itself when it names something outside the project; what a project module binds it to otherwise."""
        parts = fqn.split(".")
        if parts[0] == "builtins":
            return fqn
        for cut in range(len(parts), 0, -1):
            path = self.index.module_path(".".join(parts[:cut]), origin)
            if path is None:
                continue
            rest = parts[cut:]
            binding = self.index.files[path].facts.names.get(rest[0]) if rest else None
            if binding is None or binding[0] in ("def", "class"):
                return None   # a project module, function or class: not a library's
            found = self.symbolic(binding, path, depth + 1)
            for attribute in rest[1:]:
                found = _member(found, attribute) if found else None
            return found
        return fqn


def _called(callee: str) -> str:
    if callee in PATH_CLASSES:
        return PATH
    owner, _, method = callee.rpartition(".")
    return PATH if owner == PATH and method in PATH_METHODS else f"{callee}()"


def _member(owner: str, attribute: str) -> str:
    return PATH if owner == PATH and attribute in PATH_ATTRIBUTES else f"{owner}.{attribute}"


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


# -- rewrite ---------------------------------------------------------------------------------------
def owns(data: object) -> bool:
    return isinstance(data, Offload)


def plan(data: Offload, edits) -> None:
    # Also when F101/F103/F104 are not selected: a function that awaits must be async.
    edits.functions.setdefault(id(data.function), data.role)
    if data.sleep:
        # `import time` (or `from time import sleep`) goes when the sleeps were all it was used for.
        edits.maybe_unused.append(Import("time", "sleep"))
        edits.maybe_unused_modules.add("time")
    if data.sleep or data.runner is None:
        edits.module_imports.add("asyncio")
        runner = "asyncio.sleep" if data.sleep else "asyncio.to_thread"
    else:
        runner = edits.spell(data.runner, "run_in_threadpool", [data.call],
                             equivalents=[f"{module}.run_in_threadpool" for module in STARLETTE_RUNNERS])
    edits.replacements[id(data.call)] = lambda call: _await(
        call.with_changes(func=cst.parse_expression(runner)) if data.sleep else _offloaded(call, runner),
        data.parenthesize)


def _offloaded(call: cst.Call, runner: str) -> cst.Call:
    """`fn(a, b=c)` -> `runner(fn, a, b=c)`, the arguments laid out as they were."""
    first = cst.Arg(call.func)
    if call.args:
        # On a call spread over lines, the function goes on a line of its own like the arguments after it.
        after = call.whitespace_before_args if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace) \
            else cst.SimpleWhitespace(" ")
        first = first.with_changes(comma=cst.Comma(whitespace_after=after))
    return call.with_changes(func=cst.parse_expression(runner), args=[first, *call.args])


def _await(value: cst.BaseExpression, parenthesize: bool) -> cst.Await:
    return cst.Await(value, lpar=[cst.LeftParen()] if parenthesize else [],
                     rpar=[cst.RightParen()] if parenthesize else [])
