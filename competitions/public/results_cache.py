"""The public results table, rendered once per published version and language.

A results page of a national event is a thousand rows, and on results day everyone asks for
the same few. The rows of a published version never change (a correction is published as a
new version; reopening changes the event's stage, and both are in the key), so the rendered
table and distribution are kept, per process, keyed by event, version shown, language, stage
and tie-break order. The rest of the page (the notice, appeal deadlines, the signed-in user's
navigation and CSRF token, flashed messages) is rendered on every request. Names of employers
could still be edited after publication, so an entry is also dropped after TTL.

Each app has its own cache (app.extensions), bounded in bytes; RESULTS_CACHE_BYTES = 0 turns
it off.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app

TTL_SECONDS = 600


class FragmentCache:
    """A least-recently-used map of rendered fragments, at most `max_bytes` of text."""

    def __init__(self, max_bytes: int, ttl: float = TTL_SECONDS, clock=time.monotonic):
        self.max_bytes, self.ttl, self.clock = max_bytes, ttl, clock
        self.size = 0
        self._items: OrderedDict[tuple, tuple[float, tuple[str, ...], int]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: tuple, render: Callable[[], tuple[str, ...]]
                      ) -> tuple[str, ...]:
        now = self.clock()
        with self._lock:
            found = self._items.get(key)
            if found is not None and now - found[0] < self.ttl:
                self._items.move_to_end(key)
                return found[1]
        fragments = render()  # outside the lock: two renderings of one key are harmless
        self._put(key, fragments, now)
        return fragments

    def _put(self, key: tuple, fragments: tuple[str, ...], now: float) -> None:
        size = sum(len(text) for text in fragments)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[2]
            self._items[key] = (now, fragments, size)
            self.size += size
            while self.size > self.max_bytes:
                _key, (_at, _fragments, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def __len__(self) -> int:
        return len(self._items)


def results_cache() -> FragmentCache:
    cache = current_app.extensions.get("results_cache")
    if cache is None:
        cache = current_app.extensions["results_cache"] = FragmentCache(
            current_app.config["RESULTS_CACHE_BYTES"])
    return cache
