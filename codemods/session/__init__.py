"""S and D: session I/O, how code gets hold of a session (acquisition, fixtures), and X (safety).

The names below are what other families may use: the pytest fixtures that hand out a session or a connection they
open (D105), which E's engine calls and F's coloring also meet.
"""

from .fixture_sessions import CONNECTION_IO, FixtureHandout, chain_reason, handout_plan, loop_scope
from .fixture_sessions_rewrite import own_handout

__all__ = ["CONNECTION_IO", "FixtureHandout", "chain_reason", "handout_plan", "loop_scope", "own_handout"]
