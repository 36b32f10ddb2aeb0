"""Request size limits, enforced before a route reads anything: 413 for a body or a query
string over its limit. POST /ingest takes one document (`max_document_bytes`); every other
route takes at most a query (`max_query_bytes`). The body is checked on Content-Length
first and then counted as it streams in (chunked uploads), so an oversized body is never
held in memory whole. Plain ASGI, like `middleware.Observe`."""

from __future__ import annotations

from policykg_api.settings import Settings


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, scope) -> tuple[int, str]:
        """The body limit for this request and the setting that names it."""
        if scope["path"].rstrip("/") == "/ingest":
            return (self.settings.max_document_bytes,
                    "--max-document-bytes / POLICYKG_MAX_DOCUMENT_BYTES")
        return self.settings.max_query_bytes, "--max-query-bytes / POLICYKG_MAX_QUERY_BYTES"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self._limit(scope)
        # A query given in the URL may be percent-encoded (3 characters a byte); the route
        # checks the decoded query against the limit itself.
        if len(scope.get("query_string", b"")) > 3 * self.settings.max_query_bytes + 4096:
            await _refuse(send, f"query string over {self.settings.max_query_bytes} bytes "
                                "(limit set by --max-query-bytes / POLICYKG_MAX_QUERY_BYTES)")
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, f"request body over {limit} bytes (limit set by {setting})")
            return

        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if started:  # cannot answer any more; the server closes the connection
                raise
            await _refuse(send, f"request body over {limit} bytes (limit set by {setting})")


async def _refuse(send, message: str) -> None:
    body = (message + "\n").encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
