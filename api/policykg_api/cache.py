"""A small LRU cache of rendered entity descriptions. A description only changes when the
store is written, so entries are keyed by the store's generation (bumped on every write by
this server); on a remote store, which other clients may write too, entries also expire
after a few seconds."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")


class DescriptionCache:
    def __init__(self, size: int = 4096, ttl: float | None = None) -> None:
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is not None and (self.ttl is None or now - item[0] < self.ttl):
                self._items.move_to_end(key)
                self.hits += 1
                return item[1]  # type: ignore[return-value]
            self.misses += 1
        value = make()  # outside the lock: two threads may both make it, both get it right
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
