"""SPARQL queries run in worker processes, so a query past its deadline can be stopped for
real (the process is killed, its CPU freed) while the server keeps answering others. (On a
remote store the worker's HTTP request is dropped; the server's own limit — Virtuoso's
MaxQueryExecutionTime — bounds what it keeps computing.)

Each worker opens the store read-only and reopens it when the store's generation changes.
Writes take every worker out of the pool first (`exclusive`), so nothing reads the files
while they change."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from policykg.remote_config import RemoteConfig
from policykg.store import has_dataset_clause

StoreSpec = Path | RemoteConfig  # a store folder, or a remote server's configuration


class QueryTimeout(Exception):
    pass


class WorkerDied(Exception):
    pass


@dataclass
class QueryRequest:
    query: str
    accept: list[tuple[str, float]]
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    max_rows: int = 10000
    generation: int = 0


@dataclass
class QueryReply:
    status: int
    media_type: str
    body: bytes
    truncated: bool = False
    rows: int = 0
    offered: list[str] = field(default_factory=list)


def _execute(store, req: QueryRequest) -> QueryReply:
    import pyoxigraph as ox

    from policykg_api import results as R
    from policykg_api.negotiation import choose

    opts: dict = {}
    try:
        if req.default_graph_uris:
            opts["default_graph"] = [ox.NamedNode(u) for u in req.default_graph_uris]
        elif not has_dataset_clause(req.query):
            # the union of all graphs, unless the query names its dataset (FROM …)
            opts["use_default_graph_as_union"] = True
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
        variables = [v.value for v in res.variables]
        rows: list[tuple[object, ...]] = []
        truncated = False
        for sol in res:
            if len(rows) >= req.max_rows:
                truncated = True
                break
            rows.append(tuple(sol))  # its values in the order of the variables
        body = R.write_select(variables, rows, R.SELECT_TYPES[media], truncated)
        return QueryReply(200, media, body, truncated, len(rows))
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


def _worker_main(conn: Connection, spec: StoreSpec) -> None:
    import pyoxigraph as ox

    from policykg.store import StoreError, open_store

    remote = open_store(spec) if isinstance(spec, RemoteConfig) else None
    store = remote
    generation = None
    while True:
        try:
            req = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if req is None:
            return
        try:
            if remote is None and (store is None or generation != req.generation):
                store = None
                store = ox.Store.read_only(str(spec))
                generation = req.generation
            reply = _execute(store, req)
        except StoreError as e:  # the remote server failed or is unreachable
            reply = QueryReply(502, "text/plain; charset=utf-8", str(e).encode())
        except Exception as e:  # report, never die silently
            reply = QueryReply(500, "text/plain; charset=utf-8",
                               f"query failed: {type(e).__name__}: {e}".encode())
        conn.send(reply)


class _Worker:
    def __init__(self, ctx: mp.context.BaseContext, spec: StoreSpec) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, spec), daemon=True)
        self.proc.start()
        child.close()

    async def call(self, req: QueryRequest, timeout: float) -> QueryReply:
        """Send the query, then wait for the reply on the event loop (no thread hop): the
        pipe's file descriptor wakes the loop when the worker answers."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = self.conn.fileno()
        try:
            # uvloop's add_reader leaves the descriptor non-blocking: a reply larger than the
            # pipe's buffer then failed half-read (EAGAIN) whenever it was read faster than
            # the worker wrote it. send and recv need it blocking.
            os.set_blocking(fd, True)
            self.conn.send(req)
            loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
            try:
                await asyncio.wait_for(ready, timeout)
            except TimeoutError:
                raise QueryTimeout from None
            finally:
                loop.remove_reader(fd)
                os.set_blocking(fd, True)
            return self.conn.recv()
        except (EOFError, BrokenPipeError, OSError) as e:
            raise WorkerDied(str(e)) from e

    def kill(self) -> None:
        self.proc.kill()
        self.reap()

    def reap(self) -> None:
        """Wait for a killed process to exit (a large one takes ~0.1 s: not on the loop)."""
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.proc.join(2)
        if self.proc.is_alive():
            self.kill()


class QueryPool:
    """`size` worker processes, growing up to `max_size` under load: one spare is started as
    soon as every worker is busy, and a query that has waited `grace` seconds gets a new one
    (long queries then do not hold every cheap one up until their deadline). Idle workers
    beyond `size` are stopped when they come back."""

    grace = 0.2

    def __init__(self, spec: StoreSpec, size: int = 2, max_size: int | None = None) -> None:
        self.spec = spec
        self.size = size
        self.max_size = max(size, max_size if max_size is not None else 2 * size)
        self._ctx = mp.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._count = 0  # workers alive: idle, running a query, or held by a writer
        self._writing = False
        self.killed = 0  # queries stopped at their deadline, for /health

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            self._idle.put_nowait(_Worker(self._ctx, self.spec))
        self._count = self.size

    async def close(self) -> None:
        if self._idle is None:
            return
        while not self._idle.empty():
            self._idle.get_nowait().stop()

    async def _acquire(self, timeout: float) -> _Worker:
        assert self._idle is not None, "pool not started"
        try:
            return await asyncio.wait_for(self._idle.get(), min(self.grace, timeout))
        except TimeoutError:
            if timeout <= self.grace:
                raise
        if self._count < self.max_size and not self._writing:
            self._count += 1  # a new process: its first query pays its start-up
            return _Worker(self._ctx, self.spec)
        return await asyncio.wait_for(self._idle.get(), timeout - self.grace)

    async def run(self, req: QueryRequest, timeout: float) -> QueryReply:
        assert self._idle is not None, "pool not started"
        loop = asyncio.get_running_loop()
        start = loop.time()
        worker: _Worker | None = await self._acquire(timeout)
        self._keep_a_spare()
        remaining = max(0.05, timeout - (loop.time() - start))
        try:
            return await worker.call(req, remaining)
        except (QueryTimeout, WorkerDied):
            worker.proc.kill()  # at once; waiting for it to exit is done off the loop
            loop.run_in_executor(None, worker.reap)
            self.killed += 1
            if self._count > self.size and not self._writing:
                self._count -= 1  # beyond the pool's size: not replaced
                worker = None
            else:
                worker = _Worker(self._ctx, self.spec)
            raise
        finally:
            if worker is not None:
                self._release(worker)

    def _keep_a_spare(self) -> None:
        """When the last idle worker has been taken, start another at once (up to max_size):
        a cheap query arriving while long ones hold every worker then finds one ready
        instead of waiting out `grace` and a process start-up."""
        assert self._idle is not None
        if self._idle.empty() and self._count < self.max_size and not self._writing:
            self._count += 1
            self._idle.put_nowait(_Worker(self._ctx, self.spec))

    def _release(self, worker: _Worker) -> None:
        """Back to the idle workers; one beyond `size` idle ones is stopped (off the loop),
        so the pool shrinks back to its size once the load has passed."""
        assert self._idle is not None
        if self._count > self.size and self._idle.qsize() >= self.size and not self._writing:
            self._count -= 1
            asyncio.get_running_loop().run_in_executor(None, worker.stop)
        else:
            self._idle.put_nowait(worker)

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold every worker: no query reads the store while the caller writes it."""
        assert self._idle is not None
        self._writing = True  # no new workers while the writer collects them all
        try:
            held = [await self._idle.get() for _ in range(self._count)]
            try:
                yield
            finally:
                for w in held:
                    self._idle.put_nowait(w)
        finally:
            self._writing = False
