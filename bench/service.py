"""The service side of the benchmark: the query mix directly on pyoxigraph, through
policykg's /sparql and through rdflib-endpoint (the closest peer), and look-up and search
latency under 32 concurrent connections with wrk (Debian) on 127.0.0.1. Nothing here runs
at import: the servers are started by the functions that need them."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

PREFIX = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
MIX = {
    "point look-up": "SELECT ?p ?o WHERE { <https://w3id.org/policykg/id/place/510682> ?p ?o }",
    "label search": """SELECT ?s ?l WHERE { ?s skos:prefLabel ?l .
        FILTER(CONTAINS(STR(?l), "城乡融合")) } LIMIT 100""",
    "counties per item by province": """SELECT ?prov (COUNT(DISTINCT ?c) AS ?n) WHERE {
        ?c pkg:explores ?i ; pkg:within+ ?prov . ?prov a pkg:Province } GROUP BY ?prov""",
    "citation chain": "SELECT ?a ?b WHERE { ?a pkg:cites+ ?b } LIMIT 1000",
    "investment per issuer": """SELECT ?doc (SUM(?amt) AS ?total) WHERE {
        ?e a pkg:Event ; pkg:amount ?amt ; pkg:evidence/<http://www.w3.org/ns/oa#hasSource> ?doc }
        GROUP BY ?doc""",
    "documents in a date range": """SELECT ?d ?date WHERE {
        ?d a pkg:PolicyDocument ; pkg:issued ?date .
        FILTER(STR(?date) >= "2018" && STR(?date) < "2026") } ORDER BY ?date""",
    "two-hop construct": """CONSTRUCT { ?s ?p ?o . ?o ?p2 ?o2 } WHERE {
        ?s a pkg:PilotProgram ; ?p ?o . OPTIONAL { ?o ?p2 ?o2 } }""",
}
LOOKUP_PATH = "/data/place/510682.ttl"  # 什邡市: named by many documents, a heavy entity
LOOKUP_DOC_PATH = "/data/doc/guobanfa-2018-126.ttl"  # one document: a typical entity
# A query's measured runs stop at this many seconds (at least one run): the heavy queries
# take minutes at 10M triples.
BUDGET_S = 40.0
SEARCH_PATH = "/search?q=%E5%9F%8E%E4%B9%A1%E8%9E%8D%E5%90%88"  # 城乡融合
# Searches as researchers type them, in the three scripts (one in traditional characters,
# pinyin with and without tones, single syllables that reach thousands of labels), some with
# a type or language filter: each request of the search mix is the next of these, and none
# is answered from the response cache (`NO_CACHE`).
SEARCH_MIX = [
    "q=城乡融合", "q=什邡", "q=成都市", "q=改革", "q=试点", "q=试验区", "q=发展改革委",
    "q=四川省", "q=县", "q=城鄉融合", "q=城乡融合&type=ReformItem", "q=urban-rural",
    "q=reform", "q=pilot zone", "q=county", "q=ministry of finance", "q=Chengdu",
    "q=Sichuan Province", "q=development reform", "q=reform&type=pkg:County", "q=chengxiang",
    "q=shifang", "q=chengdu", "q=gaige", "q=sichuan", "q=xian", "q=shi", "q=Shífāng",
    "q=chengxiang ronghe", "q=deyang&lang=pinyin",
]
WRK_HINT = "wrk is missing: install it with `apt-get install -y wrk` (Debian/Ubuntu)"


def accept_for(q: str) -> str:
    return "text/turtle" if "CONSTRUCT" in q else "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, proc: subprocess.Popen, seconds: float = 1800) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


MORE_RUNS, MORE_RUNS_S = 51, 2.0  # a cheap query is run more: medians of a few ms are noisy


def _runs(fns: tuple[Callable[[], object], ...], runs: int, budget_s: float) -> list[float]:
    """Median milliseconds of each of `fns`, run in turn so that all meet the machine in the
    same state: at least `runs` rounds, up to MORE_RUNS while they take under MORE_RUNS_S in
    all, and none begun after `budget_s` (at least one)."""
    times: list[list[float]] = [[] for _ in fns]
    start = time.perf_counter()
    while True:
        for fn, ts in zip(fns, times, strict=True):
            t = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t) * 1000)
        spent, n = time.perf_counter() - start, len(times[0])
        if spent > budget_s or n >= max(runs, MORE_RUNS) or (n >= runs and spent > MORE_RUNS_S):
            return [statistics.median(ts) for ts in times]


def timed(fn: Callable[[], object], runs: int, budget_s: float = BUDGET_S) -> float:
    return _runs((fn,), runs, budget_s)[0]


def paired(fa: Callable[[], object], fb: Callable[[], object], runs: int,
           budget_s: float = BUDGET_S) -> tuple[float, float]:
    a, b = _runs((fa, fb), runs, budget_s)
    return a, b


def direct(db: ox.Store, q: str) -> bytes:
    """The query on pyoxigraph in this process, results serialised as the server would (the
    store's default graph is the union of its document graphs, as the server reads it)."""
    res = db.query(PREFIX + q)
    if isinstance(res, ox.QuerySolutions):
        return res.serialize(format=ox.QueryResultsFormat.JSON)
    return ox.serialize(list(res), format=ox.RdfFormat.TURTLE) or b""


class KeepAlive:
    """One keep-alive HTTP/1.1 connection (the standard library's http.client) for timing
    queries: the figure should hold the server's work and the socket round trip, not the
    client's own (httpx spent ~0.4 ms of Python on each request, a quarter of the 2 ms
    /sparql may add). Used alike for policykg and for rdflib-endpoint."""

    def __init__(self, url: str) -> None:
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname or "127.0.0.1", u.port or 80, u.path or "/"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=1800)

    def post_query(self, q: str) -> bytes:
        body = urllib.parse.urlencode({"query": PREFIX + q})
        headers = {"Accept": accept_for(q), "Content-Type": "application/x-www-form-urlencoded"}
        for attempt in (1, 2):
            try:
                self.conn.request("POST", self.path, body, headers)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed the kept connection: once more
                if attempt == 2:
                    raise
        if r.status >= 400:
            raise RuntimeError(f"{self.path}: HTTP {r.status}: {data[:300]!r}")
        return data

    def __enter__(self) -> KeepAlive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    answering_s: float | None = None  # from launch to its first answer

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_policykg(store: Path, workers: int = 2) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "policykg", "serve", "--store", str(store), "--port", str(port),
         "--query-timeout", "1800", "--max-rows", "10000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "POLICYKG_QUERY_WORKERS": str(workers)})
    server = Server(proc, f"http://127.0.0.1:{port}")
    t = time.perf_counter()
    try:
        # not /health: it counts the whole store (minutes at 10M)
        wait(server.url + "/context.jsonld", proc)
        server.answering_s = time.perf_counter() - t
        # the search index is built after start-up, in the background (503 meanwhile):
        # nothing is measured while it takes CPU
        wait(server.url + "/suggest?prefix=a", proc)
    except RuntimeError:
        server.stop()
        raise
    return server


def peer_executable() -> Path:
    exe = Path(sys.executable).parent / "rdflib-endpoint"
    if not exe.exists():
        raise RuntimeError("rdflib-endpoint is missing: pip install '.[bench]'")
    return exe


def start_peer(data: Path) -> Server:
    """rdflib-endpoint serving the same N-Quads file (it parses it into memory)."""
    port = free_port()
    proc = subprocess.Popen([str(peer_executable()), "serve", str(data), "--host", "127.0.0.1",
                             "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(proc, f"http://127.0.0.1:{port}/")  # rdflib-endpoint answers at /
    try:
        wait(server.url + "?query=ASK%7B%7D", proc, 3600)
    except RuntimeError:
        server.stop()
        raise
    return server


@dataclass
class MixRow:
    query: str
    direct_ms: float
    policykg_ms: float
    peer_ms: float | None = None
    rows_direct: int = 0
    rows_policykg: int = 0
    bytes: int = 0  # of the /sparql answer
    passes: list[tuple[float, float]] = field(default_factory=list)  # (direct, /sparql) ms
    extra: dict = field(default_factory=dict)


# The one-row query that gives the floor of what /sparql adds: the HTTP exchange, routing,
# checks and the hop to a query worker process, with almost no result to carry.
FLOOR_QUERY = "SELECT ?p WHERE { <https://w3id.org/policykg/id/place/510682> ?p ?o } LIMIT 1"
# The one-row query by GET, for /sparql under 32 connections: each request goes to a query
# worker process (none is answered from the response cache, which keeps look-ups only).
SPARQL_FLOOR_PATH = "/sparql?" + urllib.parse.urlencode({"query": FLOOR_QUERY})
# The mix is measured this many times over, one query after another, and each query's
# figure is the median of its passes: between two full runs the added milliseconds moved by
# 1-2 ms with the host's load, and a spell of it then weighs one pass, not the result.
PASSES = 3


def _size(body: bytes, q: str) -> int:
    """Rows (SELECT, JSON) or triples (CONSTRUCT, Turtle): a check that both sides answered
    the same, not just fast."""
    if "CONSTRUCT" in q:
        return sum(1 for _ in ox.parse(body, format=ox.RdfFormat.TURTLE))
    return len(json.loads(body)["results"]["bindings"])


def _first(fn: Callable[[], bytes]) -> tuple[float, bytes]:
    t = time.perf_counter()
    body = fn()
    return (time.perf_counter() - t) * 1000, body


def measure_mix(store: Path, server: Server, runs: int, passes: int = PASSES
                ) -> tuple[list[MixRow], MixRow]:
    """Each query of the mix, and the floor query: median ms directly on the store
    (read-only, this process) and through /sparql over HTTP (keep-alive), run in turn after
    a warm-up, over `passes` passes of the whole mix. A query whose warm-up alone takes
    longer than BUDGET_S is measured by that one run."""
    db = ox.Store.read_only(str(store))
    rows: list[MixRow] = []
    in_passes: list[tuple[MixRow, str]] = []  # the rows measured over the passes
    with KeepAlive(server.url + "/sparql") as client:
        for name, q in {**MIX, "floor": FLOOR_QUERY}.items():
            h, body_http = _first(lambda q=q: client.post_query(q))
            d, body_direct = _first(lambda q=q: direct(db, q))
            row = MixRow(name, d, h, rows_direct=_size(body_direct, q),
                         rows_policykg=_size(body_http, q), bytes=len(body_http))
            if max(h, d) < BUDGET_S * 1000:
                client.post_query(q)  # a second warm-up: the answering worker's caches
                in_passes.append((row, q))
            rows.append(row)
        for _ in range(passes):
            for row, q in in_passes:
                row.passes.append(paired(lambda q=q: direct(db, q),
                                         lambda q=q: client.post_query(q), runs))
    for row, _ in in_passes:
        row.direct_ms = statistics.median(d for d, _ in row.passes)
        row.policykg_ms = statistics.median(h for _, h in row.passes)
    return rows[:-1], rows[-1]


def measure_peer(rows: list[MixRow], peer: Server, runs: int) -> None:
    with KeepAlive(peer.url) as client:
        for row in rows:
            q = MIX[row.query]
            ms, body = _first(lambda q=q: client.post_query(q))
            row.extra["rows_peer"] = _size(body, q)
            row.peer_ms = ms if ms >= BUDGET_S * 1000 else timed(
                lambda q=q: client.post_query(q), runs)


# Sent by the second run of each look-up: the server's kept responses are bypassed, so the
# figure is of the application answering (routing, checks, description cache) every time.
NO_CACHE = "Cache-Control: no-cache"


def search_mix_paths() -> list[str]:
    return ["/search?" + urllib.parse.urlencode(urllib.parse.parse_qsl(q)) for q in SEARCH_MIX]


def search_mix(url: str, seconds: int, connections: int = 32) -> dict:
    """The search mix without the response cache: each search alone, one after another
    (`alone_p50_ms`, `alone_max_ms`: what one user waits), then under `connections`
    clients, each request the next search of the mix (wrk with a Lua script)."""
    paths = search_mix_paths()
    alone = []
    for _ in range(3):
        for path in paths:
            t = time.perf_counter()
            with urllib.request.urlopen(urllib.request.Request(
                    url + path, headers={"Cache-Control": "no-cache"}), timeout=600) as r:
                r.read()
            alone.append((time.perf_counter() - t) * 1000)
    script = ("paths = {" + ", ".join(f'"{p}"' for p in paths) + "}\n"
              "i = 0\n"
              "request = function()\n"
              "  i = i % #paths + 1\n"
              '  return wrk.format("GET", paths[i], {["Cache-Control"] = "no-cache"})\n'
              "end\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        out = _wrk(["-s", fh.name, url], seconds, connections)
    finally:
        os.unlink(fh.name)
    return {**out, "searches": len(paths), "alone_p50_ms": statistics.median(alone),
            "alone_max_ms": max(alone)}


def wrk(url: str, seconds: int, connections: int = 32, header: str | None = None) -> dict:
    """Latency under load, after one request alone (timed as `first_ms`): a server's first
    answer for a URL is computed, the rest come from its response cache, and without that
    first request 32 connections all computed it at once (at 10M triples ~0.7 s each, a
    p99 of 557 ms that no later request saw: 12–16 ms once warm)."""
    if not shutil.which("wrk"):
        raise RuntimeError(WRK_HINT)
    extra = ["-H", header] if header else []
    name, _, value = (header or "").partition(":")
    t = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(
            url, headers={name: value.strip()} if header else {}), timeout=600) as r:
        r.read()
    first_ms = (time.perf_counter() - t) * 1000
    return {**_wrk([*extra, url], seconds, connections), "first_ms": first_ms}


def _wrk(args: list[str], seconds: int, connections: int) -> dict:
    if not shutil.which("wrk"):
        raise RuntimeError(WRK_HINT)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          *args], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        if not m:
            raise RuntimeError(f"cannot read {label} from wrk:\n{out}")
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50_ms": ms("50%"), "p99_ms": ms("99%"), "rps": rps,
            "non_2xx": int(errors.group(1)) if errors else 0}
