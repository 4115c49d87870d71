"""What the index resolves names to: function ids, entities, and the session side of factories and classes."""

from __future__ import annotations

from ..core.receivers import SYNC_SESSION_FROM


FunctionId = tuple[str, str]  # (file, qualname)
Entity = tuple
MAX_RESOLVE_DEPTH = 24
# Methods of a mapping that give back one of its values.
MAPPING_LOOKUPS = frozenset({"get", "pop", "setdefault", "__getitem__"})
# What calling these makes (or what calling what they make makes): a session of that side.
SESSION_FACTORY_SIDES = {
    **dict.fromkeys(("sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker",
                     "sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"), "sync"),
    **dict.fromkeys(("sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.async_scoped_session",
                     "sqlalchemy.ext.asyncio.session.async_sessionmaker"), "async"),
}
# What calling one of these gives: a session of that side (compat's `sync_session_from(SessionLocal)` too).
SESSION_CLASS_SIDES = {
    **dict.fromkeys(("sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", *SYNC_SESSION_FROM), "sync"),
    **dict.fromkeys(("sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy.ext.asyncio.session.AsyncSession"), "async"),
}
SELF_TYPES = frozenset(("inst", ("name", f"{module}.Self")) for module in ("typing", "typing_extensions"))
