"""Where a request's store work runs. On the embedded store a look-up is a few index reads
(microseconds): done on the event loop it saves the thread hop that costs more than the work.
On a remote store each read is an HTTP round trip, so the work goes to the thread pool and
the loop keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from policykg.store import OxigraphStore

T = TypeVar("T")


async def off_loop_if_remote(request: Request, fn: Callable[..., T], *args: object) -> T:
    if isinstance(request.app.state.store, OxigraphStore):
        return fn(*args)
    return await run_in_threadpool(fn, *args)
