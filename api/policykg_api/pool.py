"""SPARQL queries run in worker processes, so a query past its deadline can be stopped for
real (the process is killed, its CPU freed) while the server keeps answering others. (On a
remote store the worker's HTTP request is dropped; the server's own limit — Virtuoso's
MaxQueryExecutionTime — bounds what it keeps computing.)

A query that runs longer than `QueryPool.long_query` goes on at a lower CPU priority, so
cheap queries beside long ones keep their latency on a small machine; its worker is put
back at the normal priority when it answers (or replaced, where that is not allowed).

Given the client's socket with the query, a worker writes a 200 answer there itself
(`worker_response.py`, `handover.py`) and tells the server how much it wrote.

Each worker opens the store read-only and reopens it when the store's generation changes.
Writes take every worker out of the pool first (`exclusive`), so nothing reads the files
while they change."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import multiprocessing as mp
import os
import pickle
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from policykg.query_text import has_dataset_clause
from policykg.remote_config import RemoteConfig
from policykg_api.worker_response import DEADLINE_MARGIN_S, HeadSpec, http_head, send_now

StoreSpec = Path | RemoteConfig  # a store folder, or a remote server's configuration


# the niceness of a worker whose query has run for `QueryPool.long_query` seconds
LONG_QUERY_NICE = 10


class QueryTimeout(Exception):
    pass


class WorkerDied(Exception):
    pass


class ResponseBegun(Exception):
    """The worker was stopped (deadline, death) after it had begun writing the response to
    the client itself: no other answer can follow on that connection."""


@dataclass
class QueryRequest:
    query: str
    accept: list[tuple[str, float]]
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    max_rows: int = 10000
    generation: int = 0  # the store's, set by the pool once a worker is held
    # with a client's socket: how to write the response there (worker_response.py)
    head: HeadSpec | None = None

    # Sent to a worker as a tuple of builtins (a reply comes back as one too), which pickles
    # in C: a dataclass pickles through copyreg in Python (4.2 µs against 0.7 µs for this
    # request, on a warm server), and a request is pickled right after the server has
    # idled, its caches cold (56 µs measured there, of the ~0.2 ms between the route and
    # the worker).
    def packed(self) -> tuple:
        head = self.head
        return (self.query, self.accept, self.default_graph_uris, self.named_graph_uris,
                self.max_rows, self.generation,
                None if head is None else (head.default_headers, head.started, head.deadline,
                                           head.max_rows))

    @classmethod
    def unpacked(cls, fields: tuple) -> QueryRequest:
        *plain, head = fields
        return cls(*plain, None if head is None else HeadSpec(*head))


@dataclass
class QueryReply:
    status: int
    media_type: str
    body: bytes | bytearray  # a bytearray once read by the server (never copied again)
    truncated: bool = False
    rows: int = 0
    offered: list[str] = field(default_factory=list)
    ms: float = 0.0  # the worker's time on it: the query run and its results written
    # bytes of the HTTP response the worker wrote to the client itself (-1: the socket
    # failed), `body` then being the rest, for the server to write; None: not written
    sent: int | None = None

    def packed(self) -> tuple:
        """All but the body, which is sent after it as it is (`_send_reply`)."""
        return (self.status, self.media_type, self.truncated, self.rows, self.offered,
                self.ms, self.sent)

    @classmethod
    def unpacked(cls, fields: tuple) -> QueryReply:
        status, media_type, *rest = fields
        return cls(status, media_type, b"", *rest)


def _execute(store, req: QueryRequest) -> QueryReply:
    import pyoxigraph as ox

    from policykg.union_graph import union_options
    from policykg_api import results as R
    from policykg_api.negotiation import choose

    opts: dict = {}
    try:
        if req.default_graph_uris:
            opts["default_graph"] = [ox.NamedNode(u) for u in req.default_graph_uris]
        elif not has_dataset_clause(req.query):
            # the union of all graphs, unless the query names its dataset (FROM …)
            opts.update(union_options(store))
        if req.named_graph_uris:
            opts["named_graphs"] = [ox.NamedNode(u) for u in req.named_graph_uris]
    except ValueError as e:
        return QueryReply(400, "text/plain; charset=utf-8",
                          f"bad graph IRI in default-graph-uri/named-graph-uri: {e}".encode())
    try:
        res = store.query(req.query, **opts)
    except SyntaxError as e:
        return QueryReply(400, "text/plain; charset=utf-8",
                          f"SPARQL syntax error: {e}".encode())
    except ValueError as e:  # e.g. an invalid IRI in default-graph-uri
        return QueryReply(400, "text/plain; charset=utf-8", f"bad request: {e}".encode())
    if isinstance(res, ox.QuerySolutions):
        offered = list(R.SELECT_TYPES)
        media = choose(req.accept, offered)
        if media is None:
            return QueryReply(406, "", b"", offered=offered)
        first = [res]

        def run() -> ox.QuerySolutions:  # this run, then another if the writer needs one
            return first.pop() if first else store.query(req.query, **opts)

        body, rows, truncated = R.write_select(run, R.SELECT_TYPES[media], req.max_rows)
        return QueryReply(200, media, body, truncated, rows)
    if isinstance(res, ox.QueryBoolean):
        offered = list(R.SELECT_TYPES)
        media = choose(req.accept, offered)
        if media is None:
            return QueryReply(406, "", b"", offered=offered)
        return QueryReply(200, media, R.write_boolean(bool(res), R.SELECT_TYPES[media]))
    offered = list(R.GRAPH_TYPES)
    media = choose(req.accept, offered)
    if media is None:
        return QueryReply(406, "", b"", offered=offered)
    triples = []
    truncated = False
    for t in res:
        if len(triples) >= req.max_rows:
            truncated = True
            break
        triples.append(t)
    body = ox.serialize(triples, format=R.GRAPH_TYPES[media]) or b""
    return QueryReply(200, media, body, truncated, len(triples))


READY = "ready"  # a worker's first message: imports done, store open


def _worker_main(conn: Connection, spec: StoreSpec, generation: int, begun) -> None:
    import pyoxigraph as ox

    if isinstance(spec, RemoteConfig):
        from policykg.store import StoreError, open_store  # (imports rdflib: remote only)

        store, remote, failures = open_store(spec), True, (StoreError,)
    else:
        remote, failures = False, ()
        try:
            store = ox.Store.read_only(str(spec))
        except OSError:  # tried again, and reported, at the first query
            store, generation = None, -1
    conn.send(READY)
    sock = socket.socket(fileno=conn.fileno())  # the same descriptor, for sendmsg
    while True:
        try:
            message, client = _receive(sock)
        except (EOFError, OSError, KeyboardInterrupt):
            sock.detach()
            return
        if message is None:
            sock.detach()
            return
        req = QueryRequest.unpacked(message)
        begun.value = 0
        try:
            if not remote and generation != req.generation:
                store = None
                store = ox.Store.read_only(str(spec))
                generation = req.generation
            start = time.perf_counter()
            reply = _execute(store, req)
            reply.ms = (time.perf_counter() - start) * 1000
        except failures as e:  # the remote server failed or is unreachable
            reply = QueryReply(502, "text/plain; charset=utf-8", str(e).encode())
        except Exception as e:  # report, never die silently
            reply = QueryReply(500, "text/plain; charset=utf-8",
                               f"query failed: {type(e).__name__}: {e}".encode())
        if client is not None:
            try:
                _write_response(client, req, reply, begun)
            finally:
                os.close(client)
        _send_reply(sock, reply)


def _receive(sock: socket.socket) -> tuple[object, int | None]:
    """The server's next message (a Connection frame) and the client socket sent with it, if
    any. The descriptor comes with the frame's first bytes, so those are read with room for
    it: read any other way, the kernel would drop it."""
    head, fds = b"", []
    while len(head) < 4:
        data, got, _, _ = socket.recv_fds(sock, 4 - len(head), 1)
        fds += got
        if not data:
            raise EOFError
        head += data
    for extra in fds[1:]:
        os.close(extra)
    (size,) = struct.unpack("!i", head)  # requests are far below the 2 GiB long form
    body = bytearray(size)
    with memoryview(body) as view:
        got = 0
        while got < size:
            n = sock.recv_into(view[got:])
            if n == 0:
                raise EOFError
            got += n
    return pickle.loads(body), (fds[0] if fds else None)


def _write_response(client: int, req: QueryRequest, reply: QueryReply, begun) -> None:
    """Write a 200 answer's HTTP response to the client's socket (as much as it takes now);
    `reply` then says how much, its body the rest. `begun` is set first: if the worker is
    stopped from here on, the server knows the connection may hold part of a response.
    Anything else, or with too little of the deadline left, is left to the server."""
    spec = req.head
    if (spec is None or reply.status != 200
            or time.perf_counter() > spec.deadline - DEADLINE_MARGIN_S):
        return
    body = reply.body
    head = http_head(spec, reply.media_type, len(body), reply.rows, reply.truncated, reply.ms)
    begun.value = 1
    sent = send_now(client, [head, body])
    reply.sent = sent
    if sent < 0:
        reply.body = b""
    elif sent < len(head):
        reply.body = head[sent:] + body
    else:
        reply.body = memoryview(body)[sent - len(head):]


def _send_reply(sock: socket.socket, reply: QueryReply) -> None:
    """The reply pickled without its body, then the body as it is, each framed as
    `Connection` frames a message, in one system call where the socket takes it all. (A
    body pickled with its reply is copied once more on each side: the pool's own time for
    a 2 MB graph was 2.4–3.0 ms that way, 2.0–2.3 ms this way.)"""
    body = memoryview(reply.body)
    parts = [memoryview(_message(reply.packed())), memoryview(_frame_head(body.nbytes)), body]
    while parts:
        sent = sock.sendmsg(parts)
        while parts and sent >= len(parts[0]):
            sent -= len(parts.pop(0))
        if sent:
            parts[0] = parts[0][sent:]


class _Worker:
    """One worker process and the server's end of its socket pair. The server's end is
    non-blocking and watched by the event loop for as long as the worker lives: each reply
    is read as it arrives, in as many pieces as it comes in, and handed to the query
    waiting for it. (Taking the socket into the loop and out again for each query, and
    reading each reply in one blocking call, cost six more system calls a query — a fifth
    of the event loop's CPU for a one-row query — and held the loop while a large reply
    came through.) Messages both ways are framed as `Connection` frames them: a length,
    then a pickle — but a reply is two: itself pickled without its body, then the body as
    it is, which is read straight into the buffer the response is sent from."""

    def __init__(self, ctx: mp.context.BaseContext, spec: StoreSpec, generation: int) -> None:
        self.conn, child = ctx.Pipe()
        # set by the worker as it begins writing a response to a client itself; read once
        # it is dead (shared memory: no message, no wake-up)
        self.begun = ctx.RawValue("b", 0)
        self.proc = ctx.Process(target=_worker_main,
                                args=(child, spec, generation, self.begun), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False  # said it has started
        self.lowered = False  # running at LONG_QUERY_NICE
        self.idle_since = 0.0  # the event loop's time when it last came back
        self._sock = socket.socket(fileno=self.conn.fileno())  # the same descriptor
        self._sock.setblocking(False)
        self._messages = _MessageReader(self._sock)
        self._reply: asyncio.Future | None = None  # the query waiting for a reply
        self._on_ready: Callable[[_Worker, bool], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # watching the socket

    def when_ready(self, ready: Callable[[_Worker, bool], None]) -> None:
        """Watch the worker's socket; call `ready(self, True)` on the event loop once the
        worker has started (imported, its store opened), or `ready(self, False)` if it died
        first. Until then no query is given to it: a query handed to a process still
        starting waited out its start-up (~0.7 s when several start at once on two
        cores)."""
        self._on_ready = ready
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._sock.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            message = self._messages.read()
        except (EOFError, OSError) as e:
            return self._lost(WorkerDied(str(e) or "the query worker closed its end"))
        if message is not _MessageReader.PENDING:
            self._received(message)

    def _received(self, message: object) -> None:
        if self._on_ready is not None:  # the first message
            self._start_ended(message == READY)
        elif self._reply is not None and not self._reply.done():
            self._reply.set_result(message)

    def _lost(self, error: WorkerDied) -> None:
        """The worker died or its socket failed: stop watching it; tell whoever waits."""
        self.unwatch()
        if self._on_ready is not None:
            self._start_ended(False)
        elif self._reply is not None and not self._reply.done():
            self._reply.set_exception(error)

    def _start_ended(self, ok: bool) -> None:
        """Tell `when_ready`'s caller whether the worker started (killed if it did not)."""
        assert self._on_ready is not None
        ready, self._on_ready = self._on_ready, None
        self.ready = ok
        if not ok:
            self.kill()
        ready(self, ok)

    def unwatch(self) -> None:
        """Stop watching the socket (on the event loop); before the worker is stopped."""
        if self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._loop = None

    def lower_priority(self) -> None:
        """A query still running after `QueryPool.long_query` seconds yields the CPU to
        cheap ones: on two cores, four long queries at the normal priority made a cheap query
        beside them wait for CPU time (its p99 ten times its own)."""
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.proc.pid, LONG_QUERY_NICE)
            self.lowered = True

    def restore_priority(self) -> bool:
        """Back to the normal priority; False where the system does not allow raising it
        again (an unprivileged user): the worker is then replaced rather than reused."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.proc.pid, 0)
        except OSError:
            return False
        self.lowered = False
        return True

    async def call(self, req: QueryRequest, timeout: float,
                   long_after: float | None = None, client: int | None = None) -> QueryReply:
        """Send the query (with the `client` socket for the worker to answer on, if given)
        and wait for its reply, which the event loop reads as it comes (`_readable`). Past
        `timeout` seconds: QueryTimeout. A query still running after `long_after` seconds
        goes on at a lower priority."""
        loop = asyncio.get_running_loop()
        reply = self._reply = loop.create_future()

        def expired() -> None:
            if not reply.done():
                reply.set_exception(QueryTimeout())

        timers = [loop.call_later(timeout, expired)]
        if long_after is not None:
            timers.append(loop.call_later(long_after, self.lower_priority))
        try:
            message = _message(req.packed())
            try:
                if client is not None:
                    message = message[self._send_with(message, client):]
                if message:  # (all sent with the descriptor, as a request nearly always is)
                    await loop.sock_sendall(self._sock, message)
            except OSError as e:
                raise WorkerDied(str(e)) from e
            return await reply
        finally:
            self._reply = None
            for t in timers:
                t.cancel()

    def _send_with(self, message: bytes, client: int) -> int:
        """Send the start of `message` with the client's socket descriptor attached (the
        worker gets its own copy): the bytes sent, the rest for the caller. 0 if the socket
        takes nothing now: then the descriptor is not sent and the server answers."""
        try:
            return socket.send_fds(self._sock, [message], [client])
        except BlockingIOError:
            return 0

    def kill(self) -> None:
        """Kill the worker (on the event loop)."""
        self.proc.kill()
        self.unwatch()
        self.reap()

    def reap(self) -> None:
        """Wait for a killed process to exit (a large one takes ~0.1 s: not on the loop)."""
        self.proc.join(5)
        self._close()

    def _close(self) -> None:
        self._sock.detach()  # the descriptor is the connection's, closed by it
        self.conn.close()

    def stop(self) -> None:
        """Ask the worker to end; killed if it does not. Off the event loop (it blocks),
        once `unwatch`ed."""
        with contextlib.suppress(OSError):
            self._sock.setblocking(True)
            self._sock.sendall(_message(None))
        self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self._close()


class _FrameReader:
    """Frames from a non-blocking socket, as `Connection.send_bytes` frames them: the
    length (4 bytes, or -1 and 8 more past 2 GiB), then the bytes, read straight into a
    buffer of that size, in as many pieces as they come in."""

    PENDING = object()  # what `read` returns while a frame has not all come

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.head = bytearray(12)
        self.head_size = 4
        self.body: bytearray | None = None
        self.got = 0  # bytes of the head, or of the body, read so far

    def read(self) -> bytearray | object:
        """The next frame if it has all come now, else PENDING. EOFError when the other
        end has closed."""
        try:
            while True:
                if self.body is None:
                    with memoryview(self.head) as head:
                        self._recv_into(head[self.got:self.head_size])
                    if self.got < self.head_size:
                        continue
                    (size,) = struct.unpack_from("!i", self.head)
                    if size == -1:
                        if self.head_size == 4:
                            self.head_size = 12
                            continue
                        (size,) = struct.unpack_from("!Q", self.head, 4)
                    self.body, self.got = bytearray(size), 0
                if self.got < len(self.body):
                    with memoryview(self.body) as body:
                        self._recv_into(body[self.got:])
                if self.got == len(self.body):
                    frame, self.body, self.got, self.head_size = self.body, None, 0, 4
                    return frame
        except BlockingIOError:
            return self.PENDING

    def _recv_into(self, view: memoryview) -> None:
        n = self.sock.recv_into(view)
        if n == 0:
            raise EOFError("the other end closed")
        self.got += n


class _MessageReader:
    """A worker's messages as `_send_reply` sends them: each pickled in a frame, a reply as
    a tuple (`QueryReply.packed`) and its body in a frame of its own after it, taken as it
    is."""

    PENDING = _FrameReader.PENDING  # what `read` returns while a message has not all come

    def __init__(self, sock: socket.socket) -> None:
        self.frames = _FrameReader(sock)
        self.head: QueryReply | None = None  # a reply whose body has not all come

    def read(self) -> object:
        """The next message if it has all come now, else PENDING."""
        while True:
            frame = self.frames.read()
            if frame is self.PENDING:
                return frame
            if self.head is None:
                message = pickle.loads(frame)
                if not isinstance(message, tuple):
                    return message
                self.head = QueryReply.unpacked(message)  # its body comes next: read on
            else:
                message, self.head = self.head, None
                message.body = frame
                return message


def _frame_head(n: int) -> bytes:
    return struct.pack("!i", n) if n <= 0x7FFFFFFF else struct.pack("!iQ", -1, n)


def _message(obj: object) -> bytes:
    """`obj` framed as `Connection.send` frames it, for the worker's `Connection.recv`.
    Plain pickle: the messages are builtins, nothing multiprocessing's own pickler adds
    reducers for (and it took 2.5 µs more on a request)."""
    payload = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    return _frame_head(len(payload)) + payload


class _IdleWorkers(asyncio.Queue):
    """Idle workers. The one back last is handed out first: at low concurrency one worker
    answers most queries, with its store's caches warm (handed out in turn, each worker's
    caches warmed more slowly and a query took up to twice as long meanwhile). The one idle
    longest is the first given up when the pool shrinks. (`_init`, `_put` and `_get` are
    asyncio.Queue's hooks for its subclasses.)"""

    def _init(self, maxsize: int) -> None:
        self._queue: collections.deque[_Worker] = collections.deque()

    def _put(self, item: _Worker) -> None:
        self._queue.append(item)

    def _get(self) -> _Worker:
        return self._queue.pop()

    def oldest(self) -> _Worker | None:
        return self._queue[0] if self._queue else None

    def take_oldest(self) -> _Worker:
        return self._queue.popleft()


class QueryPool:
    """`size` worker processes, growing up to `max_size` under load: one spare is started as
    soon as every worker is busy, and a query that has waited `grace` seconds gets another
    started (long queries then do not hold every cheap one up until their deadline). A
    query is given the first worker that is ready — one coming back or one just started —
    never one still starting. Workers beyond `size` are stopped once they have been idle for
    `idle_keep` seconds, the one idle longest first."""

    grace = 0.2
    start_timeout = 60.0  # for the first workers, at start-up
    long_query = 0.25  # seconds: a query running longer goes on at a lower priority
    # Stopping a worker beyond `size` as soon as it came back meant, under two or more
    # concurrent clients, a spare started and a warm worker stopped some 26 times a second
    # (each start a fork and a store opened, each query after it on cold caches).
    idle_keep = 2.0

    def __init__(self, spec: StoreSpec, size: int = 2, max_size: int | None = None,
                 generation: Callable[[], int] = lambda: 0) -> None:
        self.spec = spec
        self.generation = generation  # the store's now: a new worker opens that one
        self.size = size
        self.max_size = max(size, max_size if max_size is not None else 2 * size)
        # Workers are forked from a server process that has imported what they need: a
        # worker started while long queries hold the CPU is ready in ~50 ms instead of the
        # ~250 ms of a fresh interpreter, and that start was what a cheap query waited for
        # when stopped long queries were sent again together.
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(["pyoxigraph", "policykg_api.pool"])
        self._idle: _IdleWorkers | None = None
        self._trim_at: asyncio.TimerHandle | None = None  # the next look for idle extras
        self._starting: set[_Worker] = set()
        self._count = 0  # workers alive: starting, idle, running a query, or held by a writer
        self._writing = False
        self._writers: asyncio.Lock | None = None  # one writer at a time holds the workers
        self.killed = 0  # queries stopped at their deadline, for /health
        self.written = 0  # responses the workers wrote to clients themselves, for /health
        self.failed_starts = 0
        self._waiting = 0  # queries in `_acquire` waiting for a worker

    async def start(self) -> None:
        self._idle = _IdleWorkers()
        self._writers = asyncio.Lock()
        for _ in range(self.size):
            self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout
        while self._starting and loop.time() < deadline:
            await asyncio.sleep(0.01)
        if self._idle.qsize() < self.size:
            raise RuntimeError(f"query workers did not start ({self.failed_starts} failed)")

    async def close(self) -> None:
        if self._idle is None:
            return
        if self._trim_at is not None:
            self._trim_at.cancel()
            self._trim_at = None
        for w in list(self._starting):
            w.kill()
        while not self._idle.empty():
            w = self._idle.get_nowait()
            w.unwatch()
            w.stop()

    def may_hand_over(self) -> bool:
        """Whether a query sent now could have its worker write the answer: only while
        another worker than the one it gets is idle. Busy, the server is awake and relays
        the answer at little cost, and a worker back before its client has the answer is
        ready for the client's next query; written by the worker, the next query came first
        and waited for a worker (one-row queries at 32 connections: ~20% fewer a second).
        Asked by the route before it prepares a hand-over, and checked again by `run`."""
        assert self._idle is not None, "pool not started"
        return self._waiting == 0 and self._idle.qsize() >= 2

    def figures(self) -> dict[str, int]:
        assert self._idle is not None
        return {"alive": self._count, "idle": self._idle.qsize(),
                "starting": len(self._starting), "size": self.size, "max": self.max_size,
                "failed_starts": self.failed_starts, "responses_written": self.written}

    def _spawn(self) -> None:
        """Start a worker; it joins the idle ones when it says it is ready."""
        assert self._idle is not None
        self._count += 1
        w = _Worker(self._ctx, self.spec, self.generation())
        self._starting.add(w)
        w.when_ready(self._started)

    def _started(self, w: _Worker, ok: bool) -> None:
        assert self._idle is not None
        self._starting.discard(w)
        if ok:
            self._idle_again(w)
        else:  # died while starting: not counted any more
            self._count -= 1
            self.failed_starts += 1

    def _may_grow(self) -> bool:
        return self._count < self.max_size and not self._writing

    async def _acquire(self, timeout: float) -> _Worker:
        assert self._idle is not None, "pool not started"
        if self._waiting == 0 and not self._idle.empty():
            # most queries: a worker at once, with no task or timer to wait with. Never
            # ahead of queries already waiting (one woken for a worker given back has not
            # taken it yet): taken from them, they waited on, and at 32 connections the p99
            # of a one-row query doubled (30 -> 60 ms).
            return self._idle.get_nowait()
        self._waiting += 1
        try:
            try:
                return await asyncio.wait_for(self._idle.get(), min(self.grace, timeout))
            except TimeoutError:
                if timeout <= self.grace:
                    raise
            if self._may_grow():
                self._spawn()  # the first ready worker goes to this query: it or another
            return await asyncio.wait_for(self._idle.get(), timeout - self.grace)
        finally:
            self._waiting -= 1

    async def run(self, req: QueryRequest, timeout: float,
                  client: int | None = None) -> QueryReply:
        """The query's reply from a worker, within `timeout` seconds (else QueryTimeout).
        With `client`, a client's socket, and `req.head`, the worker may write the response
        there itself (the reply then says how much it wrote); if the worker is stopped after
        it began to: ResponseBegun."""
        assert self._idle is not None, "pool not started"
        loop = asyncio.get_running_loop()
        start = loop.time()
        worker: _Worker | None = await self._acquire(timeout)
        # the store's generation now, not when the request came: a write may have run while
        # it waited for a worker (writers hold them all), and a worker told the older
        # generation read files that write had deleted (the soak: a 500 on a missing .sst).
        # Holding a worker, no write runs until it is given back.
        req.generation = self.generation()
        self._keep_a_spare()
        if client is not None and self._idle.empty():
            # (see `may_hand_over`)
            client, req.head = None, None
        remaining = max(0.05, timeout - (loop.time() - start))
        if req.head is not None:
            req.head.deadline = min(req.head.deadline, time.perf_counter() + remaining)
        try:
            reply = await worker.call(req, remaining, self.long_query, client)
        except (QueryTimeout, WorkerDied) as e:
            self.killed += 1
            exited = self._drop(worker)
            if client is not None:  # had the client's socket: did it begin writing there?
                await exited  # (dead, it writes no more; then its flag is final)
                if worker.begun.value:
                    raise ResponseBegun() from e
            raise
        except asyncio.CancelledError:  # given up (the server stopping): the worker may
            self._drop(worker)  # answer later, and that answer is no other query's
            raise
        self._release(worker)
        if reply.sent is not None:
            self.written += 1
        return reply

    def _drop(self, worker: _Worker) -> asyncio.Future:
        """Kill a worker now (waiting for it to exit is done off the loop: the future
        returned); start another below the pool's size, for a writer waiting for its full
        count, or when every other worker is busy (a query arriving now would wait for a
        start)."""
        worker.proc.kill()
        worker.unwatch()
        exited = asyncio.get_running_loop().run_in_executor(None, worker.reap)
        self._count -= 1
        if self._count < self.size or self._writing or self._idle.empty():
            self._spawn()
        return exited

    def _keep_a_spare(self) -> None:
        """When the last idle worker has been taken, start another at once (up to max_size):
        a cheap query arriving while long ones hold every worker then finds one ready
        instead of waiting out `grace` and a process start-up."""
        assert self._idle is not None
        if self._idle.empty() and not self._starting and self._may_grow():
            self._spawn()

    def _release(self, worker: _Worker) -> None:
        """Back to the idle workers. Beyond `size`, the pool shrinks back once the load has
        passed (`_trim`)."""
        assert self._idle is not None
        loop = asyncio.get_running_loop()
        if worker.lowered and not worker.restore_priority():
            self._count -= 1  # it would run cheap queries slowly: a fresh one instead
            worker.unwatch()
            loop.run_in_executor(None, worker.stop)
            if self._count < self.size or self._writing:
                self._spawn()
            return
        self._idle_again(worker)

    def _idle_again(self, worker: _Worker, since: float | None = None) -> None:
        """A worker started, back from a query (idle from now) or let go by a writer (idle
        `since` it was before)."""
        assert self._idle is not None
        loop = asyncio.get_running_loop()
        worker.idle_since = loop.time() if since is None else since
        self._idle.put_nowait(worker)
        if self._count > self.size and self._trim_at is None:
            self._trim_at = loop.call_later(self.idle_keep, self._trim)

    def _trim(self) -> None:
        """Stop the workers beyond `size` that have been idle for `idle_keep` seconds, the
        one idle longest first (off the loop); look again when the next one would be due."""
        assert self._idle is not None
        self._trim_at = None
        loop = asyncio.get_running_loop()
        due = self.idle_keep
        while self._count > self.size and not self._writing:
            w = self._idle.oldest()
            if w is None:
                break
            idle = loop.time() - w.idle_since
            if idle < self.idle_keep:
                due = self.idle_keep - idle
                break
            self._idle.take_oldest()
            self._count -= 1
            w.unwatch()
            loop.run_in_executor(None, w.stop)
        if self._count > self.size:
            self._trim_at = loop.call_later(max(0.05, due), self._trim)

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold every worker: no query reads the store while the caller writes it. (Those
        still starting are waited for: they open the store as they start.)"""
        assert self._idle is not None and self._writers is not None
        # One writer at a time: with two, the first to finish cleared `_writing` while the
        # second wrote, and a worker started then opened the files being written (the soak
        # saw a query fail on a deleted .sst file).
        async with self._writers:
            async with self._holding_every_worker():
                yield

    @contextlib.asynccontextmanager
    async def _holding_every_worker(self) -> AsyncIterator[None]:
        assert self._idle is not None
        self._writing = True  # no new workers while the writer collects them all
        try:
            held: list[_Worker] = []
            while len(held) < self._count:  # (which a worker failing to start lowers)
                with contextlib.suppress(TimeoutError):
                    held.append(await asyncio.wait_for(self._idle.get(), 0.1))
            try:
                yield
            finally:
                # back in the order they were in (taken last-in first), idle as they were:
                # a write does not keep extra workers alive
                for w in reversed(held):
                    self._idle_again(w, w.idle_since)
        finally:
            self._writing = False
