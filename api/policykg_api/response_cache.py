"""Whole responses of the read-only look-up routes, kept and sent again without running the
application: `/data/…`, `/page/…`, `/id/…`, `/search`, `/suggest`. Each of them answers from
the store and the search index alone, so a response stays right until either changes: the
cache key holds the store's generation and the index's epoch (both bumped on every write
this server makes) with the method, path, query string and the request headers a response
varies by (Accept, Origin). On a remote store, which other clients may write, entries also
expire after a few seconds. A repeated look-up then costs the HTTP parsing and one dict
read, instead of routing, parameter checks and CORS (about three quarters of the work).

Only 200 and 303 answers of GET requests are kept, 64 MB in all and 1 MB a body; a request
with `Cache-Control: no-cache` is answered afresh. The first answer kept under a new version
drops those of every other version: no request asks for them again, and keeping them until
the byte bound pushed them out made a server under steady writes grow by its whole bound.
Plain ASGI, like `middleware.Observe`."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

CACHED_PATHS = ("/data/", "/page/", "/id/", "/search", "/suggest")
VARY = (b"accept", b"origin")
MAX_KEY_BYTES = 4096  # longer paths or query strings are answered, not kept
KEPT_STATUS = (200, 303)


class KeptResponses:
    """An LRU of whole responses bounded in bytes; shared by the middleware and /health."""

    def __init__(self, ttl: float | None = None, max_bytes: int = 64 << 20,
                 max_body: int = 1 << 20) -> None:
        self.ttl, self.max_bytes, self.max_body = ttl, max_bytes, max_body
        # key → (kept at, status, headers, body, size in bytes)
        self._items: OrderedDict[Hashable, tuple[float, int, list, bytes, int]] = OrderedDict()
        self._bytes = 0
        self._version: Hashable = None  # of the last answer kept: keys begin with it
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> tuple[int, list, bytes] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or (self.ttl is not None and time.monotonic() - item[0] >= self.ttl):
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1:4]

    def put(self, key: Hashable, status: int, headers: list, body: bytes) -> None:
        size = len(body) + sum(len(k) + len(v) for k, v in headers)
        with self._lock:
            version = key[0] if isinstance(key, tuple) and key else None
            if version != self._version:
                # a write made every kept answer of the older version unreachable; an answer
                # begun before the write and kept after it costs at most one more miss each
                self._version = version
                self._items = OrderedDict((k, v) for k, v in self._items.items()
                                          if isinstance(k, tuple) and k and k[0] == version)
                self._bytes = sum(v[4] for v in self._items.values())
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[4]
            self._items[key] = (time.monotonic(), status, headers, body, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                self._bytes -= self._items.popitem(last=False)[1][4]

    def figures(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._items), "bytes": self._bytes, "hits": self.hits,
                    "misses": self.misses}


class ResponseCache:
    def __init__(self, app, kept: KeptResponses, version: Callable[[], Hashable]) -> None:
        self.app, self.kept, self.version = app, kept, version

    def _key(self, scope) -> Hashable | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if not path.startswith(CACHED_PATHS) or len(path) + len(query) > MAX_KEY_BYTES:
            return None
        wanted = dict.fromkeys(VARY, b"")
        for name, value in scope.get("headers", ()):
            if name in wanted:
                wanted[name] = value
            elif name == b"cache-control" and b"no-cache" in value:
                return None
        if sum(map(len, wanted.values())) > MAX_KEY_BYTES:
            return None
        return (self.version(), path, query, *wanted.values())

    async def __call__(self, scope, receive, send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        kept = self.kept.get(key)
        if kept is not None:
            status, headers, body = kept
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict = {}
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def keeping_send(message) -> None:
            nonlocal size, keep
            if message["type"] == "http.response.start":
                start.update(message)
                keep = message["status"] in KEPT_STATUS
            elif message["type"] == "http.response.body" and keep:
                size += len(message.get("body", b""))
                if size > self.kept.max_body:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        self.kept.put(key, start["status"], list(start.get("headers", [])),
                                      b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keeping_send)
