"""The two SHACL engines give one answer. rudof (fast) is trusted only where it is held to
pySHACL (the reference): on every bundled document alone, and — through the default "auto"
engine, which hands pySHACL every graph rudof finds a fault in or cannot read alike — on
graphs broken in every way the shapes guard against, chosen at random from a fixed seed."""

from __future__ import annotations

import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import RDF, SKOS, BNode, Graph, Literal, Namespace, URIRef

from policykg.build import build_one
from policykg.validate import ENGINES, validate

OA = Namespace("http://www.w3.org/ns/oa#")
PKG = Namespace("https://w3id.org/policykg/ontology#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
MUTATIONS = 24
SEED = 20261203


@pytest.fixture(scope="module")
def corpus_graphs(corpus_dir: Path) -> dict[str, Graph]:
    return {p.name: build_one(p).graph for p in sorted(corpus_dir.glob("*.txt"))}


def test_rudof_alone_agrees_with_pyshacl_on_every_bundled_document(corpus_graphs) -> None:
    for name, g in corpus_graphs.items():
        fast, reference = validate(g, "rudof"), validate(g, "pyshacl")
        assert reference.conforms, name
        assert fast.results == reference.results, name
        # not an empty agreement: the reference reports the uncurated English labels
        assert reference.warnings(), name


# ---- breaking a graph --------------------------------------------------------------------

def _pick(rng: random.Random, g: Graph, predicate: URIRef | None = None) -> tuple:
    triples = sorted(g.triples((None, predicate, None)))
    return rng.choice(triples)


def _drop_triple(rng, g):
    g.remove(_pick(rng, g))


def _drop_type(rng, g):
    g.remove(_pick(rng, g, RDF.type))


def _second_label(rng, g):
    s, _, o = _pick(rng, g, SKOS.prefLabel)
    g.add((s, SKOS.prefLabel, Literal(str(o) + "（又名）", lang=o.language)))


def _untagged_label(rng, g):
    s, p, o = _pick(rng, g, SKOS.prefLabel)
    g.remove((s, p, o))
    g.add((s, p, Literal(str(o))))


def _shift_offset(rng, g):
    s, p, o = _pick(rng, g, OA.start)
    g.remove((s, p, o))
    g.add((s, p, Literal(int(o) + 1, datatype=o.datatype)))


def _integer_offset(rng, g):
    s, p, o = _pick(rng, g, OA.end)
    g.remove((s, p, o))
    g.add((s, p, Literal(int(o))))  # xsd:integer, not xsd:nonNegativeInteger


def _impossible_date(rng, g):
    s, p, o = _pick(rng, g, PKG.issued)
    g.remove((s, p, o))
    g.add((s, p, Literal("2025-02-30", datatype=XSD.date)))


def _blank_evidence(rng, g):
    s, p, o = _pick(rng, g, PKG.evidence)
    blank = BNode()
    for _, p2, o2 in list(g.triples((o, None, None))):
        g.add((blank, p2, o2))
    g.remove((s, p, o))
    g.add((s, p, blank))


def _wrong_class(rng, g):
    s, p, o = _pick(rng, g, OA.hasSource)
    g.remove((s, p, o))
    g.add((s, p, URIRef("https://w3id.org/policykg/id/org/nowhere")))


def _empty_quote(rng, g):
    s, p, o = _pick(rng, g, OA.exact)
    g.remove((s, p, o))
    g.add((s, p, Literal("")))


BREAKS = [_drop_triple, _drop_type, _second_label, _untagged_label, _shift_offset,
          _integer_offset, _impossible_date, _blank_evidence, _wrong_class, _empty_quote]


def test_the_default_engine_reports_what_pyshacl_reports_on_broken_graphs(
        corpus_graphs) -> None:
    rng = random.Random(SEED)
    base = corpus_graphs["central-no1-document-2025-01-01.txt"]  # the smallest document
    failing = 0
    for i in range(MUTATIONS):
        g = Graph()
        for t in base:
            g.add(t)
        breaks = [BREAKS[i % len(BREAKS)], *rng.sample(BREAKS, rng.randint(0, 2))]
        for b in breaks:
            b(rng, g)
        ours, reference = validate(g), validate(g, "pyshacl")
        assert ours.results == reference.results, [b.__name__ for b in breaks]
        failing += not reference.conforms
    print(f"\nSHACL engines: {MUTATIONS} broken graphs, {failing} failing the shapes, "
          "the default engine reported what pySHACL reported on every one")
    assert failing >= MUTATIONS // 2  # the breaks do break


def test_engines_run_in_threads_at_once(corpus_graphs) -> None:
    graphs = list(corpus_graphs.values())
    alone = [validate(g, "rudof").results for g in graphs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda g: validate(g, "rudof").results, graphs * 2))
    assert together == alone * 2


def test_an_unknown_engine_is_refused(corpus_graphs, tmp_path: Path) -> None:
    g = next(iter(corpus_graphs.values()))
    with pytest.raises(ValueError, match="unknown SHACL engine 'jena'"):
        validate(g, "jena")
    path = tmp_path / "g.ttl"
    g.serialize(path, format="turtle")
    r = subprocess.run([sys.executable, "-m", "policykg", "validate", str(path),
                        "--engine", "jena"], capture_output=True, text=True)
    assert r.returncode != 0
    assert "unknown --engine 'jena'" in r.stderr and ", ".join(ENGINES) in r.stderr
    for engine in ENGINES:
        r = subprocess.run([sys.executable, "-m", "policykg", "validate", str(path),
                            "--engine", engine], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "conforms: True" in r.stdout
