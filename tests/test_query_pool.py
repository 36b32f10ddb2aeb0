"""The query pool on its own, against a real embedded store: workers are handed out only once
they have started, a worker that dies while starting is not counted, a stopped query's worker
is gone, the pool settles back to its size, and replies are read as they come."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import socket
import struct
import threading
import time
from multiprocessing.reduction import ForkingPickler

import pyoxigraph as ox
import pytest

from policykg import union_graph
from policykg.store import OxigraphStore
from policykg_api.pool import (
    LONG_QUERY_NICE,
    READY,
    QueryPool,
    QueryReply,
    QueryRequest,
    QueryTimeout,
    _FrameReader,
    _MessageReader,
    _send_reply,
    _Worker,
)
from policykg_api.worker_response import HeadSpec

ACCEPT = [("application/sparql-results+json", 1.0)]
CHEAP = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# a Cartesian product over 600 triples: 600³ rows to count, minutes of work
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"


@pytest.fixture
def store_dir(tmp_path):
    path = tmp_path / "store"
    _write(path, [(f"s{i}", str(i), f"g{i % 3}") for i in range(600)])
    return path


def _write(path, rows: list[tuple[str, str, str]]) -> None:
    """(subject, object, graph) rows as the store writes new documents: in their named
    graphs and in the default graph, their union, in one bulk load."""
    ex = "http://example.org/"
    graphs: dict[str, list[str]] = {}
    for s, o, g in rows:
        graphs.setdefault(ex + g, []).append(f'<{ex}{s}> <{ex}p> "{o}" .\n')
    with OxigraphStore(path).writer() as db:
        db.bulk_load(union_graph.nquads_with_union(
            (g, "".join(lines).encode()) for g, lines in graphs.items()),
            format=ox.RdfFormat.N_QUADS)


def _run(coro):
    return asyncio.run(coro)


def test_start_waits_until_every_worker_is_ready(store_dir):
    async def go():
        pool = QueryPool(store_dir, size=2, max_size=3)
        await pool.start()
        try:
            assert not pool._starting
            assert pool._idle.qsize() == 2 and pool._count == 2
            for w in list(pool._idle._queue):
                assert w.ready and w.proc.is_alive()
            reply = await pool.run(QueryRequest(CHEAP, ACCEPT), 10)
            assert reply.status == 200 and b'"600"' in reply.body
        finally:
            await pool.close()
    _run(go())


def test_a_worker_that_dies_while_starting_is_not_counted_nor_handed_out(store_dir):
    async def go():
        pool = QueryPool(store_dir, size=1, max_size=3)
        await pool.start()
        try:
            pool._spawn()
            (starting,) = pool._starting
            starting.proc.kill()  # before it said it was ready
            for _ in range(500):
                if not pool._starting:
                    break
                await asyncio.sleep(0.01)
            assert not pool._starting and pool.failed_starts == 1
            assert pool._count == 1 and pool._idle.qsize() == 1
            assert starting not in pool._idle._queue
            reply = await pool.run(QueryRequest(CHEAP, ACCEPT), 10)
            assert reply.status == 200
        finally:
            await pool.close()
    _run(go())


def test_a_cheap_query_beside_a_long_one_gets_a_started_worker(store_dir, monkeypatch):
    """One worker, busy with a long query: the cheap query is given the spare started when
    the last idle worker was taken — and only after that spare said it was ready."""
    handed: list[bool] = []
    real_call = _Worker.call

    async def go():
        pool = QueryPool(store_dir, size=1, max_size=2)
        await pool.start()

        async def recording_call(w, req, timeout, long_after=None, client=None):
            handed.append(w.ready and w not in pool._starting and w.proc.is_alive())
            return await real_call(w, req, timeout, long_after, client)

        monkeypatch.setattr(_Worker, "call", recording_call)
        try:
            long = asyncio.create_task(pool.run(QueryRequest(EXPENSIVE, ACCEPT), 3))
            await asyncio.sleep(0.05)
            reply = await pool.run(QueryRequest(CHEAP, ACCEPT), 10)
            assert reply.status == 200
            assert not long.done(), "the long query ended before the cheap one ran"
            with pytest.raises(QueryTimeout):
                await long
            assert handed == [True, True]
            assert pool.killed == 1
            # the long query's worker is gone; every worker counted is idle and alive
            for _ in range(500):
                if not pool._starting:
                    break
                await asyncio.sleep(0.01)
            alive = [w for w in pool._idle._queue if w.proc.is_alive()]
            assert 1 <= pool._count <= 2 and len(alive) == pool._count == pool._idle.qsize()
        finally:
            await pool.close()
    _run(go())


def test_a_writer_waits_for_workers_still_starting(store_dir):
    """`exclusive` holds every counted worker, including one still starting (it opens the
    store as it starts, so it must be done before anything is written)."""
    async def go():
        pool = QueryPool(store_dir, size=1, max_size=3)
        await pool.start()
        try:
            pool._spawn()
            assert len(pool._starting) == 1
            async with pool.exclusive():
                assert not pool._starting
                assert pool._idle.qsize() == 0 and pool._count == 2
            assert pool._idle.qsize() == 2
        finally:
            await pool.close()
    _run(go())


def test_two_writers_write_one_after_the_other_and_no_worker_starts_meanwhile(store_dir):
    """With two writers, the first to finish must not let workers start (and open the files)
    while the second writes."""
    async def go():
        pool = QueryPool(store_dir, size=1, max_size=3)
        await pool.start()
        seen: list[tuple[str, bool, bool]] = []

        async def writer(name: str) -> None:
            async with pool.exclusive():
                seen.append((name, pool._writing, pool._may_grow()))
                await asyncio.sleep(0.2)
                seen.append((name, pool._writing, pool._may_grow()))

        try:
            await asyncio.gather(writer("a"), writer("b"))
            assert [n for n, _, _ in seen] == ["a", "a", "b", "b"], seen
            assert all(writing and not may_grow for _, writing, may_grow in seen), seen
            assert not pool._writing and pool._may_grow()
        finally:
            await pool.close()
    _run(go())


def test_a_query_reads_the_store_as_of_when_it_got_a_worker(store_dir):
    """A request made before a write but run after it (it waited for a worker while the
    writer held them all) must see the store as written, not the files before."""
    generation = [0]

    async def go():
        pool = QueryPool(store_dir, size=1, max_size=1, generation=lambda: generation[0])
        await pool.start()
        try:
            first = await pool.run(QueryRequest(CHEAP, ACCEPT, generation=0), 10)
            assert b'"600"' in first.body
            stale = QueryRequest(CHEAP, ACCEPT, generation=generation[0])  # made now …
            async with pool.exclusive():  # … then a write while it waits
                _write(store_dir, [(f"n{i}", "new", "g9") for i in range(10)])
                generation[0] += 1
            reply = await pool.run(stale, 10)
            assert reply.status == 200, reply.body
            assert b'"610"' in reply.body, reply.body
        finally:
            await pool.close()
    _run(go())


# about half a second on the 600 triples: 600 × 600 × 10 rows to count
LONG = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f "
        "FILTER(STRLEN(?f) = 1) }")


def _priority(w: _Worker) -> int:
    return os.getpriority(os.PRIO_PROCESS, w.proc.pid)


def test_a_long_query_yields_the_cpu_and_its_worker_comes_back_at_the_normal_priority(
        store_dir):
    async def go():
        pool = QueryPool(store_dir, size=1, max_size=1)
        pool.long_query = 0.05
        await pool.start()
        try:
            (worker,) = list(pool._idle._queue)
            assert _priority(worker) == 0
            task = asyncio.create_task(pool.run(QueryRequest(LONG, ACCEPT), 30))
            await asyncio.sleep(0.2)
            assert not task.done(), "the query must still be running to be looked at"
            assert _priority(worker) == LONG_QUERY_NICE and worker.lowered
            reply = await task
            assert reply.status == 200 and b'"3600000"' in reply.body
            assert list(pool._idle._queue) == [worker]  # the same process, back
            assert _priority(worker) == 0 and not worker.lowered
            # a cheap query is not lowered
            await pool.run(QueryRequest(CHEAP, ACCEPT), 10)
            assert _priority(worker) == 0
        finally:
            await pool.close()
    _run(go())


def test_a_worker_whose_priority_cannot_be_raised_again_is_replaced(store_dir, monkeypatch):
    """Where raising a priority again is not allowed (an unprivileged user), the lowered
    worker is not reused for cheap queries: a fresh one takes its place."""
    real = os.setpriority

    def unprivileged(which, who, prio):
        if prio < os.getpriority(which, who):
            raise PermissionError(13, "Permission denied")
        real(which, who, prio)

    monkeypatch.setattr("policykg_api.pool.os.setpriority", unprivileged)

    async def go():
        pool = QueryPool(store_dir, size=1, max_size=2)
        pool.long_query = 0.05
        await pool.start()
        try:
            (worker,) = list(pool._idle._queue)
            reply = await pool.run(QueryRequest(LONG, ACCEPT), 30)
            assert reply.status == 200
            for _ in range(500):
                if pool._idle.qsize() == 1 and not pool._starting:
                    break
                await asyncio.sleep(0.01)
            (fresh,) = list(pool._idle._queue)
            assert fresh is not worker and _priority(fresh) == 0
            assert pool._count == 1
            worker.proc.join(5)
            assert not worker.proc.is_alive()
        finally:
            await pool.close()
    _run(go())


def test_workers_beyond_its_size_stay_through_a_burst_and_go_once_idle(store_dir,
                                                                       monkeypatch):
    """Two clients querying without pause keep one worker beyond the size busy: it is kept
    while they query (when it was stopped as soon as it came back, a fresh spare was started
    for almost every query), and stopped `idle_keep` seconds after the burst. The worker that
    stays is the one back last, its caches warm."""
    answered: list[int] = []  # pid of the worker of each query
    starts: list[int] = []
    real_call, real_spawn = _Worker.call, QueryPool._spawn

    async def recording_call(w, req, timeout, long_after=None, client=None):
        reply = await real_call(w, req, timeout, long_after, client)
        answered.append(w.proc.pid)
        return reply

    def counting_spawn(pool):
        starts.append(1)
        real_spawn(pool)

    monkeypatch.setattr(_Worker, "call", recording_call)
    monkeypatch.setattr(QueryPool, "_spawn", counting_spawn)

    async def go():
        pool = QueryPool(store_dir, size=1, max_size=3)
        pool.idle_keep = 1.0
        await pool.start()
        try:
            async def client() -> int:
                n = 0
                end = asyncio.get_running_loop().time() + 1.5
                while asyncio.get_running_loop().time() < end:
                    assert (await pool.run(QueryRequest(CHEAP, ACCEPT), 10)).status == 200
                    n += 1
                    await asyncio.sleep(0)
                return n

            counts = await asyncio.gather(client(), client())
            assert min(counts) >= 20, counts
            # the first, a spare, and another each time the spare idled out (before: dozens)
            assert len(starts) <= 5, f"{len(starts)} workers started for {sum(counts)} queries"
            assert pool._count >= 2  # the extra worker is still there right after the burst
            last = answered[-1]
            for _ in range(400):
                if pool._count == 1:
                    break
                await asyncio.sleep(0.01)
            assert pool._count == 1 and pool._idle.qsize() == 1
            assert [w.proc.pid for w in pool._idle._queue] == [last]
            assert (await pool.run(QueryRequest(CHEAP, ACCEPT), 10)).status == 200
            assert answered[-1] == last
        finally:
            await pool.close()
    _run(go())


def test_writes_do_not_keep_idle_workers_beyond_the_size_alive(store_dir):
    """A writer takes every worker and gives them back: they stay idle since when they were
    (taken as idle from then, writes every few seconds kept the extra workers for good)."""
    async def go():
        pool = QueryPool(store_dir, size=1, max_size=3)
        pool.idle_keep = 0.5
        await pool.start()
        try:
            await asyncio.gather(*(pool.run(QueryRequest(CHEAP, ACCEPT), 10)
                                   for _ in range(2)))
            assert pool._count >= 2
            loop = asyncio.get_running_loop()
            end = loop.time() + 2.0
            while loop.time() < end and pool._count > 1:
                async with pool.exclusive():
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.15)
            assert pool._count == 1, f"{pool._count} workers after 2 s of writes"
        finally:
            await pool.close()
    _run(go())


def test_a_large_reply_comes_whole(store_dir):
    """A reply many times the socket's buffer, read in pieces as it comes, arrives whole,
    and the worker answers the next query as ever."""
    big = "SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?q ?y } LIMIT 60000"  # ~7 MB of JSON

    async def go():
        pool = QueryPool(store_dir, size=1, max_size=1)
        await pool.start()
        try:
            reply = await pool.run(QueryRequest(big, ACCEPT, max_rows=100_000), 60)
            assert reply.status == 200 and reply.rows == 60_000
            assert len(reply.body) > 4_000_000
            assert len(json.loads(reply.body)["results"]["bindings"]) == 60_000
            assert b'"600"' in (await pool.run(QueryRequest(CHEAP, ACCEPT), 10)).body
        finally:
            await pool.close()
    _run(go())


def _framed(data: bytes, long_form: bool = False) -> bytes:
    head = struct.pack("!iQ", -1, len(data)) if long_form else struct.pack("!i", len(data))
    return head + data


@pytest.mark.parametrize("long_form", [False, True])
def test_frames_are_read_in_whatever_pieces_they_come(long_form):
    """The reader of a worker's replies: a frame split anywhere, even inside its length,
    is PENDING until it has all come; the long form of the length (past 2 GiB) is read too;
    an empty frame is one; the other end closing is EOFError."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    reader = _FrameReader(ours)
    try:
        body = b"x\n" * 50_000
        data = _framed(body, long_form)
        assert reader.read() is _FrameReader.PENDING  # nothing yet
        for piece in (data[:2], data[2:7], data[7:20], data[20:70_000], data[70_000:]):
            assert reader.read() is _FrameReader.PENDING
            theirs.sendall(piece)
        assert reader.read() == body
        theirs.sendall(_framed(b"next") + _framed(b"") + _framed(b"and another"))
        assert reader.read() == b"next" and reader.read() == b""
        assert reader.read() == b"and another"
        assert reader.read() is _FrameReader.PENDING
        theirs.close()
        with pytest.raises(EOFError):
            reader.read()
    finally:
        ours.close()


@pytest.mark.parametrize("head", [None, HeadSpec([(b"server", b"uvicorn")], 1.5, 31.5, 100)])
def test_a_request_packs_and_unpacks_whole(head):
    """Requests go to the workers as tuples of builtins: every field comes back."""
    req = QueryRequest(CHEAP, ACCEPT, ["urn:g1"], ["urn:g2", "urn:g3"], 7, 3, head)
    packed = req.packed()
    assert QueryRequest.unpacked(pickle.loads(pickle.dumps(packed))) == req
    assert all(type(v) in (str, int, list, tuple, type(None)) for v in packed)


def test_a_reply_packs_and_unpacks_whole_but_its_body():
    reply = QueryReply(200, "text/csv", b"body", True, 12, ["text/csv"], 2.5, 40)
    back = QueryReply.unpacked(pickle.loads(pickle.dumps(reply.packed())))
    assert back.body == b"" and back == QueryReply(**{**vars(reply), "body": b""})


@pytest.mark.parametrize("size", [0, 10, 300_000])
def test_a_reply_and_its_body_come_as_sent(size):
    """A worker sends a reply as two frames, the reply pickled without its body, then the
    body as it is (one system call, or more where the socket's buffer is full); the
    server's end puts them back together, after the worker's first message."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    reader = _MessageReader(ours)
    body = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    sent = QueryReply(200, "text/csv", body, True, size, ["text/csv"], 1.5, 20)
    theirs.sendall(_framed(ForkingPickler.dumps(READY)))
    theirs.settimeout(10)  # non-blocking underneath: a full buffer takes part of a send
    sender = threading.Thread(target=_send_reply, args=(theirs, sent))
    sender.start()
    try:
        got, deadline = [], time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            message = reader.read()
            if message is _MessageReader.PENDING:
                time.sleep(0.001)
            else:
                got.append(message)
        sender.join(10)
        assert got[0] == READY
        reply = got[1]
        assert (reply.status, reply.media_type, reply.truncated, reply.rows, reply.offered,
                reply.ms, reply.sent) == (200, "text/csv", True, size, ["text/csv"], 1.5, 20)
        assert reply.body == body
        assert reader.read() is _MessageReader.PENDING
    finally:
        ours.close()
        theirs.close()


def test_a_given_up_query_takes_its_worker_with_it(store_dir):
    """A query whose request is given up (its task cancelled, as when the server stops)
    leaves its worker still running it: that worker is killed, not handed the next query
    (whose answer would wait for the first, and could be taken for it)."""
    async def go():
        pool = QueryPool(store_dir, size=1, max_size=2)
        await pool.start()
        try:
            [first] = list(pool._idle._queue)
            long = asyncio.create_task(pool.run(QueryRequest(EXPENSIVE, ACCEPT), 60))
            await asyncio.sleep(0.3)
            long.cancel()
            with pytest.raises(asyncio.CancelledError):
                await long
            reply = await asyncio.wait_for(pool.run(QueryRequest(CHEAP, ACCEPT), 10), 10)
            assert reply.status == 200 and b'"600"' in reply.body
            first.proc.join(5)
            assert not first.proc.is_alive()
            assert pool.killed == 0  # not a query stopped at its deadline
        finally:
            await pool.close()
    _run(go())


def test_a_query_arriving_as_a_worker_comes_back_does_not_pass_those_waiting(store_dir):
    """A worker given back goes to the query that has waited for it, even though that query
    has not run yet when the next one arrives (taken by newcomers, a waiting query waited on:
    at 32 connections the p99 of a one-row query doubled)."""
    async def go():
        pool = QueryPool(store_dir, size=1, max_size=1)
        await pool.start()
        try:
            w = await pool._acquire(10)
            waiting = asyncio.create_task(pool._acquire(10))
            await asyncio.sleep(0.05)
            pool._release(w)
            with pytest.raises(TimeoutError):
                await pool._acquire(0.1)  # arrives now: after the one waiting
            assert await waiting is w
            pool._release(w)
        finally:
            await pool.close()
    _run(go())
