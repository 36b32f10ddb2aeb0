"""A query worker writing a /sparql answer to the client's socket itself (the worker's side;
the server's side is `handover.py`).

A query that takes a while leaves the server idle until its answer comes, and on this kind
of machine an idle process wakes slowly and runs its first fraction of a millisecond on cold
caches: relayed through the server, the answer of a query of 10 ms or more spent 1.0-1.2 ms
in the server around the worker, a one-row query's 0.4 ms (docs/sparql-latency.md). The
worker has just run the query and is warm, so it writes the whole HTTP response (head and
body) to the client's socket, whose descriptor came with the query, and the server only
finishes its bookkeeping.

Only a plain 200 answer goes this way: errors (400, 406, 500) and anything the worker could
not write at once are sent back to the server as before. Imports the standard library only:
it runs in every worker."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

# A worker writes the answer itself only when at least this much of the query's time is
# left, so a query stopped at its deadline has written nothing and is answered 503 — unless
# the worker stalled this long in one non-blocking write; then the flag it set first tells
# the server, which closes the connection instead (pool.py, `ResponseBegun`).
DEADLINE_MARGIN_S = 0.1


@dataclass
class HeadSpec:
    """What the worker needs, beside its reply, to write the response as the server would:
    the server's default headers (date, server), when the request began (`perf_counter`,
    one clock for every process), its deadline, and the row cap to name if it is reached."""

    default_headers: list[tuple[bytes, bytes]]
    started: float
    deadline: float
    max_rows: int


def content_type(media: str) -> str:
    """The Content-Type sent for a results media type (with its charset where textual)."""
    if media.startswith("text/") or media.endswith(("json", "xml")):
        return media + "; charset=utf-8"
    return media


def answer_headers(rows: int, truncated: bool, ms: float, max_rows: int
                   ) -> list[tuple[str, str]]:
    """The /sparql answer's own headers, the same whichever process writes the response."""
    # the worker's share of the time, beside the whole request's (`app`)
    headers = [("PolicyKG-Rows", str(rows)), ("Server-Timing", f"query;dur={ms:.2f}")]
    if truncated:
        headers.append(("PolicyKG-Truncated", f"true; max-rows={max_rows}"))
    return headers


def http_head(spec: HeadSpec, media: str, length: int, rows: int, truncated: bool,
              ms: float) -> bytes:
    """The head of a 200 response carrying `length` bytes, laid out as uvicorn lays out the
    one the server would send (its default headers first; names in lower case)."""
    lines = [b"HTTP/1.1 200 OK\r\n"]
    lines += [b"%s: %s\r\n" % (k, v) for k, v in spec.default_headers]
    own = [*answer_headers(rows, truncated, ms, spec.max_rows),
           ("content-length", str(length)), ("content-type", content_type(media)),
           ("server-timing", f"app;dur={(time.perf_counter() - spec.started) * 1000:.2f}")]
    lines += [f"{k.lower()}: {v}\r\n".encode("latin-1") for k, v in own]
    lines.append(b"\r\n")
    return b"".join(lines)


def send_now(fd: int, parts: list[bytes | bytearray | memoryview]) -> int:
    """Write what the socket takes now (it is non-blocking: the server's own descriptor,
    shared): the bytes written, or -1 if the socket failed (the client gone)."""
    views = [memoryview(p) for p in parts if len(p)]
    sent = 0
    try:
        while views:
            n = os.writev(fd, views)
            sent += n
            while views and n >= len(views[0]):
                n -= len(views.pop(0))
            if n:
                views[0] = views[0][n:]
    except BlockingIOError:
        pass
    except OSError:
        return -1
    return sent
