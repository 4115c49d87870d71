"""Q: the legacy 1.x Query API (`session.query(...)...`, `Model.query...`).

Importing the package registers what the repository index records for Q (index/registration.py); the names below
are what other families may use (the coloring decides which query functions and methods convert, coloring/solve.py).
"""

from ..index.registration import QUERY_PARAMS, QUERY_RETURNS, register
from . import flow, params, returns, returns_repository
from .params import QueryFunctions, approve as approve_query_functions
from .returns_repository import ReturnedQueries, approve as approve_returned_queries

__all__ = ["QueryFunctions", "ReturnedQueries", "approve_query_functions", "approve_returned_queries"]

register(QUERY_PARAMS, params, flow)
register(QUERY_RETURNS, returns, returns_repository)
