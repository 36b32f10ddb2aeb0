"""The embedded store and ingest: one named graph per document, all or nothing, unchanged
documents skipped, changed ones replaced, invalid ones refused."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import CORPUS
from rdflib import RDF, Graph, Literal, URIRef

from policykg.build import build_one
from policykg.ingest import ingest
from policykg.store import OxigraphStore, StoreError
from policykg.vocab import PKG

SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"


@pytest.fixture
def store(tmp_path) -> OxigraphStore:
    return OxigraphStore(tmp_path / "store")


def test_ingest_adds_then_skips_unchanged(store):
    r = ingest([CORPUS], store)
    assert r.count("added") == 5 and not r.refused
    n = len(store)
    r = ingest([CORPUS], store)
    assert r.count("unchanged") == 5 and r.count("added") == 0
    assert len(store) == n
    assert len(store.documents()) == 5


def test_a_changed_document_replaces_its_graph_only(store, tmp_path):
    ingest([CORPUS], store)
    before = {d.graph: d.content_hash for d in store.documents()}
    n_before = len(store)
    changed = tmp_path / SICHUAN.name
    text = SICHUAN.read_text(encoding="utf-8").replace("2020年7月,召开试验区建设动员会",
                                                       "2020年8月,召开试验区建设动员会")
    changed.write_text(text, encoding="utf-8")
    r = ingest([changed], store)
    assert r.count("replaced") == 1
    after = {d.graph: d.content_hash for d in store.documents()}
    diff = [g for g in before if before[g] != after[g]]
    assert len(diff) == 1 and set(after) == set(before)
    months = {str(row["d"].value) for row in store.query(
        "PREFIX pkg: <https://w3id.org/policykg/ontology#> "
        "SELECT ?d WHERE { GRAPH ?g { ?e a pkg:Event ; pkg:date ?d } }")}
    assert months == {"2020-08"}  # the old event is gone, not kept beside the new one
    assert len(store) == n_before  # same size: replaced, not added


def test_an_invalid_document_is_refused_and_nothing_of_it_is_stored(store, monkeypatch):
    import policykg.ingest as ing

    def broken(path, base):  # a graph whose evidence-less item fails the shapes
        doc = build_one(path, base)
        item = URIRef("https://w3id.org/policykg/id/list/x/1")
        doc.graph.add((item, RDF.type, PKG.ReformItem))  # no labels, no evidence
        doc.graph.add((item, PKG.ordinal, Literal(0)))
        return doc

    monkeypatch.setattr(ing, "build_one", broken)
    r = ingest([SICHUAN], store)
    assert r.refused and "SHACL" in r.refused[0][1]
    assert len(store) == 0


def test_put_document_is_one_transaction(store):
    g = build_one(SICHUAN).graph
    assert store.put_document(g) == "added"
    graphs = {str(q.graph_name.value) for q in store.reader().quads_for_pattern(None, None,
                                                                                None, None)}
    assert graphs == {str(g.identifier)}
    assert len(store) == len(g)


def test_export_round_trips(store):
    ingest([SICHUAN], store)
    ttl = Graph().parse(data=store.export("ttl").decode(), format="turtle")
    nt = Graph().parse(data=store.export("nt").decode(), format="nt")
    assert len(ttl) == len(nt) > 1000
    assert set(ttl) == set(nt)
    if shutil.which("rapper"):
        path = store.path.parent / "x.ttl"
        path.write_bytes(store.export("ttl"))
        out = subprocess.run(["rapper", "-i", "turtle", "-c", str(path)], capture_output=True,
                             text=True)
        assert out.returncode == 0 and f"returned {len(nt)} triples" in out.stderr


def test_a_second_writer_gets_a_clear_error(store):
    held = store.writer()
    held.__enter__()
    try:
        with pytest.raises(StoreError, match="another policykg process is writing"):
            store.put_document(build_one(SICHUAN).graph)
    finally:
        held.__exit__(None, None, None)


def test_ingest_cli_reports_and_a_bad_path_fails(tmp_path):
    cmd = [sys.executable, "-m", "policykg", "ingest", "--store", str(tmp_path / "s")]
    r = subprocess.run([*cmd, str(SICHUAN)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "1 added" in r.stderr
    r = subprocess.run([*cmd, str(tmp_path / "missing.txt")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "no such file" in r.stderr
