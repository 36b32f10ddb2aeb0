"""Crash safety of ingest: `policykg ingest` of a folder is killed with SIGKILL at seeded
random points, some of them timed to land while it holds the store open for writing. After
each kill the store must open and hold every document either whole (its triple count equals
a clean build's) or not at all; re-running the ingest then completes the corpus, and the
result equals a clean sequential ingest quad for quad."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from variants import expected_graphs, write_variants

from policykg import ingest as ingest_module
from policykg.ingest import ingest
from policykg.store import OxigraphStore

DOCUMENTS = 12
TRIALS = 5
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


def _quads(store: ox.Store) -> set[str]:
    return {str(q) for q in store.quads_for_pattern(None, None, None, None)}


def _per_graph(store: ox.Store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for q in store.quads_for_pattern(None, None, None, None):
        key = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_sigkill_during_ingest_loses_nothing_and_a_rerun_completes(tmp_path, capsys):
    rng = random.Random(SEED)
    folder = tmp_path / "documents"
    expected = expected_graphs(write_variants(folder, DOCUMENTS))
    full = {g: len(graph) for g, graph in expected.items()}
    store_dir = tmp_path / "store"
    cmd = [sys.executable, "-m", "policykg", "ingest", "--store", str(store_dir), str(folder)]
    rows = []
    for trial in range(TRIALS):
        in_write = trial % 2 == 0
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        start = time.monotonic()
        if in_write:
            # the n-th time it holds the store open for writing, a little way into it
            writes, n, was_held = 0, rng.randint(1, 3), False
            while proc.poll() is None and time.monotonic() - start < 60:
                held = _lock_held(store_dir / "WRITE.lock", proc.pid)
                if held and not was_held:
                    writes += 1
                    if writes == n:
                        time.sleep(rng.uniform(0, 0.02))
                        break
                was_held = held
                time.sleep(0.0005)
        else:
            deadline = start + rng.uniform(3.0, 10.0)
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
        finished = proc.poll() is not None
        during_write = not finished and _lock_held(store_dir / "WRITE.lock", proc.pid)
        proc.kill()
        proc.wait(30)
        assert finished or proc.returncode == -9, proc.stderr.read()
        proc.stderr.close()

        # the store opens; each document is whole or absent
        db = OxigraphStore(store_dir).reader()
        counts = _per_graph(db)
        assert set(counts) <= set(full), f"graphs that no document makes: {set(counts) - set(full)}"
        partial = {g: (n, full[g]) for g, n in counts.items() if n != full[g]}
        assert not partial, f"trial {trial}: documents stored in part: {partial}"
        del db
        rows.append((trial, "in a write" if in_write else "at random",
                     round(time.monotonic() - start, 2), during_write, finished, len(counts)))

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    clean = OxigraphStore(tmp_path / "clean")
    for graph in expected.values():  # the store step of a clean sequential ingest
        clean.put_document(graph)
    final = OxigraphStore(store_dir).reader()
    assert _per_graph(final) == full
    assert _quads(final) == _quads(clean.reader())

    kills = sum(1 for r in rows if not r[4])
    in_writes = sum(1 for r in rows if r[3])
    with capsys.disabled():
        print(f"\ncrash safety: {DOCUMENTS} documents, {TRIALS} trials (seed {SEED}), "
              f"{kills} SIGKILLs injected, {in_writes} while the store was open for writing; "
              "documents present after each: "
              + ", ".join(f"#{t} {how} {s}s{' [in write]' if w else ''}"
                          f"{' [had finished]' if f else ''} → {n}/{DOCUMENTS}"
                          for t, how, s, w, f, n in rows)
              + f"; partial documents 0; after the re-run {len(full)}/{DOCUMENTS} documents, "
                f"{sum(full.values())} quads equal to a clean ingest; data lost 0")
    assert kills >= TRIALS - 1 and in_writes >= 1


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
