"""Service benchmark: the same data and query mix through policykg's /sparql, directly on
pyoxigraph in this process, and through rdflib-endpoint (the closest peer, installed from
PyPI into this environment when missing); look-up and search latency under 32 concurrent
clients with wrk (Debian) on 127.0.0.1.

    python bench/run_service.py [--triples N] [--quick]

Prints a table, then one JSON line with the figures. Not part of the test suite.
"""

from __future__ import annotations

import argparse
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
import urllib.request
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, proc: subprocess.Popen, seconds: float = 900) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def corpus_quads(workdir: Path) -> Path:
    out = workdir / "corpus.nq"
    subprocess.run([sys.executable, "-m", "policykg", "build", str(ROOT / "corpus"), "--out",
                    str(out), "--no-validate"], check=True, capture_output=True)
    return out


def generate(corpus: Path, triples: int, out: Path) -> int:
    """Copies of the corpus graph with every policykg IRI made unique per copy (places keep
    their codes inside each copy), until about `triples` quads."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        copy = 0
        while n < triples:
            tag = f"g{copy}/" if copy else ""
            for line in lines:
                if tag:
                    line = re.sub(r"<https://w3id\.org/policykg/(id|graph)/",
                                  rf"<https://w3id.org/policykg/\1/{tag}", line)
                fh.write(line + "\n")
                n += 1
                if n >= triples:
                    break
            copy += 1
    return n


def load_store(nq: Path, store_dir: Path) -> None:
    db = ox.Store(str(store_dir))
    db.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    db.flush()
    del db
    (store_dir / "GENERATION.policykg").write_text("1")


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def direct(db: ox.Store, q: str) -> bytes:
    res = db.query(PREFIX + q, use_default_graph_as_union=True)
    if isinstance(res, ox.QuerySolutions):
        return res.serialize(format=ox.QueryResultsFormat.JSON)
    return ox.serialize(list(res), format=ox.RdfFormat.TURTLE) or b""


def over_http(client: httpx.Client, url: str, q: str, accept: str) -> bytes:
    r = client.post(url, data={"query": PREFIX + q}, headers={"Accept": accept}, timeout=600)
    r.raise_for_status()
    return r.content


def wrk(url: str, seconds: int) -> dict:
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50_ms": ms("50%"), "p99_ms": ms("99%"), "rps": rps,
            "non_2xx": int(errors.group(1)) if errors else 0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="corpus size only, short wrk runs")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-peer", action="store_true", help="skip rdflib-endpoint")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="policykg-bench-"))
    corpus = corpus_quads(work)
    data = work / "data.nq"
    size = generate(corpus, 0 if args.quick else args.triples, data) if not args.quick else 0
    if args.quick:
        shutil.copy(corpus, data)
        size = sum(1 for _ in data.open(encoding="utf-8"))
    store = work / "store"
    t = time.perf_counter()
    load_store(data, store)
    load_s = time.perf_counter() - t
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "policykg", "serve", "--store", str(store),
                               "--port", str(port), "--query-timeout", "600",
                               "--max-rows", "10000000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "POLICYKG_QUERY_WORKERS": "2"})
    base = f"http://127.0.0.1:{port}"
    peer = None
    try:
        wait(base + "/health", server)
        db = ox.Store.read_only(str(store))
        rows = []
        with httpx.Client() as client:
            for name, q in MIX.items():
                accept = "text/turtle" if "CONSTRUCT" in q else "application/sparql-results+json"
                over_http(client, base + "/sparql", q, accept)  # warm
                d = timed(lambda q=q: direct(db, q), args.runs)
                h = timed(lambda q=q, a=accept: over_http(client, base + "/sparql", q, a),
                          args.runs)
                rows.append({"query": name, "direct_ms": d, "policykg_ms": h})
        seconds = 5 if args.quick else 15
        lookup = wrk(base + "/data/place/510682.ttl", seconds)
        search = wrk(base + "/search?q=%E5%9F%8E%E4%B9%A1%E8%9E%8D%E5%90%88", seconds)
        _report(rows, lookup, search, size, load_s, final=args.no_peer)
        if not args.no_peer:
            exe = Path(sys.executable).parent / "rdflib-endpoint"
            if not exe.exists():  # the peer, from PyPI, into this environment
                subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                                "rdflib-endpoint"], check=True)
            pport = free_port()
            peer = subprocess.Popen([str(exe), "serve", str(data), "--host", "127.0.0.1", "--port",
                                     str(pport)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            peer_url = f"http://127.0.0.1:{pport}/"  # rdflib-endpoint answers at /
            wait(peer_url + "?query=ASK%7B%7D", peer, 3600)
            with httpx.Client() as client:
                for row in rows:
                    q = MIX[row["query"]]
                    accept = ("text/turtle" if "CONSTRUCT" in q
                              else "application/sparql-results+json")
                    row["peer_ms"] = timed(lambda q=q, a=accept: over_http(
                        client, peer_url, q, a), max(3, args.runs // 2))
    finally:
        server.terminate()
        if peer:
            peer.terminate()
    if not args.no_peer:
        _report(rows, lookup, search, size, load_s, final=True)


def _report(rows: list[dict], lookup: dict, search: dict, size: int, load_s: float,
            final: bool) -> None:
    """The table; with `final`, also the JSON line (the last line printed)."""
    added = [r["policykg_ms"] - r["direct_ms"] for r in rows]
    heavy = [r["policykg_ms"] / r["direct_ms"] for r in rows if r["direct_ms"] >= 10]
    print(f"{'query':32} {'direct ms':>10} {'policykg ms':>12} {'peer ms':>10}")
    for r in rows:
        print(f"{r['query']:32} {r['direct_ms']:10.2f} {r['policykg_ms']:12.2f} "
              f"{r.get('peer_ms', float('nan')):10.2f}")
    print(f"look-up /data: p50 {lookup['p50_ms']:.2f} ms, p99 {lookup['p99_ms']:.2f} ms, "
          f"{lookup['rps']:.0f} req/s; search: p50 {search['p50_ms']:.2f} ms, "
          f"p99 {search['p99_ms']:.2f} ms, {search['rps']:.0f} req/s (32 connections)",
          flush=True)
    if not final:
        return
    result = {
        "size_triples": size, "load_s": round(load_s, 2),
        "endpoint_added_ms_p50": round(statistics.median(added), 3),
        "endpoint_ratio_heavy_max": round(max(heavy), 3) if heavy else None,
        "lookup_p99_ms": lookup["p99_ms"], "lookup_rps": lookup["rps"],
        "search_p99_ms": search["p99_ms"], "search_rps": search["rps"],
        "non_2xx": lookup["non_2xx"] + search["non_2xx"],
    }
    if rows and "peer_ms" in rows[0]:
        ours = sum(r["policykg_ms"] for r in rows)
        result["speedup_vs_rdflib_endpoint_total"] = round(sum(r["peer_ms"] for r in rows)
                                                           / ours, 2)
        result["queries_slower_than_peer"] = sum(r["policykg_ms"] > r["peer_ms"] for r in rows)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
