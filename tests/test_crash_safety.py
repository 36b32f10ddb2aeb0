"""Crash safety of ingest: `policykg ingest` of a folder is killed with SIGKILL at seeded
random points, some of them timed to land while it holds the store open for writing. After
each kill the store must open and hold every document either whole (its triple count equals
a clean build's) or not at all; re-running the ingest then completes the corpus, and the
result equals a clean sequential ingest quad for quad. The same against a remote store
(Virtuoso)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pyoxigraph as ox
import pytest
from conftest import open_backend
from variants import expected_graphs, write_variants
from virtuoso import PASSWORD, USER

from policykg import ingest as ingest_module
from policykg.ingest import ingest
from policykg.remote_config import remote_config
from policykg.remote_store import STAGING, RemoteStore
from policykg.store import OxigraphStore

DOCUMENTS = 24
TRIALS = 5
REMOTE_DOCUMENTS = 6
REMOTE_TRIALS = 2
SEED = 9_0425


def _lock_held(lock: Path, pid: int) -> bool:
    """Whether process `pid` holds the flock on `lock`, read from /proc/locks (taking the
    lock ourselves to find out would make the writer fail)."""
    try:
        inode = lock.stat().st_ino
    except FileNotFoundError:
        return False
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if "FLOCK" in parts and str(pid) in parts and parts[-3].endswith(f":{inode}"):
            return True
    return False


def _survivors(session: int, wait: float = 10.0) -> list[psutil.Process]:
    """Processes still in the session of a killed ingest, after giving them `wait` s."""
    deadline = time.monotonic() + wait
    while True:
        left = []
        for p in psutil.process_iter():
            try:
                if os.getsid(p.pid) == session and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(p)
            except (ProcessLookupError, PermissionError, psutil.Error):
                continue
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _quads(store: ox.Store) -> set[str]:
    """The document graphs' quads."""
    return {str(q) for q in store.quads_for_pattern(None, None, None, None)
            if isinstance(q.graph_name, ox.NamedNode)}


def _per_graph(store: ox.Store) -> dict[str, int]:
    """Quads per document graph; on the embedded store, first that its default graph is
    still exactly the union of its document graphs (written in the same transactions)."""
    counts: dict[str, int] = {}
    default, named = set(), set()
    for q in store.quads_for_pattern(None, None, None, None):
        if isinstance(q.graph_name, ox.NamedNode):
            counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1
            named.add(q.triple)
        else:
            default.add(q.triple)
    if isinstance(store, ox.Store):
        assert default == named, (f"the union default graph is off: {len(default - named)} "
                                  f"triples too many, {len(named - default)} missing")
    return counts


@dataclass
class Target:
    """How to run ingest against one backend, see whether it is writing, and read back
    what is stored."""

    name: str
    args: list[str]  # --store and the options it needs
    env: dict[str, str]
    writing: Callable[[int], bool]  # given the ingest's pid: is a write in progress?
    per_graph: Callable[[], dict[str, int]]  # triples per named graph
    quads: Callable[[], set[str]]
    # grows with each document written; None: the "between writes" kills land at a random
    # moment of the first seconds instead (a store that writes in one long session)
    progress: Callable[[], int] | None
    delay: float = 0.02  # at most this long into a write seen
    nth_write: int = 2  # the kill lands in the first or up to the n-th write seen


def _kill_at_random_points(target: Target, folder: Path, trials: int, rng: random.Random,
                           full: dict[str, int]) -> list[tuple]:
    """Run `policykg ingest` `trials` times, each killed with SIGKILL: every other one the
    n-th time it is seen writing (a little way into the write), the others at a random
    moment after its k-th document is written (while it reads the next ones), or a random
    moment of its first seconds where no such count is seen. After each
    kill every document graph must be whole or absent."""
    cmd = [sys.executable, "-m", "policykg", "ingest", *target.args, str(folder)]
    env = {**os.environ, **target.env}
    rows, stored = [], set()
    for trial in range(trials):
        in_write = trial % 2 == 0
        # its own session, so that whatever it started can be found after it is killed
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
        start = time.monotonic()
        if in_write:
            writes, n, was = 0, rng.randint(1, target.nth_write), False
            while proc.poll() is None and time.monotonic() - start < 90:
                now = target.writing(proc.pid)
                if now and not was:
                    writes += 1
                    if writes == n:
                        time.sleep(rng.uniform(0, target.delay))
                        break
                was = now
                time.sleep(0.0005)
        elif target.progress is None:
            time.sleep(rng.uniform(0.5, 3.0))
        else:
            goal = target.progress() + rng.randint(1, 2)
            while proc.poll() is None and time.monotonic() - start < 90 \
                    and target.progress() < goal:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.5))
        finished = proc.poll() is not None
        during_write = not finished and target.writing(proc.pid)
        proc.kill()
        proc.wait(30)
        assert finished or proc.returncode == -9, proc.stderr.read()
        proc.stderr.close()
        left = _survivors(proc.pid)  # its worker processes must not outlive it
        for p in left:
            p.kill()
        assert not left, f"{target.name}, trial {trial}: processes left running: {left}"

        counts = target.per_graph()  # the store opens, and each document is whole or absent
        assert set(counts) <= set(full), f"graphs no document makes: {set(counts) - set(full)}"
        partial = {g: (n, full[g]) for g, n in counts.items() if n != full[g]}
        assert not partial, f"{target.name}, trial {trial}: documents stored in part: {partial}"
        # what earlier runs committed is still there
        assert set(counts) >= stored, f"{target.name}, trial {trial}: lost {stored - set(counts)}"
        stored = set(counts)
        rows.append((trial, "in a write" if in_write else
                     "between writes" if target.progress else "at a random moment",
                     round(time.monotonic() - start, 2), during_write, finished, len(counts)))

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    return rows


def _report(capsys, target: Target, rows: list[tuple], full: dict[str, int], extra: str = "",
            min_in_writes: int = 1):
    kills = sum(1 for r in rows if not r[4])
    in_writes = sum(1 for r in rows if r[3])
    with capsys.disabled():
        print(f"\ncrash safety ({target.name}): {len(full)} documents, {len(rows)} trials "
              f"(seed {SEED}), {kills} SIGKILLs injected, {in_writes} during a write; "
              "documents present after each: "
              + ", ".join(f"#{t} {how} {s}s{' [in write]' if w else ''}"
                          f"{' [had finished]' if f else ''} → {n}/{len(full)}"
                          for t, how, s, w, f, n in rows)
              + "; processes left running 0; partial documents 0; after the re-run "
                f"{len(full)}/{len(full)} documents, "
                f"{sum(full.values())} quads equal to a clean ingest; data lost 0{extra}")
    assert kills >= len(rows) - 1 and in_writes >= min_in_writes


def _clean_quads(expected: dict, folder: Path) -> set[str]:
    clean = OxigraphStore(folder)
    for graph in expected.values():  # the store step of a clean sequential ingest
        clean.put_document(graph)
    return _quads(clean.reader())


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_sigkill_during_ingest_loses_nothing_and_a_rerun_completes(tmp_path, capsys):
    folder = tmp_path / "documents"
    expected = expected_graphs(write_variants(folder, DOCUMENTS))
    full = {g: len(graph) for g, graph in expected.items()}
    store_dir = tmp_path / "store"

    def per_graph() -> dict[str, int]:
        return _per_graph(OxigraphStore(store_dir).reader())

    target = Target(
        "embedded", ["--store", str(store_dir)], {},
        writing=lambda pid: _lock_held(store_dir / "WRITE.lock", pid),
        per_graph=per_graph, quads=lambda: _quads(OxigraphStore(store_dir).reader()),
        # one ingest writes in one session (closed and reopened about once a second), so the
        # kills land in it up to this long after it opens: mid-document or between two
        progress=None, delay=0.4, nth_write=1)
    rows = _kill_at_random_points(target, folder, TRIALS, random.Random(SEED), full)
    assert target.per_graph() == full
    assert target.quads() == _clean_quads(expected, tmp_path / "clean")
    _report(capsys, target, rows, full)


def test_sigkill_during_a_remote_ingest_loses_nothing(virtuoso, tmp_path, capsys):
    """The same against a SPARQL server (Virtuoso): a document is uploaded into a staging
    graph and moved onto its own graph in one operation, so a kill leaves it whole or
    absent; a staging graph a kill leaves behind is never seen by a query."""
    folder = tmp_path / "documents"
    expected = expected_graphs(write_variants(folder, REMOTE_DOCUMENTS))
    full = {g: len(graph) for g, graph in expected.items()}
    store = open_backend("virtuoso", tmp_path, virtuoso)  # cleared of documents
    direct = httpx.Client(base_url=virtuoso.base, timeout=60,
                          auth=httpx.DigestAuth(USER, PASSWORD))

    def graph_counts() -> dict[str, int]:
        """Triples per graph, asked of Virtuoso itself (every graph, staging ones too)."""
        r = direct.get("/sparql", params={"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { "
                                          "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"},
                       headers={"Accept": "application/sparql-results+json"})
        r.raise_for_status()
        return {b["g"]["value"]: int(b["n"]["value"]) for b in r.json()["results"]["bindings"]}

    def staging() -> set[str]:
        return {g for g in graph_counts() if g.startswith(STAGING)}

    before = set(graph_counts())  # the server's own graphs

    def documents() -> dict[str, int]:
        return {g: n for g, n in graph_counts().items()
                if g not in before and not g.startswith(STAGING)}

    def per_graph() -> dict[str, int]:  # after a kill: nothing is writing
        counts = documents()
        # what policykg itself sees of the store: the same, whatever is staged (asked
        # through a new store object: one caches its list of graphs for a moment)
        fresh = RemoteStore(remote_config(virtuoso.store, virtuoso.args[1], env=virtuoso.env))
        assert {d.graph for d in fresh.documents()} == set(counts)
        return counts

    target = Target("remote", ["--store", virtuoso.store, *virtuoso.args], virtuoso.env,
                    writing=lambda pid: bool(staging()), per_graph=per_graph,
                    quads=lambda: {str(q) for q in store.quads(None)},
                    progress=lambda: len(documents()),
                    delay=0.0)  # a staging graph is seen by polling, late already
    rows = _kill_at_random_points(target, folder, REMOTE_TRIALS, random.Random(SEED), full)
    assert target.per_graph() == full
    assert target.quads() == _clean_quads(expected, tmp_path / "clean")
    left = staging()
    for g in left:  # tidy the shared server for the tests after this one
        direct.post("/sparql-auth", data={"update": f"DROP SILENT GRAPH <{g}>"})
    direct.close()
    _report(capsys, target, rows, full,
            f"; staging graphs left behind by kills (invisible to queries): {len(left)}",
            # a remote write is seen only by polling the server for staging graphs, which
            # may miss it: the kills are counted, and those seen in a write reported
            min_in_writes=0)


def test_a_rerun_does_not_validate_again_what_is_stored(tmp_path, monkeypatch):
    """What makes re-running an interrupted ingest cheap: unchanged documents are skipped
    before validation (about a second each)."""
    paths = write_variants(tmp_path / "documents", 2)
    store = OxigraphStore(tmp_path / "store")
    assert ingest(paths, store).count("added") == 2

    def no_validation(graph):
        raise AssertionError("validated a document that is stored unchanged")

    monkeypatch.setattr(ingest_module, "validate", no_validation)
    report = ingest(paths, store)
    assert report.count("unchanged") == 2 and not report.refused
    os.utime(paths[0])  # touching a file changes nothing
    assert ingest(paths[:1], store).count("unchanged") == 1
