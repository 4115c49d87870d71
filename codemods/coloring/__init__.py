"""F: async coloring across the repository, its boundaries, and relationship loading under asyncio.

Importing the package registers what the repository index records for F110 (index/registration.py); the names below
are what other families may use (R leaves the calls of an event-loop driver F110 converts to it).
"""

from ..index.registration import LOOP_DRIVER, register
from . import loop_driver
from .loop_driver import converts as loop_driver_converts, driven_call

__all__ = ["driven_call", "loop_driver_converts"]

register(LOOP_DRIVER, loop_driver)
