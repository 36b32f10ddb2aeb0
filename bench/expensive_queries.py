"""Expensive queries under load: a generated graph of about 1M triples in a store, the real
`policykg serve` on 127.0.0.1, and 4 expensive SPARQL queries at a time (Cartesian products,
unbounded property paths, ORDER BY over all triples, a regex over all literals), each with a
short `timeout`. Meanwhile a bounded client loop makes cheap look-ups (`/data/...` and a
point SPARQL query), first without the expensive queries, then with them.

    python bench/expensive_queries.py [--triples N] [--timeout S] [--seconds S]

Checks, printed with their figures:
- every expensive query is answered 503 at its deadline (within --slack seconds);
- each query stopped at its deadline took its worker process with it (/health counts them;
  every worker seen running is gone afterwards) and the server tree's CPU is back to idle
  within --idle-within seconds of the last answer;
- the cheap look-ups all succeed, and their p99 with the expensive queries running is within
  --max-ratio of their p99 without.
Prints a table, then one JSON line; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serverproc import Served, gone, percentile, serve

from bench.graph_gen import generate, load_store

BASE = "https://w3id.org/policykg/"
PREFIX = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
# Each runs for well over the deadline on 1M triples (measured directly on pyoxigraph: the
# regex 4.5 s, the (within|^within)* path 19 s, the others past 20 s). COUNT keeps the row
# cap from ending a query early: the engine has to produce every solution.
EXPENSIVE = {
    "cartesian product": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }",
    "path (within|^within)*":
        "SELECT (COUNT(*) AS ?n) WHERE { ?s (pkg:within|^pkg:within)* ?o }",
    "path !rdf:type*": "SELECT (COUNT(*) AS ?n) WHERE { ?s !rdf:type* ?o }",
    "ORDER BY all triples":
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY DESC(STR(?o)) ?p ?s",
    "regex over all literals":
        "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && REGEX(CONCAT(STR(?o), "
        'STR(?s), STR(?p)), "[a-z]{3}\\\\d{2}[一-鿿]{4}$", "i")) }',
}
POINT = "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"


@dataclass
class Timed:
    kind: str
    status: int
    seconds: float
    body: str = ""


@dataclass
class Log:
    """Results appended by client threads (list.append is atomic in CPython)."""
    items: list[Timed] = field(default_factory=list)

    def of(self, kind: str) -> list[Timed]:
        return [t for t in self.items if t.kind == kind]


def sample_entities(store: Path, n: int, seed: int = 7) -> list[str]:
    """`n` entity IRIs with a label, read from the store before it is served."""
    db = ox.Store.read_only(str(store))
    rows = db.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s "
                    "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l } } LIMIT 20000")
    iris = [r["s"].value for r in rows if r["s"].value.startswith(BASE + "id/")]
    del db
    random.Random(seed).shuffle(iris)
    return iris[:n]


def cheap_loop(url: str, kind: str, iris: list[str], log: Log, stop: threading.Event,
               interval: float) -> None:
    """One look-up every `interval` seconds (or back to back when slower) until `stop`."""
    with httpx.Client(timeout=60) as client:
        i = 0
        while not stop.is_set():
            iri = iris[i % len(iris)]
            i += 1
            t0 = time.perf_counter()
            if kind == "data":
                r = client.get(f"{url}/data/{quote(iri[len(BASE) + 3:], safe='/')}.ttl")
            else:
                r = client.get(url + "/sparql", params={"query": POINT.format(iri=iri)},
                               headers={"Accept": "application/sparql-results+json"})
            dt = time.perf_counter() - t0
            log.items.append(Timed(kind, r.status_code, dt,
                                   r.text[:200] if r.status_code != 200 else ""))
            time.sleep(max(0.0, interval - dt))


def expensive_loop(url: str, first: int, timeout: float, log: Log, stop: threading.Event,
                   http_timeout: float) -> None:
    """Expensive queries back to back, in turn, each with `timeout`, until `stop`."""
    names = list(EXPENSIVE)
    with httpx.Client(timeout=http_timeout) as client:
        i = first
        while not stop.is_set():
            name = names[i % len(names)]
            i += 1
            t0 = time.perf_counter()
            r = client.post(url + "/sparql", data={"query": PREFIX + EXPENSIVE[name],
                                                   "timeout": str(timeout)},
                            headers={"Accept": "application/sparql-results+json"})
            log.items.append(Timed(name, r.status_code, time.perf_counter() - t0,
                                   r.text[:200]))


def run_cheap(srv: Served, iris: list[str], seconds: float, interval: float,
              log: Log, watch: list[tuple[float, int]] | None = None) -> set[int]:
    """Both cheap loops for `seconds`; meanwhile the worker pids seen (and, into `watch`,
    the tree's CPU rate and RSS once a second)."""
    stop = threading.Event()
    threads = [threading.Thread(target=cheap_loop, args=(srv.url, k, iris, log, stop, interval),
                                daemon=True) for k in ("data", "sparql")]
    for t in threads:
        t.start()
    seen: set[int] = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        seen |= srv.worker_pids()
        if watch is not None:
            watch.append((srv.cpu_rate(1.0), srv.rss_bytes()))
        else:
            time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(120)
    return seen


def health(srv: Served) -> dict:
    return httpx.get(srv.url + "/health", timeout=30).json()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--timeout", type=float, default=2.0, help="per-request timeout (s)")
    ap.add_argument("--server-timeout", type=float, default=30.0, help="--query-timeout")
    ap.add_argument("--concurrent", type=int, default=4, help="expensive queries at a time")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    ap.add_argument("--interval", type=float, default=0.02,
                    help="cheap look-ups: one per kind every INTERVAL seconds at most")
    ap.add_argument("--workers", type=int, default=None,
                    help="POLICYKG_QUERY_WORKERS for the server (default: the server's)")
    ap.add_argument("--slack", type=float, default=1.0, help="allowed lateness of a 503 (s)")
    ap.add_argument("--idle-within", type=float, default=5.0,
                    help="seconds after the last answer by which the CPU must be idle")
    ap.add_argument("--idle-cpu", type=float, default=0.1,
                    help="idle: server tree CPU seconds per second below this")
    ap.add_argument("--max-ratio", type=float, default=10.0,
                    help="largest allowed p99 ratio (with / without expensive queries)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep the generated store here and reuse it on the next run")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="policykg-expensive-"))
    work.mkdir(parents=True, exist_ok=True)
    store = work / f"store-{args.triples}"
    t0 = time.perf_counter()
    if not (store / "GENERATION.policykg").exists():
        data = generate(args.triples, work / "data.nq")
        load_store(work / "data.nq", store)
        (work / "data.nq").unlink()
        print(f"generated and loaded {data} triples in {time.perf_counter() - t0:.1f} s",
              flush=True)
    iris = sample_entities(store, 500)
    env = {"POLICYKG_QUERY_WORKERS": str(args.workers)} if args.workers else {}
    srv = serve(store, work / "server.log", "--query-timeout", str(args.server_timeout),
                env=env)
    try:
        return measure(srv, iris, args)
    finally:
        srv.stop()
        if args.workdir is None:  # a temporary store, not kept
            shutil.rmtree(work, ignore_errors=True)


def measure(srv: Served, iris: list[str], args: argparse.Namespace) -> int:
    warm = Log()
    run_cheap(srv, iris[:20], 2.0, args.interval, warm)
    health_before = health(srv)
    workers_before = srv.worker_pids()

    base = Log()
    run_cheap(srv, iris, args.seconds, args.interval, base)
    idle_before = srv.cpu_rate(2.0)

    loaded, heavy = Log(), Log()
    stop = threading.Event()
    threads = [threading.Thread(target=expensive_loop, daemon=True, args=(
        srv.url, i, args.timeout, heavy, stop, args.server_timeout + 30))
        for i in range(args.concurrent)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    cpu_loaded: list[tuple[float, int]] = []
    seen = run_cheap(srv, iris, args.seconds, args.interval, loaded, cpu_loaded)
    stop.set()
    for t in threads:
        t.join(args.server_timeout + 60)
    t_last = time.monotonic()

    # back to idle: sample until the tree's CPU rate is below the idle bound
    idle_after, rates = None, []
    while time.monotonic() - t_last < args.idle_within + 10:
        rates.append(srv.cpu_rate(0.5))
        if rates[-1] < args.idle_cpu:
            idle_after = time.monotonic() - t_last
            break
    health_after = health(srv)
    current = srv.worker_pids()
    replaced = (seen | workers_before) - current
    still_running = sorted(p for p in replaced if not gone(p))
    after_ok = httpx.get(srv.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                         timeout=30).status_code == 200

    # --- figures ---------------------------------------------------------------------------
    # "stopped": killed in its worker at the deadline; "no worker": still waiting for a
    # worker at the deadline (all were busy)
    print(f"\n{'expensive query':26} {'sent':>5} {'503':>5} {'stopped':>8} {'no worker':>9} "
          f"{'other':>5} {'min s':>6} {'max s':>6}")
    rows_e = []
    for name in EXPENSIVE:
        items = heavy.of(name)
        if not items:
            continue
        secs = [t.seconds for t in items]
        row = {"query": name, "sent": len(items),
               "503": sum(t.status == 503 for t in items),
               "deadline": sum(t.status == 503 and "ran past" in t.body for t in items),
               "busy": sum(t.status == 503 and "busy" in t.body for t in items),
               "other": sum(t.status != 503 for t in items),
               "min_s": round(min(secs), 3), "max_s": round(max(secs), 3)}
        rows_e.append(row)
        print(f"{name:26} {row['sent']:5} {row['503']:5} {row['deadline']:8} {row['busy']:9} "
              f"{row['other']:5} {row['min_s']:6.2f} {row['max_s']:6.2f}")
    print(f"(timeout {args.timeout:g} s each, {args.concurrent} at a time)")

    print(f"\n{'cheap look-up':14} {'phase':22} {'n':>6} {'errors':>6} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8}")
    cheap = {}
    for kind, label in (("data", "/data/{id}.ttl"), ("sparql", "point SPARQL")):
        stats = {}
        for phase, log in (("alone", base), (f"{args.concurrent} expensive running", loaded)):
            items = log.of(kind)
            ms = [t.seconds * 1000 for t in items]
            stats[phase] = {"n": len(items), "errors": sum(t.status != 200 for t in items),
                            "p50_ms": round(percentile(ms, 50), 2),
                            "p99_ms": round(percentile(ms, 99), 2),
                            "max_ms": round(max(ms), 2) if ms else None}
            s = stats[phase]
            print(f"{label:14} {phase:22} {s['n']:6} {s['errors']:6} {s['p50_ms']:8.2f} "
                  f"{s['p99_ms']:8.2f} {s['max_ms']:8.2f}")
        alone, busy = stats["alone"], stats[f"{args.concurrent} expensive running"]
        ratio = busy["p99_ms"] / alone["p99_ms"] if alone["p99_ms"] else float("inf")
        cheap[kind] = {"alone": alone, "loaded": busy, "p99_ratio": round(ratio, 2)}
        print(f"{label:14} p99 ratio {ratio:.2f}")

    mean_loaded = (sum(c for c, _ in cpu_loaded) / len(cpu_loaded) if cpu_loaded
                   else float("nan"))
    peak_rss = max((r for _, r in cpu_loaded), default=0)
    print(f"\nserver tree CPU: idle before {idle_before:.2f}, with expensive queries "
          f"{mean_loaded:.2f} (mean), back under {args.idle_cpu} in "
          + (f"{idle_after:.1f} s" if idle_after is not None else "never")
          + f" after the last answer (samples {[round(r, 2) for r in rates]}); "
          f"peak RSS of the tree {peak_rss / 1e6:.0f} MB; load average {os.getloadavg()}")
    stopped = health_after["queries_stopped_at_deadline"] - \
        health_before["queries_stopped_at_deadline"]
    print(f"worker processes seen and replaced: {len(replaced)}, of them still running: "
          f"{len(still_running)}; processes under the server before {len(workers_before)}, "
          f"after {len(current)}; "
          f"/health queries_stopped_at_deadline +{stopped}")

    # --- checks ----------------------------------------------------------------------------
    all_heavy = heavy.items
    late = [t for t in all_heavy if t.seconds > args.timeout + args.slack]
    early = [t for t in all_heavy if t.seconds < args.timeout - 0.05]
    deadline_503 = sum(r["deadline"] for r in rows_e)
    checks = {
        "expensive all 503": all(t.status == 503 for t in all_heavy) and bool(all_heavy),
        f"expensive answered within timeout+{args.slack:g} s": not late,
        "expensive not answered before the timeout": not early,
        "every stopped query counted by /health": stopped == deadline_503,
        "workers seen running are gone, the pool is its size again":
            not still_running and len(current) == len(workers_before),
        f"CPU idle within {args.idle_within:g} s": idle_after is not None
        and idle_after <= args.idle_within,
        "cheap look-ups without errors": all(c[p]["errors"] == 0 for c in cheap.values()
                                             for p in ("alone", "loaded")),
        f"cheap p99 ratio <= {args.max_ratio:g}": all(c["p99_ratio"] <= args.max_ratio
                                                      for c in cheap.values()),
        "server answers afterwards": after_ok,
    }
    print()
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    errors_sample = [t.body for t in loaded.items + base.items if t.status != 200][:3]
    if errors_sample:
        print("cheap errors, first:", errors_sample)
    result = {
        "triples": health_before["triples"], "timeout_s": args.timeout,
        "concurrent": args.concurrent, "workers": args.workers or "server default",
        "expensive_sent": len(all_heavy), "expensive_503": sum(r["503"] for r in rows_e),
        "stopped_at_deadline": stopped, "waited_for_a_worker_503": sum(r["busy"] for r in rows_e),
        "expensive_max_s": max((t.seconds for t in all_heavy), default=None),
        "workers_replaced": len(replaced), "workers_still_running": len(still_running),
        "cpu_loaded": round(mean_loaded, 2), "peak_rss_mb": round(peak_rss / 1e6),
        "loadavg_1m": os.getloadavg()[0],
        "cpu_idle_after_s": round(idle_after, 2) if idle_after is not None else None,
        "cheap_requests": sum(c[p]["n"] for c in cheap.values() for p in ("alone", "loaded")),
        "cheap_errors": sum(c[p]["errors"] for c in cheap.values() for p in ("alone", "loaded")),
        "data_p99_ms": [cheap["data"]["alone"]["p99_ms"], cheap["data"]["loaded"]["p99_ms"]],
        "data_p99_ratio": cheap["data"]["p99_ratio"],
        "sparql_p99_ms": [cheap["sparql"]["alone"]["p99_ms"],
                          cheap["sparql"]["loaded"]["p99_ms"]],
        "sparql_p99_ratio": cheap["sparql"]["p99_ratio"],
        "pass": all(checks.values()),
        "failed": [k for k, v in checks.items() if not v],
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
