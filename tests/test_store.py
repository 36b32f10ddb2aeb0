"""The store interface and ingest, on both backends (embedded Oxigraph and a real Virtuoso):
one named graph per document, all or nothing, unchanged documents skipped, changed ones
replaced, invalid ones refused."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import BACKENDS, CORPUS, open_backend
from rdflib import RDF, Graph, Literal, URIRef

from policykg.build import build_one
from policykg.doc_graph import DocumentGraph
from policykg.ingest import ingest
from policykg.store import OxigraphStore, StoreError
from policykg.union_graph import union_options
from policykg.vocab import PKG

SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    v = request.getfixturevalue("virtuoso") if request.param == "virtuoso" else None
    return open_backend(request.param, tmp_path, v)


@pytest.fixture
def embedded_store(tmp_path) -> OxigraphStore:
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
        m = doc.mapped
        item = URIRef("https://w3id.org/policykg/id/list/x/1")
        doc.mapped = DocumentGraph(m.identifier, m.content_hash, [
            *m.triples, (item, RDF.type, PKG.ReformItem),  # no labels, no evidence
            (item, PKG.ordinal, Literal(0))])
        return doc

    monkeypatch.setattr(ing, "build_one", broken)
    r = ingest([SICHUAN], store)
    assert r.refused and "SHACL" in r.refused[0][1]
    assert len(store) == 0


def test_put_document_is_one_transaction(store):
    g = build_one(SICHUAN).graph
    assert store.put_document(g) == "added"
    graphs = {str(q.graph_name.value) for q in store.quads(None)}
    assert graphs == {str(g.identifier)}
    assert len(store) == len(g)


def test_export_round_trips(store, tmp_path):
    ingest([SICHUAN], store)
    ttl = Graph().parse(data=store.export("ttl").decode(), format="turtle")
    nt = Graph().parse(data=store.export("nt").decode(), format="nt")
    assert len(ttl) == len(nt) > 1000
    assert set(ttl) == set(nt)
    if shutil.which("rapper"):
        path = tmp_path / "x.ttl"
        path.write_bytes(store.export("ttl"))
        out = subprocess.run(["rapper", "-i", "turtle", "-c", str(path)], capture_output=True,
                             text=True)
        assert out.returncode == 0 and f"returned {len(nt)} triples" in out.stderr


def test_a_second_writer_gets_a_clear_error(embedded_store):
    store = embedded_store
    held = store.writer()
    held.__enter__()
    try:
        with pytest.raises(StoreError, match="another policykg process is writing"):
            store.put_document(build_one(SICHUAN).graph)
    finally:
        held.__exit__(None, None, None)


def test_the_store_is_closed_when_the_write_block_ends(tmp_path):
    """The `as db` name outlives the block; the RocksDB store must not. Left open it keeps
    compacting, deleting files under a reader opened after the write (a server's SPARQL
    Update, then its index reload, failed with "Corruption: … .sst: No such file")."""
    import pyoxigraph as ox

    store = OxigraphStore(tmp_path / "s")
    quad = ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"),
                   ox.NamedNode("urn:x:g"))
    with store.writer() as db:
        db.add(quad)
        assert len(db) == 1
    # A second read-write open fails while any handle of this process holds the database.
    again = ox.Store(str(tmp_path / "s"))
    assert list(again.quads_for_pattern(None, None, None, None)) == [quad]
    del again
    with pytest.raises(StoreError, match="written and closed"):
        db.add(quad)


def test_ingest_cli_reports_and_a_bad_path_fails(tmp_path):
    cmd = [sys.executable, "-m", "policykg", "ingest", "--store", str(tmp_path / "s")]
    r = subprocess.run([*cmd, str(SICHUAN)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "1 added" in r.stderr
    r = subprocess.run([*cmd, str(tmp_path / "missing.txt")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "no such file" in r.stderr


# --- both backends alike -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_nq(tmp_path_factory):
    """The corpus ingested into an embedded store, exported as N-Quads: the reference."""
    folder = tmp_path_factory.mktemp("reference")
    ref = OxigraphStore(folder / "store")
    ingest([CORPUS], ref)
    path = folder / "corpus.nq"
    path.write_bytes(ref.export("nq"))
    return path


def test_bulk_load_gives_the_same_store_as_ingest(store, corpus_nq):
    seen: list[int] = []
    r = store.bulk_load(corpus_nq, on_progress=seen.append)
    assert r.graphs == 5 and r.triples == len(store) > 10000 and r.outside_graphs == 0
    assert sum(seen) == corpus_nq.stat().st_size  # progress counts every byte read
    assert store.export("nq") == corpus_nq.read_bytes()
    # loading again (a store that is not empty) replaces each graph: nothing doubles
    store.bulk_load(corpus_nq)
    assert store.export("nq") == corpus_nq.read_bytes()
    assert [d.graph for d in store.documents()] == sorted(d.graph for d in store.documents())


def test_bulk_load_refuses_other_formats(store, tmp_path):
    f = tmp_path / "x.ttl"
    f.write_text("<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(StoreError, match="N-Quads"):
        store.bulk_load(f)


def test_literals_round_trip(store):
    """Chinese text with line breaks, language tags, xsd:gYearMonth and xsd:decimal amounts
    come back as they went in (integer subtypes as xsd:integer, as Oxigraph keeps them)."""
    from rdflib.namespace import XSD

    gid = URIRef("https://w3id.org/policykg/graph/test-literals")
    g = Graph(identifier=gid)
    s = URIRef("https://w3id.org/policykg/id/x/1")
    g.add((gid, RDF.type, PKG.DocumentGraph))
    g.add((gid, PKG.contentHash, Literal("sha256:0")))
    g.add((gid, PKG.describes, s))
    values = [Literal("\n发布日期：2019年01月08日\n", lang="zh"),
              Literal("Shifang City", lang="en"),
              Literal("2020-07", datatype=XSD.gYearMonth),
              Literal("500000000", datatype=XSD.decimal),
              Literal("1025.2", datatype=XSD.decimal), Literal('say "hi"\t再见'),
              Literal("2025-10-09T17:38:00", datatype=XSD.dateTime)]
    for i, v in enumerate(values):
        g.add((s, URIRef(f"urn:x-test:p{i}"), v))
    g.add((s, URIRef("urn:x-test:pos"), Literal(105, datatype=XSD.nonNegativeInteger)))
    assert store.put_document(g) == "added"
    import pyoxigraph as ox

    back = {q.predicate.value: q.object for q in store.reader().quads_for_pattern(
        ox.NamedNode(str(s)), None, None, ox.NamedNode(str(gid)))}
    for i, v in enumerate(values):
        o = back[f"urn:x-test:p{i}"]
        assert o.value == str(v)
        assert (o.language or None) == v.language
        if v.datatype:
            assert o.datatype.value == str(v.datatype)
    assert back["urn:x-test:pos"].datatype.value == str(XSD.integer)
    assert store.put_document(g) == "unchanged"
    assert store.remove_document(str(gid)) and store.documents() == []


SAME_ANSWERS = [
    "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
    "SELECT ?s ?l WHERE { ?s a pkg:County ; skos:prefLabel ?l }",
    "SELECT ?d ?date WHERE { ?d a pkg:PolicyDocument ; pkg:issued ?date } ORDER BY ?date ?d",
    "SELECT (SUM(?a) AS ?total) WHERE { ?e pkg:amount ?a }",
    "SELECT ?s ?l WHERE { ?s skos:prefLabel ?l FILTER(CONTAINS(STR(?l), '城乡融合')) }",
    "SELECT ?prov (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c pkg:explores ?i ; pkg:within ?prov } "
    "GROUP BY ?prov",
    "SELECT ?a ?b WHERE { ?a pkg:cites ?b . ?b pkg:issuedBy ?o }",
    "ASK { ?s skos:prefLabel '什邡市'@zh }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s a pkg:PilotProgram ; ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
]
PREFIXES = ("PREFIX pkg: <https://w3id.org/policykg/ontology#> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")


def _answer(store, q: str):
    import pyoxigraph as ox

    res = store.query(PREFIXES + q, **union_options(store.reader()))
    if isinstance(res, ox.QueryBoolean):
        return bool(res)
    if isinstance(res, ox.QuerySolutions):
        names = [v.value for v in res.variables]
        # each row once: the embedded store's default graph holds a triple once, a server
        # given the graphs as default-graph-uri (Virtuoso) repeats it once per graph
        rows = list(dict.fromkeys(
            tuple(str(r[n]) if r[n] is not None else None for n in names) for r in res))
        return rows if "ORDER BY" in q else sorted(rows, key=repr)
    return sorted(str(t) for t in res)


def test_the_same_queries_give_the_same_answers_on_both(virtuoso, tmp_path, corpus_nq):
    embedded = open_backend("embedded", tmp_path, None)
    remote = open_backend("virtuoso", tmp_path, virtuoso)
    ingest([CORPUS], embedded)
    ingest([CORPUS], remote)
    for q in SAME_ANSWERS:
        a, b = _answer(embedded, q), _answer(remote, q)
        assert a == b, q
        assert a not in ([], False), f"the comparison must compare something: {q}"
    assert embedded.stats() == remote.stats()
    assert embedded.documents() == remote.documents()


def test_a_reader_never_sees_half_a_document(store):
    """While one document is replaced over and over by versions of different sizes (sent in
    several batches on the remote store), a reader counting its triples only ever sees a
    whole version."""
    import dataclasses
    import threading

    from policykg.remote_store import RemoteStore

    if isinstance(store, RemoteStore):  # small batches: every version takes several requests
        store = RemoteStore(dataclasses.replace(store.config, batch_triples=300))
    g1 = build_one(SICHUAN).graph
    text = SICHUAN.read_text(encoding="utf-8")
    g2 = build_one(SICHUAN).graph
    g2.remove((None, None, None))
    for t in build_one(CORPUS / "state-council-reply-sichuan-2004-10-15.txt").graph:
        g2.add(t)  # a different, smaller content under the same graph name
    g2 = _renamed(g2, g1.identifier, text)
    sizes = {len(g1), len(g2)}
    assert len(sizes) == 2
    store.put_document(g1)
    gid = str(g1.identifier)
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{gid}> {{ ?s ?p ?o }} }}"
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(int(next(iter(store.query(q)))["n"].value))

    t = threading.Thread(target=read)
    t.start()
    i = 0
    try:  # at least 6 replacements, and on until the reader has looked 10 times (30 at most)
        while i < 6 or (len(seen) < 10 and i < 30):
            assert store.put_document(g2 if i % 2 == 0 else g1) == "replaced"
            i += 1
    finally:
        stop.set()
        t.join()
    assert len(seen) >= 10, f"{len(seen)} reads during {i} replacements"
    assert set(seen) <= sizes, f"a reader saw a partial document: {sorted(set(seen) - sizes)}"


def _renamed(g: Graph, gid, marker: str) -> Graph:
    """`g`'s triples under the graph name `gid`, described as that document graph, with a
    content hash of its own."""
    import hashlib

    out = Graph(identifier=gid)
    for s, p, o in g:
        if p in (PKG.contentHash, PKG.describes) or (p == RDF.type and o == PKG.DocumentGraph):
            continue
        out.add((s, p, o))
    out.add((gid, RDF.type, PKG.DocumentGraph))
    out.add((gid, PKG.describes, URIRef(str(gid) + "/doc")))
    digest = hashlib.sha256(str(len(out)).encode() + marker[:10].encode()).hexdigest()
    out.add((gid, PKG.contentHash, Literal("sha256:" + digest)))
    return out


def test_remote_credentials_are_checked_and_never_shown(virtuoso, tmp_path):
    from policykg.remote_config import StoreConfigError, remote_config
    from policykg.remote_store import RemoteStore

    open_backend("virtuoso", tmp_path, virtuoso)  # cleared: the put below must write

    cfg = remote_config(virtuoso.store, virtuoso.args[1],
                        env={"POLICYKG_STORE_USER": "dba", "POLICYKG_STORE_PASSWORD": "wrong"})
    assert "wrong" not in repr(cfg)
    with pytest.raises(StoreError, match="refused the credentials") as e:
        RemoteStore(cfg).put_document(build_one(SICHUAN).graph)
    assert "wrong" not in str(e.value)
    assert open_backend("virtuoso", tmp_path, virtuoso).documents() == []  # nothing written
    with pytest.raises(StoreConfigError, match="not in the URL"):
        remote_config(f"sparql+http://dba:dba@127.0.0.1:{virtuoso.http_port}/sparql", env={})
    with pytest.raises(StoreConfigError, match="sparql\\+http"):
        remote_config("http://127.0.0.1/sparql", env={})


def test_remote_cli_bulk_load_states_its_throughput(virtuoso, corpus_nq, tmp_path):
    import os

    open_backend("virtuoso", tmp_path, virtuoso)  # cleared
    r = subprocess.run([sys.executable, "-m", "policykg", "ingest", "--store", virtuoso.store,
                        *virtuoso.args, str(corpus_nq)], capture_output=True, text=True,
                       timeout=600, env={**os.environ, **virtuoso.env})
    assert r.returncode == 0, r.stderr
    assert "in 5 graphs" in r.stderr and "triples/s" in r.stderr
    out = subprocess.run([sys.executable, "-m", "policykg", "export", "--store", virtuoso.store,
                          "--format", "nq"], capture_output=True, timeout=600,
                         env={**os.environ, **virtuoso.env})
    assert out.returncode == 0 and out.stdout == corpus_nq.read_bytes()


XSD = "http://www.w3.org/2001/XMLSchema#"
# Oxigraph stores the integer sub-types as xsd:integer (the remote store reads Virtuoso's
# answers the same way): what a store gives back for them
_AS_INTEGER = {XSD + t for t in ("nonNegativeInteger", "positiveInteger", "long", "int")}


def _key(term) -> tuple:
    """An rdflib or pyoxigraph term as (kind, value, language, datatype)."""
    if isinstance(term, URIRef):
        return ("iri", str(term), None, None)
    if isinstance(term, Literal):
        dt = str(term.datatype or "")
        return ("literal", str(term), term.language,
                XSD + "integer" if dt in _AS_INTEGER else dt)
    name = type(term).__name__
    if name == "NamedNode":
        return ("iri", term.value, None, None)
    lang = getattr(term, "language", None)
    dt = term.datatype.value if not lang else ""
    return ("literal", term.value, lang, "" if dt.endswith("#string") else dt)


def _described(g: Graph, e: URIRef) -> set[tuple]:
    """What an entity's description holds, read from an rdflib graph by its definition:
    its triples; each evidence node's, its selectors' and its document's labels and title;
    the types and labels of every other IRI it links to."""
    from rdflib.namespace import DCTERMS, RDFS, SKOS

    oa = "http://www.w3.org/ns/oa#"
    out = set(g.triples((e, None, None)))
    for _, p, o in list(out):
        if not isinstance(o, URIRef):
            continue
        if p == PKG.evidence:
            out.update(g.triples((o, None, None)))
            for sel in g.objects(o, URIRef(oa + "hasSelector")):
                out.update(g.triples((sel, None, None)))
            for src in g.objects(o, URIRef(oa + "hasSource")):
                for q in (SKOS.prefLabel, DCTERMS.title):
                    out.update(g.triples((src, q, None)))
        else:
            for q in (RDF.type, SKOS.prefLabel, RDFS.label):
                out.update(g.triples((o, q, None)))
    return {tuple(_key(x) for x in t) for t in out}


def test_an_entity_description_is_read_whole_from_either_backend(store):
    """/data and /page describe an entity with one CONSTRUCT query: on both backends it
    holds exactly what the description's definition, followed through the built graphs
    with rdflib, finds — for a county named in many places, a document, and a trial task."""
    from policykg_api.describe import describe

    ingest([CORPUS], store)
    union = Graph()
    for path in sorted(CORPUS.glob("*.txt")):
        for t in build_one(path).graph:
            union.add(t)
    base = "https://w3id.org/policykg/id/"
    task = next(s for s in union.subjects(RDF.type, PKG.TrialTask) if isinstance(s, URIRef))
    for iri in (URIRef(base + "place/510682"), URIRef(base + "doc/guobanfa-2018-126"), task):
        expected = _described(union, iri)
        got = describe(store.reader(), str(iri))
        assert len(expected) > 20
        assert {tuple(_key(x) for x in (t.subject, t.predicate, t.object))
                for t in got} == expected, iri
        assert [t.subject.value for t in got[:1]] == [str(iri)]  # the entity's own first
