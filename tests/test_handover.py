"""A /sparql response written by the query worker to the client's socket itself
(handover.py, worker_response.py): the same response as the server writes, on real
connections through `policykg serve` — kept alive, pipelined, read slowly, stopped at the
deadline — and only where nothing else must be added or the connection is not plain."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import socket
import time
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
from conftest import start_server, stop_server

from policykg_api.handover import EXTENSION, HANDED_PATH, SENT, Protocol, http_protocol, outermost
from policykg_api.pool import QueryPool, QueryRequest, QueryTimeout
from policykg_api.worker_response import HeadSpec

ORDERED = """SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }
ORDER BY ?s ?label LIMIT 40"""
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
JSON = "application/sparql-results+json"
MAX_ROWS = 10000  # below the corpus's triples: a whole-store query is cut


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The bundled corpus served twice: with the hand-over (the default) and without."""
    root = tmp_path_factory.mktemp("handover")
    ours = start_server(root / "store", "--max-rows", str(MAX_ROWS))
    stop_server(ours)  # built; now copied for the second server, which cannot share it
    shutil.copytree(root / "store", root / "store-relay")
    ours = start_server(root / "store", "--max-rows", str(MAX_ROWS))
    relay = start_server(root / "store-relay", "--max-rows", str(MAX_ROWS),
                         env={"POLICYKG_WORKER_WRITES": "0"})
    yield ours, relay
    stop_server(ours)
    stop_server(relay)


def written(server) -> int:
    with urllib.request.urlopen(server.url + "/health", timeout=30) as r:
        return json.load(r)["query_workers"]["responses_written"]


def connect(server) -> http.client.HTTPConnection:
    u = urllib.parse.urlsplit(server.url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def post(conn: http.client.HTTPConnection, query: str, headers: dict | None = None
         ) -> http.client.HTTPResponse:
    conn.request("POST", "/sparql", urllib.parse.urlencode({"query": query}),
                 {"Accept": JSON, "Content-Type": "application/x-www-form-urlencoded",
                  **(headers or {})})
    return conn.getresponse()


def test_the_worker_writes_the_same_response_the_server_would(servers):
    ours, relay = servers
    before, relay_before = written(ours), written(relay)
    answers = {}
    for server in servers:
        conn = connect(server)
        try:
            for _ in range(5):  # one kept-alive connection
                r = post(conn, ORDERED)
                head = {k.lower(): ", ".join(r.msg.get_all(k)) for k in r.msg.keys()}
                answers[server.url] = (r.status, r.read(), head)
        finally:
            conn.close()
    assert written(ours) - before == 5
    assert written(relay) == relay_before == 0
    (status, body, head), (r_status, r_body, r_head) = answers[ours.url], answers[relay.url]
    assert status == r_status == 200
    assert body == r_body and len(json.loads(body)["results"]["bindings"]) == 40
    same = ("content-type", "content-length", "policykg-rows", "server")
    assert {k: head[k] for k in same} == {k: r_head[k] for k in same}
    assert head["policykg-rows"] == "40" and int(head["content-length"]) == len(body)
    # both timings, as the server gives them: the worker's, and the whole request's
    for h in (head, r_head):
        assert "query;dur=" in h["server-timing"] and "app;dur=" in h["server-timing"]
    assert "date" in head and "policykg-truncated" not in head


def test_a_truncated_answer_says_so_when_the_worker_writes_it(servers):
    ours, _ = servers
    before = written(ours)
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    heads = []
    for server in servers:
        conn = connect(server)
        try:
            r = post(conn, query)
            body = r.read()
            heads.append({k.lower(): v for k, v in r.getheaders()})
            assert r.status == 200 and json.loads(body)["results"]["truncated"] is True
        finally:
            conn.close()
    assert heads[0]["policykg-truncated"] == heads[1]["policykg-truncated"] \
        == f"true; max-rows={MAX_ROWS}"
    assert heads[0]["policykg-rows"] == str(MAX_ROWS)
    assert written(ours) - before == 1


def test_what_the_server_must_add_or_a_closing_connection_stays_with_the_server(servers):
    ours, _ = servers
    before = written(ours)
    conn = connect(ours)
    try:  # a CORS request: the middleware adds its headers
        r = post(conn, ORDERED, {"Origin": "https://example.org"})
        r.read()
        assert r.status == 200 and r.getheader("access-control-allow-origin")
        # an error is the server's to write, and the connection goes on
        r = post(conn, "SELECT ?s WHERE { ?s ")
        assert r.status == 400 and b"syntax" in r.read().lower()
        r = post(conn, ORDERED, {"Connection": "close"})
        assert r.status == 200 and r.getheader("connection") == "close"
        assert len(json.loads(r.read())["results"]["bindings"]) == 40
    finally:
        conn.close()
    assert written(ours) == before


def _responses(sock: socket.socket, n: int) -> list[tuple[int, bytes]]:
    """`n` responses read off one connection in turn (each sized by its Content-Length)."""
    f = sock.makefile("rb")
    out = []
    for _ in range(n):
        status = int(f.readline().split()[1])
        length = 0
        while (line := f.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        out.append((status, f.read(length)))
    return out


def _request(query: str) -> bytes:
    body = urllib.parse.urlencode({"query": query}).encode()
    return (b"POST /sparql HTTP/1.1\r\nHost: x\r\nAccept: " + JSON.encode()
            + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


def test_pipelined_requests_are_answered_in_order(servers):
    ours, _ = servers
    before = written(ours)
    queries = [ORDERED, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", ORDERED + " OFFSET 7"]
    u = urllib.parse.urlsplit(ours.url)
    with socket.create_connection((u.hostname, u.port), timeout=60) as sock:
        sock.sendall(b"".join(_request(q) for q in queries))  # all at once
        answers = _responses(sock, 3)
    assert [s for s, _ in answers] == [200, 200, 200]
    first, count, later = (json.loads(b)["results"]["bindings"] for _, b in answers)
    assert len(first) == 40 and later == (first[7:] + later[33:]) and len(later) == 40
    assert int(count[0]["n"]["value"]) > 1000
    assert written(ours) - before == 3


def test_an_answer_larger_than_the_socket_takes_reaches_a_slow_reader_whole(servers):
    """Past what the socket takes at once the worker stops, and the server writes the rest
    as the client reads. The answer (~8 MB) is larger than the kernel's largest send buffer
    (4 MB here) with the client's receive window. A request that comes while the rest is
    still being written stays with the server: its answer must come after."""
    ours, relay = servers
    before = written(ours)
    row = "STR(?s), STR(?p), STR(?o)"
    query = ("CONSTRUCT { ?s <urn:policykg:test#long> ?long } WHERE { ?s ?p ?o "
             f"BIND(CONCAT({', '.join([row] * 5)}) AS ?long) }}")
    u = urllib.parse.urlsplit(ours.url)
    with socket.create_connection((u.hostname, u.port), timeout=60) as sock:
        req = _request(query).replace(JSON.encode(), b"application/n-triples")
        sock.sendall(req)
        time.sleep(1.0)  # reads nothing meanwhile: the worker's write stops short
        sock.sendall(req)  # and the connection goes on
        answers = _responses(sock, 2)
    assert written(ours) - before == 1
    assert answers[0] == answers[1]
    for status, body in answers:
        assert status == 200 and len(body) > 6_000_000
        assert sum(1 for _ in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)) == MAX_ROWS
    conn = connect(relay)
    try:
        r = post(conn, query, {"Accept": "application/n-triples"})
        assert r.read() == answers[0][1]  # the same bytes as the server writes
    finally:
        conn.close()


def test_a_query_past_its_deadline_gets_503_on_a_connection_that_goes_on(servers):
    ours, _ = servers
    conn = connect(ours)
    try:
        conn.request("POST", "/sparql?timeout=0.5", urllib.parse.urlencode(
            {"query": EXPENSIVE}), {"Accept": JSON,
                                    "Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        assert r.status == 503 and b"deadline" in r.read()
        r = post(conn, ORDERED)
        assert r.status == 200 and len(json.loads(r.read())["results"]["bindings"]) == 40
    finally:
        conn.close()


def test_the_environment_can_turn_the_handover_off():
    assert http_protocol({}) is Protocol
    assert http_protocol({"POLICYKG_WORKER_WRITES": "1"}) is Protocol
    for off in ("0", "false", "off", " NO "):
        assert http_protocol({"POLICYKG_WORKER_WRITES": off}) == "auto"


# --- the pool with a client socket, no HTTP server ---------------------------------------

def _store(path) -> str:
    ex = "http://example.org/"
    store = ox.Store(str(path))
    store.bulk_extend(ox.Quad(ox.NamedNode(f"{ex}s{i}"), ox.NamedNode(f"{ex}p"),
                              ox.Literal(str(i))) for i in range(600))
    store.flush()
    del store
    return str(path)


def _head(timeout: float) -> HeadSpec:
    return HeadSpec([(b"server", b"test")], time.perf_counter(),
                    time.perf_counter() + timeout, 100)


def test_the_pool_hands_the_client_to_a_worker_and_knows_what_it_wrote(tmp_path):
    path = _store(tmp_path / "store")
    server_end, client_end = socket.socketpair()
    server_end.setblocking(False)

    async def go():
        pool = QueryPool(tmp_path / "store", size=2)  # (one worker idle: see `run`)
        await pool.start()
        try:
            req = QueryRequest("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 3",
                               [(JSON, 1.0)], head=_head(10))
            reply = await pool.run(req, 10, server_end.fileno())
            # the worker that wrote says so, read once it is dead (shared memory)
            wrote = pool._idle._queue[-1]
            assert wrote.begun.value == 1
            # stopped at its deadline before it wrote anything: the usual timeout
            stopped = QueryRequest(EXPENSIVE, [(JSON, 1.0)], head=_head(1))
            with pytest.raises(QueryTimeout):
                await pool.run(stopped, 1, server_end.fileno())
            return reply, pool.figures()
        finally:
            await pool.close()

    reply, figures = asyncio.run(go())
    assert path
    client_end.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + int(
            data.split(b"content-length: ")[1].split(b"\r\n")[0]):
        data += client_end.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\nserver: test\r\n")
    assert b"policykg-rows: 3\r\n" in head
    assert reply.sent == len(data) and len(reply.body) == 0 and reply.rows == 3
    assert [b["o"]["value"] for b in json.loads(body)["results"]["bindings"]] == \
        ["0", "1", "10"]
    assert figures["responses_written"] == 1
    client_end.setblocking(False)
    with pytest.raises(BlockingIOError):  # nothing more came: not a byte of the stopped one
        client_end.recv(1)
    server_end.close()
    client_end.close()
    assert os.path.exists(path)


# --- the server's side alone: uvicorn with `Protocol` and a small application --------------

def _app_writing_itself():
    """/sparql?mode=rest writes a response's first half to the socket itself and hands the
    rest to `complete`; mode=broken writes half and gives up; any other path reports
    whether its scope offered a hand-over."""
    body = b"0123456789" * 100
    response = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        handover = scope.get("extensions", {}).get(EXTENSION)
        if scope["path"] != HANDED_PATH:
            text = b"offered" if handover else b"not offered"
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", str(len(text)).encode())]})
            await send({"type": "http.response.body", "body": text})
            return
        fd = handover.descriptor()
        half = len(response) // 2
        os.write(fd, response[:half])
        rest = response[half:] if scope["query_string"] == b"mode=rest" else None
        await send({"type": SENT, "status": 200, "rest": rest})

    return outermost(app), response


@pytest.fixture
def small_server():
    import threading

    import uvicorn

    app, response = _app_writing_itself()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=Protocol,
                                           lifespan="off", log_level="warning",
                                           # longer than the clients wait: a connection
                                           # left open is not closed as idle meanwhile
                                           timeout_keep_alive=60))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield port, response
    server.should_exit = True
    thread.join(10)


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


def test_complete_writes_the_rest_and_the_connection_goes_on(small_server):
    port, response = small_server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for _ in range(3):
            sock.sendall(_get("/sparql?mode=rest"))
            got = b""
            while len(got) < len(response):
                got += sock.recv(65536)
            assert got == response
        sock.sendall(_get("/other"))
        assert sock.recv(65536).endswith(b"\r\n\r\nnot offered")


def test_a_response_that_cannot_be_finished_closes_the_connection(small_server):
    port, response = small_server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(_get("/sparql?mode=broken"))
        got = b""
        while chunk := sock.recv(65536):
            got += chunk
        assert got == response[:len(response) // 2]  # what was written, then the end


def test_with_no_other_worker_idle_the_server_relays_the_answer(tmp_path):
    """Busy, a worker is given back before its client has the answer (see `QueryPool.run`):
    with one worker, the one running the query, nothing is handed over."""
    _store(tmp_path / "store")
    server_end, client_end = socket.socketpair()

    async def go():
        pool = QueryPool(tmp_path / "store", size=1)
        await pool.start()
        try:
            req = QueryRequest("SELECT ?o WHERE { ?s ?p ?o } LIMIT 3", [(JSON, 1.0)],
                               head=_head(10))
            return await pool.run(req, 10, server_end.fileno()), pool.figures()
        finally:
            await pool.close()

    reply, figures = asyncio.run(go())
    assert reply.sent is None and reply.rows == 3 and b'"bindings"' in bytes(reply.body)
    assert figures["responses_written"] == 0
    client_end.setblocking(False)
    with pytest.raises(BlockingIOError):
        client_end.recv(1)
    server_end.close()
    client_end.close()


def test_the_route_asks_first_whether_a_hand_over_is_possible(tmp_path):
    """`may_hand_over`, which the route asks before it prepares a hand-over: with two
    workers idle yes; with one of them running a query, or with one worker, no."""
    _store(tmp_path / "store")

    async def go(size):
        pool = QueryPool(tmp_path / "store", size=size, max_size=size)
        await pool.start()
        try:
            before = pool.may_hand_over()
            slow = QueryRequest("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . "
                                "?e ?r ?f }", [(JSON, 1.0)])
            running = asyncio.create_task(pool.run(slow, 0.5))
            await asyncio.sleep(0.1)
            during = pool.may_hand_over()
            with contextlib.suppress(QueryTimeout):
                await running
            return before, during
        finally:
            await pool.close()

    assert asyncio.run(go(2)) == (True, False)
    assert asyncio.run(go(1)) == (False, False)
