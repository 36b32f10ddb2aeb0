"""Soak: the real `policykg serve` on 127.0.0.1 over a store of the bundled corpus plus
generated copies of its documents, under a steady mixed load for a bounded time: changed
documents POSTed to /ingest (with the token), /search in Chinese, English and pinyin, /data
look-ups and /sparql queries, from a bounded number of client threads at a fixed rate.
The resident memory of the server and its query workers is sampled every few seconds.

    python bench/soak.py --minutes 10 [--rate 40] [--clients 6] [--copies 10]

Prints a table a minute (requests, errors, p50/p99 per kind, RSS), then one JSON line.
Passes when there were no errors, every ingested document is stored with the content last
sent, and the memory is flat: RSS growth over the last half of the run (a least-squares
line through the samples) is under --max-growth-mb. Exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serverproc import Served, percentile, serve

from bench.graph_gen import load_store

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/policykg/"
TOKEN = "soak-token"
KINDS = ("data", "search", "sparql", "ingest")
SEARCHES = [("城乡融合", "zh"), ("试验区", "zh"), ("什邡", None), ("國務院辦公廳", "zh"),
            ("无废城市", None), ("urban rural", "en"), ("pilot zone", "en"), ("Shifang", None),
            ("state council", "en"), ("shifang", "pinyin"), ("chengxiang ronghe", "pinyin"),
            ("wúfèi chéngshì", "pinyin"), ("sichuan", None)]
PREFIX = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
SPARQL = [
    "SELECT ?p ?o WHERE { <%IRI%> ?p ?o }",
    PREFIX + "SELECT DISTINCT ?o ?l WHERE { ?o a pkg:Province ; skos:prefLabel ?l } "
             "ORDER BY ?o ?l",
    PREFIX + "SELECT ?d ?n WHERE { ?d a pkg:PolicyDocument ; pkg:documentNumber ?n } LIMIT 50",
    PREFIX + "SELECT ?c (COUNT(?i) AS ?n) WHERE { ?c pkg:explores ?i } GROUP BY ?c",
    PREFIX + "SELECT ?a ?b WHERE { ?a pkg:cites ?b } LIMIT 100",
]


# --- the documents ---------------------------------------------------------------------------

def copy_of(text: str, k: int) -> str:
    """A distinct document made from `text`: its own document number (国办发〔2018〕126号 →
    〔2018〕1126号 for k=1), or, without one, its own title."""
    m = re.search(r"发文字号[：:]\s*(\S+〕)(\d+)号", text)
    if m:
        prefix, number = m.group(1), int(m.group(2))
        return text.replace(f"{prefix}{number}号", f"{prefix}{number + 1000 * k}号")
    first, rest = text.split("\n", 1)
    return first.replace("关于", f"关于（汇编{k}）", 1) + "\n" + rest


def revised(text: str, n: int) -> bytes:
    """The same document, changed: a revision note at the end (a new content hash)."""
    return (text.rstrip("\n") + f"\n\n（本页于第{n}次更新）\n").encode("utf-8")


def make_documents(folder: Path, copies: int) -> dict[str, str]:
    """The bundled corpus plus `copies` copies of each document, written to `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = {}
    for src in sorted((ROOT / "corpus").glob("*.txt")):
        text = src.read_text(encoding="utf-8")
        for k in range(copies + 1):
            name = src.name if k == 0 else f"{src.stem}-copy{k}.txt"
            docs[name] = text if k == 0 else copy_of(text, k)
            (folder / name).write_text(docs[name], encoding="utf-8")
    return docs


def build_store(docs_dir: Path, work: Path, store: Path) -> None:
    nq = work / "docs.nq"
    subprocess.run([sys.executable, "-m", "policykg", "build", str(docs_dir), "--out", str(nq),
                    "--no-validate"], check=True, capture_output=True)
    load_store(nq, store)
    nq.unlink()


def entity_iris(store: Path, n: int) -> list[str]:
    db = ox.Store.read_only(str(store))
    rows = db.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s "
                    "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l } }")
    iris = sorted(r["s"].value for r in rows if r["s"].value.startswith(BASE + "id/"))
    del db
    random.Random(3).shuffle(iris)
    return iris[:n]


# --- the load --------------------------------------------------------------------------------

@dataclass
class Sample:
    kind: str
    start: float  # seconds since the run began
    seconds: float
    ok: bool
    note: str = ""


class Recorder:
    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.items: list[Sample] = []
        self.lock = threading.Lock()

    def add(self, kind: str, start: float, ok: bool, note: str = "") -> None:
        s = Sample(kind, start - self.t0, time.monotonic() - start, ok, note)
        with self.lock:
            self.items.append(s)


def reader_loop(url: str, iris: list[str], rec: Recorder, stop: threading.Event,
                interval: float, seed: int) -> None:
    """Reads in a fixed mix (data 40 %, search 30 %, sparql 30 %), one every `interval`."""
    rnd = random.Random(seed)
    with httpx.Client(timeout=60) as client:
        next_at = time.monotonic()
        while not stop.is_set():
            kind = rnd.choices(("data", "search", "sparql"), (4, 3, 3))[0]
            start = time.monotonic()
            try:
                if kind == "data":
                    iri = rnd.choice(iris)
                    r = client.get(f"{url}/data/{quote(iri[len(BASE) + 3:], safe='/')}",
                                   headers={"Accept": rnd.choice(
                                       ["text/turtle", "application/json",
                                        "application/ld+json"])})
                elif kind == "search":
                    q, lang = rnd.choice(SEARCHES)
                    r = client.get(url + "/search", params={"q": q, **({"lang": lang}
                                                                       if lang else {})})
                else:
                    query = rnd.choice(SPARQL).replace("%IRI%", rnd.choice(iris))
                    r = client.post(url + "/sparql", data={"query": query},
                                    headers={"Accept": "application/sparql-results+json"})
                ok = r.status_code == 200
                rec.add(kind, start, ok, "" if ok else f"{r.status_code} {r.text[:200]}")
            except httpx.HTTPError as e:
                rec.add(kind, start, False, f"{type(e).__name__}: {e}")
            next_at += interval
            stop.wait(max(0.0, next_at - time.monotonic()))


def ingest_loop(url: str, docs: dict[str, str], rec: Recorder, stop: threading.Event,
                pause: float, sent: dict[str, str]) -> None:
    """Changed documents in turn, one at a time, `pause` seconds apart; `sent` keeps the
    content hash of what was last sent for each."""
    names = sorted(docs)
    with httpx.Client(timeout=600, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        for n in itertools.count(1):
            if stop.is_set():
                return
            name = names[(n - 1) % len(names)]
            body = revised(docs[name], n)
            start = time.monotonic()
            try:
                r = client.post(url + "/ingest", params={"name": name}, content=body)
                ok = r.status_code == 200 and r.json().get("outcome") == "replaced"
                if r.status_code in (200, 201):
                    sent[name] = "sha256:" + hashlib.sha256(body).hexdigest()
                rec.add("ingest", start, ok, "" if ok else f"{r.status_code} {r.text[:300]}")
            except httpx.HTTPError as e:
                rec.add("ingest", start, False, f"{type(e).__name__}: {e}")
            stop.wait(pause)


def sample_rss(srv: Served, t0: float, every: float, out: list[tuple[float, int, int]],
               stop: threading.Event) -> None:
    """(seconds, RSS of server + workers, RSS of the server process alone)."""
    while not stop.is_set():
        out.append((time.monotonic() - t0, srv.rss_bytes(), srv.ps.memory_info().rss))
        stop.wait(every)


# --- figures ---------------------------------------------------------------------------------

def growth_over(samples: list[tuple[float, int, int]], since: float,
                which: int = 1) -> tuple[float, float]:
    """Least-squares slope of RSS (bytes/s; `which`: 1 the tree, 2 the server alone) over
    the samples from `since`, and the growth it makes over that span (MB)."""
    pts = [(s[0], s[which]) for s in samples if s[0] >= since]
    if len(pts) < 3:
        return 0.0, 0.0
    mt = sum(t for t, _ in pts) / len(pts)
    mr = sum(r for _, r in pts) / len(pts)
    den = sum((t - mt) ** 2 for t, _ in pts)
    slope = sum((t - mt) * (r - mr) for t, r in pts) / den if den else 0.0
    return slope, slope * (pts[-1][0] - pts[0][0]) / 1e6


def table(items: list[Sample], rss: list[tuple[float, int, int]], minutes: int) -> list[dict]:
    rows = []
    for m in range(minutes):
        lo, hi = m * 60, (m + 1) * 60
        in_m = [s for s in items if lo <= s.start < hi]
        row = {"minute": m + 1, "requests": len(in_m), "errors": sum(not s.ok for s in in_m)}
        for kind in KINDS:
            ms = [s.seconds * 1000 for s in in_m if s.kind == kind]
            row[kind] = {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1),
                         "p99_ms": round(percentile(ms, 99), 1)}
        in_rss = [(r, own) for t, r, own in rss if lo <= t < hi]
        row["rss_mb"] = round(in_rss[-1][0] / 1e6) if in_rss else None
        row["rss_max_mb"] = round(max(r for r, _ in in_rss) / 1e6) if in_rss else None
        row["server_rss_mb"] = round(in_rss[-1][1] / 1e6) if in_rss else None
        rows.append(row)
    return rows


def print_table(rows: list[dict]) -> None:
    head = f"{'min':>3} {'requests':>8} {'errors':>6}"
    for kind in KINDS:
        head += f" {kind + ' n':>9} {'p50':>7} {'p99':>7}"
    print(head + f" {'RSS MB':>7} {'max':>6} {'server':>6}")
    for r in rows:
        line = f"{r['minute']:3} {r['requests']:8} {r['errors']:6}"
        for kind in KINDS:
            k = r[kind]
            line += f" {k['n']:9} {k['p50_ms']:7.1f} {k['p99_ms']:7.1f}"
        print(line + f" {r['rss_mb'] or 0:7} {r['rss_max_mb'] or 0:6} "
                     f"{r['server_rss_mb'] or 0:6}")
    print("(latencies in ms; RSS: server + query workers, last and largest sample of the "
          "minute; server: the server process alone, last sample)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--rate", type=float, default=40.0, help="reads per second, all clients")
    ap.add_argument("--clients", type=int, default=6, help="reading client threads")
    ap.add_argument("--copies", type=int, default=10, help="copies of each corpus document")
    ap.add_argument("--ingest-pause", type=float, default=2.0,
                    help="seconds between one ingest's answer and the next")
    ap.add_argument("--sample", type=float, default=5.0, help="RSS sampling interval (s)")
    ap.add_argument("--max-growth-mb", type=float, default=50.0,
                    help="largest allowed RSS growth over the last half of the run")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    if args.minutes < 1:
        raise SystemExit("--minutes must be at least 1")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="policykg-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    docs = make_documents(work / "docs", args.copies)
    store = work / "store"
    build_store(work / "docs", work, store)
    iris = entity_iris(store, 2000)
    print(f"store of {len(docs)} documents built in {time.perf_counter() - t:.0f} s", flush=True)
    srv = serve(store, work / "server.log", "--token", TOKEN, "--query-timeout", "30")
    try:
        return soak(srv, docs, iris, args)
    finally:
        srv.stop()
        if args.workdir is None:  # a temporary store, not kept
            shutil.rmtree(work, ignore_errors=True)


def soak(srv: Served, docs: dict[str, str], iris: list[str], args: argparse.Namespace) -> int:
    start_health = httpx.get(srv.url + "/health", timeout=30).json()
    # warm-up, not counted: the first ingest loads the extraction and validation code
    with httpx.Client(timeout=600, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        name = sorted(docs)[0]
        r = c.post(srv.url + "/ingest", params={"name": name}, content=revised(docs[name], 0))
        if r.status_code != 200:
            raise SystemExit(f"warm-up ingest failed: {r.status_code} {r.text[:300]}")
    t0 = time.monotonic()
    rec, rss, sent = Recorder(t0), [], {}
    stop = threading.Event()
    interval = args.clients / args.rate
    threads = [threading.Thread(target=reader_loop, daemon=True,
                                args=(srv.url, iris, rec, stop, interval, i))
               for i in range(args.clients)]
    threads.append(threading.Thread(target=ingest_loop, daemon=True,
                                    args=(srv.url, docs, rec, stop, args.ingest_pause, sent)))
    threads.append(threading.Thread(target=sample_rss, daemon=True,
                                    args=(srv, t0, args.sample, rss, stop)))
    for th in threads:
        th.start()
    shown = 0
    end = t0 + args.minutes * 60
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        done = int((time.monotonic() - t0) // 60)
        if done > shown and done <= args.minutes:  # one line a minute while it runs
            row = table(rec.items, rss, done)[-1]
            print(f"minute {done}: {row['requests']} requests, {row['errors']} errors, "
                  f"RSS {row['rss_mb']} MB", flush=True)
            shown = done
    stop.set()
    for th in threads:
        th.join(660)
    alive = srv.proc.poll() is None

    # what was last sent is what is stored
    stored = {d["source"].rsplit("/", 1)[-1]: d["content_hash"] for d in
              httpx.get(srv.url + "/documents", timeout=60).json()}
    mismatched = sorted(n for n, h in sent.items() if stored.get(n) != h)
    end_health = httpx.get(srv.url + "/health", timeout=30).json()

    items = [s for s in rec.items if s.start < args.minutes * 60]
    rows = table(items, rss, args.minutes)
    print()
    print_table(rows)
    half = args.minutes * 60 / 2
    slope, growth = growth_over(rss, half)
    _, server_growth = growth_over(rss, half, which=2)
    first, last = rss[0][1] / 1e6, rss[-1][1] / 1e6
    errors = [s for s in rec.items if not s.ok]
    total = {k: [s.seconds * 1000 for s in items if s.kind == k] for k in KINDS}
    print(f"\nRSS {first:.0f} MB at the start, {last:.0f} MB at the end, largest "
          f"{max(r for _, r, _ in rss) / 1e6:.0f} MB; over the last half "
          f"{slope * 3600 / 1e6:+.1f} MB/h, {growth:+.1f} MB (bound {args.max_growth_mb:g} MB), "
          f"of which the server process {server_growth:+.1f} MB")
    print(f"documents {start_health['documents']} before, {end_health['documents']} after; "
          f"triples {start_health['triples']} before, {end_health['triples']} after; "
          f"{len(sent)} documents re-ingested, {len(mismatched)} not stored as last sent")
    by_kind = defaultdict(int)
    for s in errors:
        by_kind[s.kind] += 1
    if errors:
        print("errors, first:", [f"{s.kind}: {s.note}" for s in errors[:5]])
    checks = {
        "no errors": not errors,
        "server alive": alive,
        "every ingested document stored as last sent": not mismatched and bool(sent),
        "no document lost or added": end_health["documents"] == start_health["documents"],
        f"RSS growth over the last half < {args.max_growth_mb:g} MB":
            growth < args.max_growth_mb,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    result = {
        "minutes": args.minutes, "read_rate": args.rate, "clients": args.clients,
        "documents": end_health["documents"], "triples": end_health["triples"],
        "requests": len(items), "errors": len(errors), "errors_by_kind": dict(by_kind),
        **{f"{k}_n": len(v) for k, v in total.items()},
        **{f"{k}_p99_ms": round(percentile(v, 99), 1) for k, v in total.items()},
        "ingested": len([s for s in items if s.kind == "ingest" and s.ok]),
        "data_lost": len(mismatched) + abs(end_health["documents"] - start_health["documents"]),
        "rss_start_mb": round(first), "rss_end_mb": round(last),
        "rss_growth_last_half_mb": round(growth, 1), "rss_bound_mb": args.max_growth_mb,
        "server_rss_growth_last_half_mb": round(server_growth, 1),
        "loadavg_1m": os.getloadavg()[0],
        "pass": all(checks.values()), "failed": [k for k, v in checks.items() if not v],
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
