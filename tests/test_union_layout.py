"""The embedded store's default graph holds the union of its named graphs, each triple once,
through every kind of write: documents put, replaced and removed, bulk loads, a user's
SPARQL Update of every form; an older store is migrated by its next writer, and a union cut
short is made again."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from policykg import union_layout as layout
from policykg.store import OxigraphStore
from policykg.user_update import USER_GRAPH, UpdateRefused
from policykg.vocab import PKG

EX = "http://example.org/"
SHARED = [(f"{EX}place/{i}", f"{EX}label", f"place {i}") for i in range(5)]


def doc(name: str, own: int, shared: list[tuple[str, str, str]] = SHARED,
        version: str = "1") -> Graph:
    g = Graph(identifier=URIRef(f"{EX}graph/{name}"))
    g.add((g.identifier, PKG.contentHash, Literal(f"{name}-{version}")))
    for s, p, o in shared:
        g.add((URIRef(s), URIRef(p), Literal(o)))
    for i in range(own):
        g.add((URIRef(f"{EX}{name}/{i}"), URIRef(f"{EX}says"), Literal(f"{name} v{version} {i}")))
    return g


def default_triples(store: OxigraphStore) -> set[ox.Triple]:
    db = store.reader().db
    return {q.triple for q in db.quads_for_pattern(None, None, None, ox.DefaultGraph())}


def named_triples(store: OxigraphStore) -> set[ox.Triple]:
    return {q.triple for q in store.reader().quads_for_pattern(None, None, None, None)}


def assert_union(store: OxigraphStore) -> None:
    assert layout.materialised(store.path)
    assert default_triples(store) == named_triples(store)
    count = next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"]
    assert int(count.value) == len(named_triples(store))  # each triple once


@pytest.fixture
def store(tmp_path) -> OxigraphStore:
    return OxigraphStore(tmp_path / "store")


def test_documents_put_replaced_and_removed_keep_the_union(store):
    store.put_document(doc("a", 3))
    store.put_document(doc("b", 2))
    assert_union(store)
    assert len(default_triples(store)) == 5 + 3 + 2 + 2  # shared once; a hash per graph
    store.put_document(doc("a", 1, shared=SHARED[:2], version="2"))  # replaced
    assert_union(store)
    # still held by b: the shared labels a dropped stay in the union
    assert all(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.Literal(o))
               in default_triples(store) for s, p, o in SHARED)
    assert store.remove_document(f"{EX}graph/b")
    assert_union(store)
    gone = ox.Triple(ox.NamedNode(SHARED[4][0]), ox.NamedNode(SHARED[4][1]),
                     ox.Literal(SHARED[4][2]))
    assert gone not in default_triples(store)  # held by b only, then by no graph


def test_a_users_default_graph_writes_are_kept_in_the_user_graph(store):
    store.put_document(doc("a", 2))
    s, p, o = SHARED[0]
    # a triple the document holds too, and one of the user's own
    store.update(f'INSERT DATA {{ <{s}> <{p}> "{o}" . <{EX}u> <{EX}p> "mine" }}')
    assert_union(store)
    user = {q.triple for q in store.reader().quads_for_pattern(None, None, None,
                                                              ox.NamedNode(USER_GRAPH))}
    assert len(user) == 2
    store.remove_document(f"{EX}graph/a")  # the shared triple stays: the user wrote it too
    assert_union(store)
    assert ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.Literal(o)) in default_triples(store)
    store.update(f'DELETE DATA {{ <{s}> <{p}> "{o}" }}')
    assert_union(store)
    assert ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.Literal(o)) not in \
        default_triples(store)
    assert len(default_triples(store)) == 1


def test_data_updates_of_named_graphs(store):
    store.put_document(doc("a", 1))
    store.put_document(doc("b", 1))
    s, p, o = SHARED[1]
    store.update(f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}x> <{EX}p> "in g" }} }}')
    assert_union(store)
    store.update(f'DELETE DATA {{ GRAPH <{EX}graph/a> {{ <{s}> <{p}> "{o}" }} }}')
    assert_union(store)  # still in b: stays in the union
    assert ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.Literal(o)) in default_triples(store)
    store.update(f'DELETE DATA {{ GRAPH <{EX}graph/b> {{ <{s}> <{p}> "{o}" }} }} ;'
                 f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}x> <{EX}p> "again", "more" }} }}')
    assert_union(store)
    assert ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.Literal(o)) not in \
        default_triples(store)


def test_terms_are_stored_as_oxigraph_reads_them(store):
    """INSERT DATA's terms written exactly as a plain Oxigraph store writes them (rdflib's
    parser would rewrite 1.0e0 as 1.0)."""
    update = (f'INSERT DATA {{ <{EX}n> <{EX}p> 1.0e0, "01"^^<http://www.w3.org/2001/'
              f'XMLSchema#integer>, "x"@EN-us, "tab\\there" . _:b <{EX}p> "blank" }}')
    store.update(update)
    plain = ox.Store()
    plain.update(update)
    assert_union(store)
    ours = {str(t) for t in default_triples(store) if not isinstance(t.subject, ox.BlankNode)}
    theirs = {str(q.triple) for q in plain if not isinstance(q.subject, ox.BlankNode)}
    assert ours == theirs and len(ours) == 4
    blank = [t for t in default_triples(store) if isinstance(t.subject, ox.BlankNode)]
    user = [q for q in store.reader().quads_for_pattern(None, None, None,
                                                        ox.NamedNode(USER_GRAPH))
            if isinstance(q.subject, ox.BlankNode)]
    assert len(blank) == 1 and [q.triple for q in user] == blank  # one node, not two


def test_other_updates_of_named_graphs_bring_the_union_up_to_date(store):
    store.put_document(doc("a", 2))
    store.put_document(doc("b", 2))
    store.update(f"INSERT {{ GRAPH <{EX}copy> {{ ?s <{EX}copied> ?o }} }} "
                 f"WHERE {{ GRAPH <{EX}graph/a> {{ ?s <{EX}says> ?o }} }}")
    assert_union(store)
    assert sum(1 for t in default_triples(store) if t.predicate.value == f"{EX}copied") == 2
    store.update(f"DROP GRAPH <{EX}graph/a> ; WITH <{EX}copy> DELETE {{ ?s ?p ?o }} "
                 "WHERE { ?s ?p ?o }")
    assert_union(store)
    assert not any(t.predicate.value == f"{EX}copied" for t in default_triples(store))
    store.update("CLEAR ALL")
    assert_union(store)
    assert not default_triples(store)


@pytest.mark.parametrize("update", [
    "DELETE WHERE { ?s ?p ?o }",
    f"INSERT {{ <{EX}a> <{EX}b> ?o }} WHERE {{ ?s ?p ?o }}",
    "CLEAR DEFAULT", "DROP DEFAULT",
    f"MOVE <{EX}graph/a> TO DEFAULT", f"MOVE DEFAULT TO <{EX}g>",
    f'DROP GRAPH <{EX}g> ; INSERT DATA {{ <{EX}a> <{EX}b> "c" }}',
])
def test_updates_writing_the_derived_default_graph_are_refused_and_change_nothing(store, update):
    store.put_document(doc("a", 2))
    before = set(store.reader().db)
    with pytest.raises(UpdateRefused, match="writes the default graph"):
        store.update(update)
    assert set(store.reader().db) == before


def test_an_older_store_is_read_through_the_union_and_migrated_by_its_next_writer(tmp_path):
    path = tmp_path / "old"
    db = ox.Store(str(path))  # as an older policykg wrote it: graphs, a user's own triple
    g1, g2 = ox.NamedNode(f"{EX}g1"), ox.NamedNode(f"{EX}g2")
    t = (ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"))
    db.extend([ox.Quad(*t, ox.Literal("both"), g1), ox.Quad(*t, ox.Literal("both"), g2),
               ox.Quad(*t, ox.Literal("one"), g1), ox.Quad(*t, ox.Literal("mine"))])
    db.flush()
    del db
    store = OxigraphStore(path)
    assert not layout.materialised(path)
    rows = store.query("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o",
                       use_default_graph_as_union=True)
    assert sorted(r["o"].value for r in rows) == ["both", "both", "mine", "one"]  # old reading
    with store.writer():
        pass
    assert_union(store)
    assert sorted(t.object.value for t in default_triples(store)) == ["both", "mine", "one"]
    user = store.reader().quads_for_pattern(None, None, None, ox.NamedNode(USER_GRAPH))
    assert [q.object.value for q in user] == ["mine"]


def test_a_union_cut_short_is_read_through_pyoxigraph_and_made_again(store, tmp_path):
    store.put_document(doc("a", 3))
    with store.writer() as db:  # as a bulk load cut short: marked, half the union gone
        (store.path / layout.STALE_FILE).write_text("x")
        for q in list(db.quads_for_pattern(None, None, None, ox.DefaultGraph()))[::2]:
            db.remove(q)
    assert not layout.materialised(store.path)
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                       use_default_graph_as_union=True)
    assert int(next(iter(rows))["n"].value) > len(named_triples(store))  # copies counted,
    # but nothing missing: pyoxigraph's union reads the graphs themselves
    store.put_document(doc("b", 1))  # the next writer mends first
    assert_union(store)


def test_bulk_loads_keep_the_union(store, tmp_path):
    nq = tmp_path / "g.nq"
    quads = [ox.Quad(ox.NamedNode(f"{EX}s{i % 7}"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i % 5)),
                     ox.NamedNode(f"{EX}g{i % 3}")) for i in range(60)]
    nq.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    store.bulk_load(nq)  # into an empty store
    assert_union(store)
    store.put_document(doc("a", 2))
    store.bulk_load(nq)  # into one that is not: its graphs replaced
    assert_union(store)
    assert not (store.path / layout.STALE_FILE).exists()


def test_any_sequence_of_writes_keeps_the_union(store):
    rnd = random.Random(5)
    names = ["a", "b", "c"]
    for step in range(30):
        kind = rnd.choice(["put", "put", "remove", "insert", "delete", "named"])
        if kind == "put":
            shared = rnd.sample(SHARED, rnd.randint(0, len(SHARED)))
            store.put_document(doc(rnd.choice(names), rnd.randint(0, 3), shared, str(step)))
        elif kind == "remove":
            store.remove_document(f"{EX}graph/{rnd.choice(names)}")
        else:
            s, p, o = rnd.choice(SHARED)
            triple = f'<{s}> <{p}> "{o}"'
            if kind == "named":
                triple = f"GRAPH <{EX}graph/{rnd.choice(names)}> {{ {triple} }}"
            verb = "DELETE DATA" if kind == "delete" or rnd.random() < 0.3 else "INSERT DATA"
            store.update(f"{verb} {{ {triple} }}")
        assert_union(store)
