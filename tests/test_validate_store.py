"""`policykg validate --store`: every document graph of a real store, each on its own, in
worker processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import CORPUS

from policykg.store import OxigraphStore
from policykg.validate import validate_store

DOCS = [CORPUS / "sichuan-reply-03906-2025-10-09.txt",
        CORPUS / "state-council-reply-sichuan-2004-10-15.txt"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "policykg", *args], capture_output=True,
                          text=True, timeout=600, env={"COLUMNS": "300", "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("vs") / "store"
    r = run("ingest", *map(str, DOCS), "--store", str(path))
    assert r.returncode == 0, r.stderr
    return path


def graphs_and_size(path: Path) -> tuple[list[str], int]:
    db = OxigraphStore(path)
    graphs = sorted(g.value for g in db.reader().named_graphs())
    return graphs, len(db)  # quads in the document graphs


def test_totals_cover_every_document_and_triple(store):
    graphs, size = graphs_and_size(store)
    r = run("validate", "--store", str(store), "--jobs", "2")
    m = re.search(r"(\d+) documents, (\d+) triples: (\d+) conform, (\d+) violations in (\d+) "
                  r"documents", r.stdout)
    assert m, r.stdout + r.stderr
    docs, triples, conform, violations, failing = map(int, m.groups())
    assert (docs, triples) == (len(graphs), size) == (2, size)
    # documents that passed the shapes on ingest pass them read back from the store (whose
    # integer subtypes are restored first)
    assert (conform, failing, violations) == (2, 0, 0), r.stdout + r.stderr
    assert r.returncode == 0
    assert "2 jobs" in r.stdout


def test_a_broken_document_is_named_and_fails(store, tmp_path):
    broken = tmp_path / "broken"
    graphs, _ = graphs_and_size(store)
    before = {d.graph: d.violations for d in validate_store(store, graphs, jobs=1).documents}
    # copy the store, then take the titles off one document
    src = ox.Store.read_only(str(store))
    db = ox.Store(str(broken))
    db.extend(list(src))
    target = graphs[0]
    db.update(f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX pkg: <https://w3id.org/policykg/ontology#>
        DELETE {{ GRAPH <{target}> {{ ?d skos:prefLabel ?l }} }}
        WHERE {{ GRAPH <{target}> {{ ?d a pkg:PolicyDocument ; skos:prefLabel ?l }} }}""")
    db.flush()
    del db, src
    after = {d.graph: d for d in validate_store(broken, graphs, jobs=2).documents}
    assert after[target].violations > before[target]
    assert after[graphs[1]].violations == before[graphs[1]]
    r = run("validate", "--store", str(broken))
    assert r.returncode == 1
    assert target in r.stderr


def test_file_or_store_not_both_nor_neither(store, tmp_path):
    r = run("validate")
    assert r.returncode == 2 and "FILE or --store" in r.stderr
    r = run("validate", "--store", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "no store there" in r.stderr
