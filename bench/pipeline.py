"""The write side of the benchmark, each step run as a user would run it (the `policykg`
command in a process of its own) next to its baseline in the same run: ingest of text
documents, bulk load of N-Quads against pyoxigraph's own loader, and whole-store SHACL
against plain pySHACL on one in-memory rdflib graph."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent


class ProcessTree:
    """Peak resident memory and CPU time of a process and its children (the ingest's pool
    workers, the server's query workers), sampled every 0.1 s. CPU is each process's own
    user + system time as last seen: a process that ends between two samples loses at most
    its last 0.1 s."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0
        self._cpu: dict[int, float] = {}  # pid → CPU seconds last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        with p.oneshot():
                            total += p.memory_info().rss
                            t = p.cpu_times()
                        self._cpu[p.pid] = t.user + t.system
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self._stop.wait(0.1)

    def __enter__(self) -> ProcessTree:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak / 2**20

    @property
    def cpu_s(self) -> float:
        return sum(self._cpu.values())


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    cpu_s: float  # of the process and its children
    stdout: str
    stderr: str
    returncode: int


def run(args: list[str], timeout: float | None = None, env: dict[str, str] | None = None
        ) -> Run:
    """A command, timed, with its peak memory and the CPU time of its processes."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    with ProcessTree(proc.pid) as tree:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return Run(time.perf_counter() - t, tree.mb, tree.cpu_s, out,
                       err + "\n[timed out]", -9)
    return Run(time.perf_counter() - t, tree.mb, tree.cpu_s, out, err, proc.returncode)


def policykg(*args: str, timeout: float | None = None, env: dict[str, str] | None = None
             ) -> Run:
    return run([sys.executable, "-m", "policykg", *args], timeout, env)


# --- ingest ---------------------------------------------------------------------------------

def ingest_docs(folder: Path, store: Path) -> dict:
    """`policykg ingest FOLDER --store DIR`: documents per second, whole command."""
    n = len(list(folder.glob("*.txt")))
    r = policykg("ingest", str(folder), "--store", str(store))
    if r.returncode != 0:
        raise RuntimeError(f"ingest failed: {r.stderr[-2000:]}")
    added = re.search(r"(\d+) added", r.stderr)
    return {"docs": n, "added": int(added.group(1)) if added else None,
            "seconds": r.seconds, "docs_per_s": n / r.seconds, "peak_rss_mb": r.peak_rss_mb,
            "cpu_s": r.cpu_s}


def ingest_cpu_ms_per_doc(folder: Path, sample: int = 24) -> dict[str, float]:
    """CPU milliseconds per document of each step of the ingest, run in this process on a
    sample of the documents after a warm-up (tables, segmenter, shapes): `build` (normalise
    → extract → label → map, and the N-Triples handed over), `validate` (the ingest-time
    check) and `store` (the sample's graphs put into a new embedded store in one batch, with
    their copies in the union default graph, as `policykg ingest` writes them). Process CPU
    time, so the store's writer threads count too. Their sum bounds the ingest: on C cores
    it cannot pass C × 1000 / sum documents per second."""
    from policykg.build import build_one
    from policykg.store import DocumentData, open_store
    from policykg.validate import validate

    files = sorted(folder.glob("*.txt"))[:sample + 1]
    first = build_one(files[0]).mapped
    assert first is not None, files[0]
    validate(first)
    cpu = time.process_time
    t = cpu()
    mapped = [build_one(f).mapped for f in files[1:]]
    datas = [DocumentData.of_mapped(m) for m in mapped if m is not None]
    build = cpu() - t
    t = cpu()
    for m in mapped:
        if m is not None:
            validate(m)
    check = cpu() - t
    with tempfile.TemporaryDirectory(prefix="policykg-bench-store-") as tmp:
        store = open_store(Path(tmp) / "store")
        t = cpu()
        with store.batch() as batch:
            for d in datas:
                batch.put(d)
        put = cpu() - t
    n = len(datas)
    out = {"build": build / n * 1000, "validate": check / n * 1000, "store": put / n * 1000}
    out["total"] = sum(out.values())
    out["documents"] = n
    return out


def validate_ms_per_doc(folder: Path, sample: int = 8, engine: str = "auto") -> float:
    """Median ms of validating one document's graph (the ingest-time check), in this
    process after a warm-up; `engine` as `policykg.validate.validate` takes it ("pyshacl"
    gives the baseline). Each engine is given what it reads at ingest: rudof the mapper's
    own N-Triples (as `policykg ingest` hands it over), pySHACL an rdflib Graph built
    beforehand, so neither is timed writing or building the other's form."""
    from policykg.build import build_one
    from policykg.validate import validate

    files = sorted(folder.glob("*.txt"))[:sample + 1]
    docs = [build_one(f) for f in files]
    graphs = [d.graph if engine == "pyshacl" else d.mapped for d in docs
              if d.mapped is not None]
    validate(graphs[0], engine)  # shapes, ontology, prepared queries
    times = []
    for g in graphs[1:]:
        t = time.perf_counter()
        validate(g, engine)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


# --- bulk load --------------------------------------------------------------------------------

RAW_LOAD = """
import sys, time, pyoxigraph as ox
t = time.perf_counter()
db = ox.Store(sys.argv[1])
db.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)
db.flush()
print(time.perf_counter() - t, len(db))
"""


def load(nq: Path, ours: Path, raw: Path) -> dict:
    """`policykg ingest FILE.nq --store DIR` against pyoxigraph's bulk loader on the same
    file, each in a fresh process into an empty store. Rates are over each command's wall
    time (interpreter start and imports included on both sides)."""
    r_raw = run([sys.executable, "-c", RAW_LOAD, str(raw), str(nq)])
    if r_raw.returncode != 0:
        raise RuntimeError(f"raw bulk load failed: {r_raw.stderr[-2000:]}")
    raw_inner, raw_triples = r_raw.stdout.split()
    r = policykg("ingest", str(nq), "--store", str(ours))
    if r.returncode != 0:
        raise RuntimeError(f"policykg ingest {nq.name} failed: {r.stderr[-2000:]}")
    m = re.search(r"loaded .*?: (\d+) triples in (\d+) graphs in ([\d.]+) s", r.stderr)
    triples = int(raw_triples)
    return {"triples": triples, "seconds": r.seconds, "raw_seconds": r_raw.seconds,
            "load_triples_per_s": triples / r.seconds,
            "raw_triples_per_s": triples / r_raw.seconds,
            "load_ratio_vs_raw": r_raw.seconds / r.seconds,
            "inner_seconds": float(m.group(3)) if m else None,
            "raw_inner_seconds": float(raw_inner),
            "peak_rss_mb": r.peak_rss_mb, "raw_peak_rss_mb": r_raw.peak_rss_mb}


# --- whole-store validation -------------------------------------------------------------------

def validate_store(store: Path, jobs: int, timeout: float | None = None) -> dict:
    # wide lines: a failing document's line is read whole from the output
    r = policykg("validate", "--store", str(store), "--jobs", str(jobs), timeout=timeout,
                 env={**os.environ, "COLUMNS": "1000"})
    m = re.search(r"(\d+) documents, (\d+) triples: (\d+) conform, (\d+) violations", r.stdout)
    if not m:
        return {"seconds": None, "note": (r.stderr or r.stdout)[-300:]}
    out = {"seconds": r.seconds, "documents": int(m.group(1)), "triples": int(m.group(2)),
           "violations": int(m.group(4)), "peak_rss_mb": r.peak_rss_mb}
    if out["violations"]:  # the failing documents, as the command names them (on stderr)
        out["failing"] = [line for line in r.stderr.splitlines() if "violations, e.g." in line][:5]
    return out


def plain_pyshacl(nq: Path, timeout: float | None = None) -> dict:
    """bench/plain_pyshacl.py in its own process: the baseline with no policykg code."""
    r = run([sys.executable, str(BENCH / "plain_pyshacl.py"), str(nq)], timeout)
    if r.returncode not in (0, 1) or not r.stdout.strip():
        return {"seconds": None, "wall_seconds": r.seconds,
                "note": "timed out" if r.returncode == -9 else r.stderr[-300:]}
    parse_s, validate_s, _conforms, results = r.stdout.split()
    return {"seconds": float(validate_s), "parse_seconds": float(parse_s),
            "wall_seconds": r.seconds, "results": int(results),
            "peak_rss_mb": r.peak_rss_mb}
