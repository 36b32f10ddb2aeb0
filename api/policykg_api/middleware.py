"""ASGI middleware: Server-Timing on every response, and one structured (JSON) access-log
line per request. Plain ASGI, not Starlette's BaseHTTPMiddleware, which costs a task per
request."""

from __future__ import annotations

import json
import logging
import time

from policykg_api.handover import SENT

log = logging.getLogger("policykg.access")


class Observe:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = scope["policykg.started"] = time.perf_counter()  # for a worker's `app`
        status = 500

        async def observed_send(message) -> None:
            nonlocal status
            if message["type"] == SENT:  # written by a query worker (handover.py)
                status = message["status"]
            elif message["type"] == "http.response.start":
                status = message["status"]
                ms = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.2f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            if log.isEnabledFor(logging.INFO):
                client = scope.get("client") or ("", 0)
                log.info(json.dumps({
                    "ts": round(time.time(), 3), "client": client[0], "method": scope["method"],
                    "path": scope["path"], "query": scope.get("query_string", b"").decode(
                        "latin-1")[:200], "status": status,
                    "ms": round((time.perf_counter() - start) * 1000, 2)}))
