"""The embedded store's default graph is the union of its document graphs, each triple once,
through every kind of write: ingest, replace, remove, bulk load, a user's SPARQL Update, and
a store written before the layout (repaired when opened)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import CORPUS

from policykg import union_graph
from policykg.ingest import ingest
from policykg.store import OxigraphStore

SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"
PKG = "https://w3id.org/policykg/ontology#"
PROVINCES = f"SELECT ?p WHERE {{ ?p a <{PKG}Province> }}"


def default_and_named(store: OxigraphStore) -> tuple[set[ox.Triple], set[ox.Triple]]:
    db = store.reader()
    default = [q.triple for q in db.quads_for_pattern(None, None, None, ox.DefaultGraph())]
    assert len(default) == len(set(default))
    named = {q.triple for g in db.named_graphs()
             for q in db.quads_for_pattern(None, None, None, g)}
    return set(default), named


def assert_union(store: OxigraphStore) -> set[ox.Triple]:
    default, named = default_and_named(store)
    assert default == named, (len(default - named), len(named - default))
    return default


@pytest.fixture
def corpus_store(tmp_path) -> OxigraphStore:
    store = OxigraphStore(tmp_path / "store")
    assert ingest([CORPUS], store).count("added") == 5
    return store


def test_ingest_keeps_the_union_and_queries_see_each_triple_once(corpus_store):
    union = assert_union(corpus_store)
    quads = len(corpus_store)  # in the document graphs: shared triples counted per graph
    assert quads > len(union) > 10000  # the documents do share triples (places, bodies)
    rows = [r["p"].value for r in corpus_store.query(PROVINCES)]
    assert rows and len(rows) == len(set(rows))
    # pyoxigraph's own union of the named graphs repeats them, once per graph holding them
    repeated = [r["p"].value for r in corpus_store.query(
        f"SELECT ?p WHERE {{ GRAPH ?g {{ ?p a <{PKG}Province> }} }}")]
    assert set(repeated) == set(rows) and len(repeated) > len(rows)


def test_replacing_and_removing_a_document_keep_what_others_still_hold(corpus_store, tmp_path):
    provinces = {r["p"].value for r in corpus_store.query(PROVINCES)}
    changed = tmp_path / SICHUAN.name
    changed.write_text(SICHUAN.read_text(encoding="utf-8").replace(
        "2020年7月,召开试验区建设动员会", "2020年8月,召开试验区建设动员会"), encoding="utf-8")
    assert ingest([changed], corpus_store).count("replaced") == 1
    union = assert_union(corpus_store)
    dates = {t.object.value for t in union if t.predicate.value == PKG + "date"}
    assert "2020-08" in dates and "2020-07" not in dates  # the old fact left the union too
    graph = next(d.graph for d in corpus_store.documents() if d.source == SICHUAN.name)
    assert corpus_store.remove_document(graph)
    union_after = assert_union(corpus_store)
    assert union_after < union
    # provinces the other documents also name are still there
    still = {r["p"].value for r in corpus_store.query(PROVINCES)}
    assert still and still <= provinces


def test_a_bulk_load_keeps_the_union_and_skips_the_files_default_graph(corpus_store, tmp_path):
    nq = tmp_path / "all.nq"
    nq.write_bytes(corpus_store.export("nq")
                   + b'<urn:x:s> <urn:x:p> "outside any document" .\n')
    fresh = OxigraphStore(tmp_path / "fresh")
    report = fresh.bulk_load(nq)
    assert report.outside_graphs == 1 and report.graphs == 5
    assert report.triples == len(corpus_store) == len(fresh)
    assert assert_union(fresh) == assert_union(corpus_store)
    assert fresh.stray_triples() == 0
    # again, into the store that holds them: each graph replaced, the union unchanged
    again = fresh.bulk_load(nq)
    assert again.triples == len(corpus_store)  # every graph of the file, put back
    assert assert_union(fresh) == assert_union(corpus_store)


def test_a_bulk_load_that_fails_leaves_a_store_repaired_when_next_opened(corpus_store,
                                                                         tmp_path):
    """The file's load is atomic, the union's copies load beside it: a file broken near
    its end leaves none of its graphs, and no copy the union keeps without them."""
    good = corpus_store.export("nq")
    nq = tmp_path / "broken.nq"
    nq.write_bytes(good + b"<urn:x:s> <urn:x:p> this is not N-Quads .\n")
    fresh = OxigraphStore(tmp_path / "fresh")
    with pytest.raises(SyntaxError):
        fresh.bulk_load(nq)
    assert not list((tmp_path / "fresh").glob("union-copies-*"))  # its work file is gone
    reopened = OxigraphStore(tmp_path / "fresh")
    assert len(reopened) == 0
    assert assert_union(reopened) == set()
    assert union_graph.has_layout(reopened.path)
    nq.write_bytes(good)  # mended: it loads
    report = reopened.bulk_load(nq)
    assert report.graphs == 5 and assert_union(reopened) == assert_union(corpus_store)


def test_a_user_update_is_followed_by_the_union(corpus_store):
    g, s = "urn:x:graph", "urn:x:thing"
    corpus_store.user_update(
        f'INSERT DATA {{ GRAPH <{g}> {{ <{s}> <urn:x:p> "in a graph" }} '
        f'<{s}> <urn:x:p> "in the default graph" }}')
    union = assert_union(corpus_store)  # not kept: it would be in no document graph
    assert {t.object.value for t in union if t.subject.value == s} == {"in a graph"}
    corpus_store.user_update(f"DROP GRAPH <{g}>")
    assert not any(t.subject.value == s for t in assert_union(corpus_store))
    # a malformed update writes nothing and leaves the layout in place
    with pytest.raises(SyntaxError):
        corpus_store.user_update("INSERT DATA { oops")
    assert union_graph.has_layout(corpus_store.path)


def test_a_store_without_the_layout_is_repaired_when_opened(corpus_store, tmp_path):
    expected = assert_union(corpus_store)
    old = tmp_path / "old"
    db = ox.Store(str(old))  # as a store was written before: document graphs only
    db.extend(list(corpus_store.quads(None)))
    db.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("stray")))
    db.flush()
    del db
    store = OxigraphStore(old)
    assert union_graph.has_layout(old)
    assert assert_union(store) == expected and store.stray_triples() == 0
    assert len(store) == len(corpus_store)
