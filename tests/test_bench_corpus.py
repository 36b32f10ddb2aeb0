"""The benchmark's generated documents go through the real pipeline and come out with what
the generator wrote into them: the same places, citations and lists. If extraction or the
generator drift apart, the benchmark would measure a shortcut; this fails first."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT))

from bench.corpus_gen import generate_doc, write_docs
from bench.graph_gen import _pieces, write_graph
from policykg.build import build_one
from policykg.validate import validate

PREFIXES = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen")
    docs = write_docs(folder, 3, seed=11)
    return [(d, build_one(folder / d.name)) for d in docs]


def rows(graph, query: str) -> list[tuple]:
    return [tuple(r) for r in graph.query(PREFIXES + query)]


def test_documents_are_about_ten_kilobytes_and_deterministic():
    a, b = generate_doc(0, seed=11), generate_doc(0, seed=11)
    assert a.text == b.text
    assert generate_doc(0, seed=12).text != a.text
    assert 9_000 <= len(a.text.encode("utf-8")) <= 12_000


def test_places_written_are_the_places_read(built):
    for doc, b in built:
        assert b.error is None, b.error
        read = {str(code) for (code,) in rows(b.graph, """SELECT DISTINCT ?code WHERE {
            ?p pkg:adminCode ?code ; pkg:evidence ?e }""")}
        assert len(doc.places) >= 3
        assert read == doc.places, doc.name


def test_citations_written_are_the_citations_read(built):
    for doc, b in built:
        primary = b.extraction.document.key
        cited = {str(t) for (t,) in rows(b.graph, f"""SELECT DISTINCT ?t WHERE {{
            ?d pkg:cites|pkg:legalBasis ?c . ?c skos:prefLabel ?t .
            FILTER(STRENDS(STR(?d), "/{primary}") && LANG(?t) = "zh") }}""")}
        assert len(doc.citations) >= 3
        assert cited == doc.citations, doc.name


def test_lists_written_are_the_lists_read(built):
    for doc, b in built:
        for count, items in doc.lists:
            found = rows(b.graph, f"""SELECT ?l (GROUP_CONCAT(?t; separator="|") AS ?items)
                WHERE {{ ?l pkg:statedCount {count} . ?i pkg:inList ?l ; skos:prefLabel ?t .
                FILTER(LANG(?t) = "zh") }} GROUP BY ?l""")
            assert any(set(str(x).split("|")) == set(items) for _, x in found), doc.name
        measures = rows(b.graph, """SELECT ?t WHERE { ?l pkg:itemClass pkg:Measure .
            ?i pkg:inList ?l ; skos:prefLabel ?t . FILTER(LANG(?t) = "zh") }""")
        assert set(doc.measures) <= {str(t) for (t,) in measures}, doc.name


def test_a_generated_document_passes_the_shapes(built):
    _doc, b = built[0]
    assert validate(b.graph).conforms


def test_graph_copies_keep_shared_entities_and_separate_documents(tmp_path):
    block = "\n".join([
        "<https://w3id.org/policykg/id/doc/a> <https://w3id.org/policykg/ontology#within> "
        "<https://w3id.org/policykg/id/place/510682> <https://w3id.org/policykg/graph/a> .",
        "<https://w3id.org/policykg/id/evidence/a/1-2> <http://www.w3.org/ns/oa#hasSource> "
        "<https://w3id.org/policykg/id/doc/a> <https://w3id.org/policykg/graph/a> ."]) + "\n"
    assert len(_pieces(block)) == 6  # cut after each of the five per-document IRIs
    out = tmp_path / "g.nq"
    assert write_graph(block, 7, out) == 6
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6  # three whole copies: a fourth document would pass the count
    assert "<https://w3id.org/policykg/id/doc/c1-a>" in lines[2]
    assert "<https://w3id.org/policykg/graph/c1-a>" in lines[2]
    assert "<https://w3id.org/policykg/id/place/510682>" in lines[2]  # shared, not copied
    assert "<https://w3id.org/policykg/id/evidence/c1-a/1-2>" in lines[3]
    assert "<https://w3id.org/policykg/id/doc/c2-a>" in lines[4]
    assert write_graph(block, 1, out) == 2  # at least one whole document


def test_a_graph_ends_on_whole_documents(tmp_path):
    """The last copy takes whole documents only: a document cut at the count failed the
    shapes (a list's rdfs:label kept, its skos:prefLabel cut off), depending on where the
    cut fell."""
    line = '<https://w3id.org/policykg/id/doc/{g}> <http://ex/p> "{i}" {graph} .'
    graph = "<https://w3id.org/policykg/graph/{g}>"
    block = "".join(line.format(g=g, i=i, graph=graph.format(g=g)) + "\n"
                    for g, n in (("a", 3), ("b", 4)) for i in range(n))
    out = tmp_path / "g.nq"
    assert write_graph(block, 7 + 5, out) == 7 + 3  # the copy's a, not part of its b
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [ln.split()[-2] for ln in lines[7:]] == [graph.format(g="c1-a")] * 3
