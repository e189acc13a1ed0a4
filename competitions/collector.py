"""Pausing Python's cyclic garbage collector while a service builds many short-lived objects.

Computing an event's results or assessing its entrants makes tens of thousands of rows, dicts
and lists that die together when the service returns, none of them in a cycle. The collector,
triggered by their number even at wsgi.py's thresholds, walks them again and again for
nothing; paused, it runs once it is back on, at its next threshold."""

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """The cyclic collector off within the block, back on after it (if it was on before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
