"""The server's search index, built in the background at start-up.

Reading the labels of a large store and indexing them takes a while (~5 s at 1M triples,
~65 s at 10M), and only /search and /suggest need the index. So the server answers SPARQL,
look-ups and exports as soon as its store is open, and builds the index in a thread
meanwhile. Until it is ready, /search and /suggest answer 503 with Retry-After, and so do
writes (POST /ingest, SPARQL Update): a write brings the index up to date after it, which
needs the index, and the start-up build must not read files a write is changing.

The build runs in a daemon thread, not the event loop's executor: stopping the server
during a long build then does not wait for it to finish."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import PlainTextResponse

from policykg.search import SearchIndex

log = logging.getLogger("policykg.index")

RETRY_AFTER_S = 2


class IndexNotReady(Exception):
    """The search index is still being built (or its build failed): what to tell the
    client, and that it may try again."""


class IndexHolder:
    def __init__(self) -> None:
        self.index: SearchIndex | None = None
        self.started: float | None = None  # time.monotonic() when the build began
        self.build_s: float | None = None  # how long the start-up build took
        self.error: str | None = None

    def build_in_background(self, build: Callable[[], SearchIndex],
                            on_ready: Callable[[], None]) -> None:
        """Run `build` in a thread; on the event loop, keep its index and call `on_ready`."""
        loop = asyncio.get_running_loop()
        self.started = time.monotonic()

        def run() -> None:
            try:
                index = build()
            except Exception as e:  # the server goes on without search, and says why
                log.exception("building the search index failed")
                loop.call_soon_threadsafe(self._failed, f"{type(e).__name__}: {e}")
                return
            loop.call_soon_threadsafe(self._ready, index, on_ready)

        threading.Thread(target=run, name="search-index", daemon=True).start()

    def _ready(self, index: SearchIndex, on_ready: Callable[[], None]) -> None:
        assert self.started is not None
        self.index = index
        self.build_s = time.monotonic() - self.started
        log.info("search index ready: %d entities in %.1f s", len(index), self.build_s)
        on_ready()

    def _failed(self, error: str) -> None:
        self.error = error

    def require(self) -> SearchIndex:
        """The index, or IndexNotReady saying why there is none yet."""
        if self.index is not None:
            return self.index
        if self.error is not None:
            raise IndexNotReady(f"the search index could not be built: {self.error}")
        waited = time.monotonic() - self.started if self.started is not None else 0.0
        raise IndexNotReady("the search index is still being built after start-up "
                            f"({waited:.0f} s so far); try again shortly")

    def figures(self) -> dict:
        return {"ready": self.index is not None,
                "entities": len(self.index) if self.index is not None else None,
                "build_s": round(self.build_s, 2) if self.build_s is not None else None,
                "error": self.error}


def write_unavailable(request: Request, what: str) -> PlainTextResponse | None:
    """None when a write may go ahead; a 503 while the start-up index is being built."""
    try:
        request.app.state.search.require()
    except IndexNotReady as e:
        return PlainTextResponse(f"{what} waits for the search index: {e}\n", status_code=503,
                                 headers={"Retry-After": str(RETRY_AFTER_S)})
    return None
