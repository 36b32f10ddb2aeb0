"""The mapper's document graph written as N-Triples without rdflib's serialiser, and the
N-Quads an ingest batch bulk-loads: both must say exactly what rdflib and pyoxigraph read."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import CORPUS
from rdflib import XSD, BNode, Graph, Literal, URIRef

from policykg.build import build_one
from policykg.doc_graph import DocumentGraph
from policykg.union_graph import nquads_with_union

EX = "http://example.org/"


def _doc(*triples) -> DocumentGraph:
    return DocumentGraph(URIRef(EX + "g"), "h", list(triples))


def test_a_corpus_document_written_directly_reads_back_as_its_graph():
    mapped = build_one(CORPUS / "sichuan-reply-03906-2025-10-09.txt").mapped
    assert mapped is not None and len(mapped) > 1000
    text = mapped.text()
    assert text.plain
    back = Graph().parse(data=text.ntriples, format="nt")
    assert set(back) == set(mapped.graph())
    assert len(back) == len(mapped)  # each triple written once


def test_literals_are_escaped_and_typed_as_rdflib_reads_them():
    s, p = URIRef(EX + "s"), URIRef(EX + "p")
    literals = [Literal('a "quoted" \\ back\nslash\r'), Literal("县", lang="zh"),
                Literal(3), Literal(True), Literal("2.50", datatype=XSD.decimal),
                Literal("2025-01", datatype=XSD.gYearMonth)]
    doc = _doc(*((s, p, o) for o in literals))
    back = Graph().parse(data=doc.text().ntriples, format="nt")
    assert set(back.objects(s, p)) == set(literals)
    assert doc.text().ntriples.count("\n") == len(literals)  # no raw line break inside


def test_blank_nodes_and_ill_typed_literals_make_a_graph_not_plain():
    s, p = URIRef(EX + "s"), URIRef(EX + "p")
    assert _doc((s, p, Literal("x"))).text().plain
    assert not _doc((s, p, BNode())).text().plain
    assert not _doc((BNode(), p, Literal("x"))).text().plain
    assert not _doc((s, p, Literal("2025-02-30", datatype=XSD.date))).text().plain


def test_an_iri_n_triples_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="not a valid IRI"):
        _doc((URIRef(EX + "a b"), URIRef(EX + "p"), Literal("x"))).text()


@pytest.mark.parametrize("ntriples", [
    b'<http://example.org/s> <http://example.org/p> "a . b" .\n'
    b'<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n',
    # not as our writers write it: a comment, a blank line, no final line break
    b'# c\n\n<http://example.org/s> <http://example.org/p> "a . b" .\n'
    b'<http://example.org/s> <http://example.org/p> <http://example.org/o> .',
])
def test_a_batch_loads_each_graph_and_its_union_copies(ntriples):
    data = nquads_with_union([(EX + "g1", ntriples), (EX + "g2", ntriples)])
    db = ox.Store()
    db.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    triples = {q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)}
    assert len(triples) == 2
    for g in (ox.NamedNode(EX + "g1"), ox.NamedNode(EX + "g2"), ox.DefaultGraph()):
        assert {q.triple for q in db.quads_for_pattern(None, None, None, g)} == triples
