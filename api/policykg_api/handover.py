"""Handing a /sparql response to the query worker: the server's side (the worker's is
`worker_response.py`, where the reason is given).

uvicorn offers an application no way to write a response past it, so `policykg serve` runs
uvicorn with `Protocol`, its httptools protocol with one addition: each /sparql request's
scope carries a `Handover` for its connection (the ASGI extension `EXTENSION`). The route
asks it for the connection's descriptor, which goes to the worker with the query; once the
worker has written the response, the route sends the ASGI message `SENT`, which the
outermost layer of the /sparql stack (`outermost`) turns into `Handover.complete`: any part
the worker could not write is written, and uvicorn's cycle is closed as its own last body
message would close it (keep-alive, the next pipelined request, the idle timer).

A connection is handed over only in the plain case: HTTP/1.1 kept alive, not TLS, nothing
of an earlier response still buffered, the response not begun. Anything else, and a server run
without `Protocol` (tests calling the application in process, h11), is answered by the
server as before."""

from __future__ import annotations

import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

EXTENSION = "policykg.handover"
SENT = "policykg.response.sent"  # {"type": SENT, "status": int, "rest": bytes | None}
HANDED_PATH = "/sparql"


class Handover:
    """One request's connection, as the route may hand it to a query worker."""

    def __init__(self, protocol: HttpToolsProtocol, cycle: RequestResponseCycle) -> None:
        self.protocol = protocol
        self.cycle = cycle

    def descriptor(self) -> int | None:
        """The connection's socket descriptor if a worker may write the response now, else
        None (the server answers)."""
        cycle, transport = self.cycle, self.protocol.transport
        if (cycle.response_started or cycle.disconnected or not cycle.keep_alive
                or cycle.scope.get("http_version") != "1.1" or self.protocol.scheme != "http"
                or transport.is_closing()
                or transport.get_write_buffer_size() or self.protocol.flow.write_paused):
            return None
        sock = transport.get_extra_info("socket")
        return sock.fileno() if sock is not None else None

    def default_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers uvicorn puts on every response (date, server), as it would now."""
        return list(self.protocol.server_state.default_headers)

    def complete(self, rest: bytes | bytearray | memoryview | None) -> None:
        """The worker wrote the response but `rest` (None: the response cannot be finished,
        as when the worker was stopped partway: the connection is closed)."""
        cycle, transport = self.cycle, self.protocol.transport
        if rest is None:
            cycle.keep_alive = False
        elif len(rest) and not transport.is_closing():
            transport.write(rest)  # after the worker's part: the worker has returned
        cycle.response_started = cycle.response_complete = True
        cycle.message_event.set()
        if not cycle.keep_alive:
            transport.close()
        cycle.on_response()


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, offering each /sparql request's connection to the
    application (given to uvicorn as `http=Protocol`)."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # (no new cycle for an upgrade request: the old one's scope is not this one)
        if (cycle is not None and cycle.scope is self.scope
                and self.scope.get("path") == HANDED_PATH):
            self.scope.setdefault("extensions", {})[EXTENSION] = Handover(self, cycle)


def outermost(app: ASGIApp) -> ASGIApp:
    """`app`, with its `SENT` messages turned into `Handover.complete` (never passed on to
    uvicorn, which knows no such message)."""

    async def handed(scope: Scope, receive: Receive, send: Send) -> None:
        handover = scope.get("extensions", {}).get(EXTENSION)
        if handover is None:
            await app(scope, receive, send)
            return

        async def send_or_complete(message: Message) -> None:
            if message["type"] == SENT:
                handover.complete(message["rest"])
            else:
                await send(message)

        await app(scope, receive, send_or_complete)

    return handed


def http_protocol(environ: dict[str, str] | None = None) -> type[Protocol] | str:
    """The HTTP protocol `policykg serve` gives uvicorn: `Protocol`, unless the environment
    sets POLICYKG_WORKER_WRITES=0 (then uvicorn's own, and the server writes every
    response itself: for comparing the two, or if the hand-over ever misbehaves)."""
    value = (os.environ if environ is None else environ).get("POLICYKG_WORKER_WRITES", "1")
    return "auto" if value.strip().lower() in ("0", "false", "no", "off") else Protocol
