"""Dumps over real HTTP: /export in every format (parsed by rdflib, Turtle also by Debian's
rapper), one document's graph, no path traversal, and the VoID description."""

from __future__ import annotations

import re
import shutil
import subprocess

import httpx
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID

BASE = "https://w3id.org/policykg/"
PKG = Namespace(BASE + "ontology#")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
DOC_KEY = "t-a00608b20ac1"  # the Sichuan reply about 什邡市
FORMATS = {"ttl": ("text/turtle", "turtle"), "nt": ("application/n-triples", "nt"),
           "nq": ("application/n-quads", "nquads"), "trig": ("application/trig", "trig"),
           "jsonld": ("application/ld+json", "json-ld")}
rapper = pytest.mark.skipif(shutil.which("rapper") is None, reason="needs Debian's raptor2-utils")


def _get(server, path: str, **kw) -> httpx.Response:
    return httpx.get(server.url + path, timeout=60, **kw)


def _parse(data: bytes, fmt: str) -> set:
    """Triples for triple formats, quads (s, p, o, graph) for dataset formats."""
    if fmt in ("ttl", "nt"):
        return set(Graph().parse(data=data.decode("utf-8"), format=FORMATS[fmt][1]))
    ds = Dataset()
    ds.parse(data=data.decode("utf-8"), format=FORMATS[fmt][1])
    return {(s, p, o, g) for s, p, o, g in ds.quads() if g is not None}


@pytest.fixture(scope="module")
def dumps(server) -> dict[str, bytes]:
    out = {}
    for fmt in FORMATS:
        r = _get(server, "/export", params={"format": fmt})
        assert r.status_code == 200, (fmt, r.text)
        out[fmt] = r.content
    return out


@pytest.fixture(scope="module")
def health(server) -> dict:
    return _get(server, "/health").json()


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_each_format_parses_with_its_headers(server, fmt, health):
    r = _get(server, "/export", params={"format": fmt})
    assert r.headers["content-type"].split(";")[0] == FORMATS[fmt][0]
    assert r.headers["content-disposition"] == f'attachment; filename="policykg.{fmt}"'
    assert r.headers.get("transfer-encoding") == "chunked"  # streamed
    parsed = _parse(r.content, fmt)
    if fmt in ("nq", "trig", "jsonld"):  # named graphs kept: every quad of the store
        assert len(parsed) == health["triples"]
        assert BASE + "graph/" + DOC_KEY in {str(q[3]) for q in parsed}
    else:
        assert 0 < len(parsed) <= health["triples"]


def test_turtle_and_ntriples_exports_hold_the_same_triples(dumps):
    ttl, nt = _parse(dumps["ttl"], "ttl"), _parse(dumps["nt"], "nt")
    assert ttl == nt
    quads = _parse(dumps["nq"], "nq")
    assert nt == {(s, p, o) for s, p, o, _ in quads}  # the union of the graphs


@rapper
@pytest.mark.parametrize(("fmt", "syntax"), [("ttl", "turtle"), ("nt", "ntriples"),
                                             ("trig", "trig"), ("nq", "nquads")])
def test_rapper_parses_the_export(tmp_path, dumps, fmt, syntax):
    path = tmp_path / f"policykg.{fmt}"
    path.write_bytes(dumps[fmt])
    run = subprocess.run(["rapper", "-i", syntax, "-c", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    count = int(re.search(r"returned (\d+) triples", run.stderr).group(1))
    expected = len(_parse(dumps[fmt], fmt))
    assert count == expected


def test_export_format_by_accept(server):
    r = _get(server, "/export", headers={"Accept": "application/n-quads"})
    assert r.headers["content-type"].startswith("application/n-quads")
    r = _get(server, "/export", headers={"Accept": "*/*"})
    assert r.headers["content-type"].startswith("text/turtle")
    r = _get(server, "/export", headers={"Accept": "application/trig;q=0.3, "
                                                   "application/ld+json;q=0.6"})
    assert r.headers["content-type"].startswith("application/ld+json")


def test_export_refuses_unknown_formats(server):
    r = _get(server, "/export", params={"format": "rdfxml-ish"})
    assert r.status_code == 400 and "ttl" in r.text
    r = _get(server, "/export", headers={"Accept": "image/png"})
    assert r.status_code == 406 and "text/turtle" in r.text


# --- one document -----------------------------------------------------------------------------
def test_export_one_document_graph(server, dumps):
    graph = BASE + "graph/" + DOC_KEY
    r = _get(server, f"/export/{DOC_KEY}", params={"format": "nt"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="policykg-{DOC_KEY}.nt"'
    triples = _parse(r.content, "nt")
    in_graph = {(s, p, o) for s, p, o, g in _parse(dumps["nq"], "nq") if str(g) == graph}
    assert triples == in_graph
    assert (URIRef(BASE + "id/place/510682"), URIRef(str(PKG.within)),
            URIRef(BASE + "id/place/510600")) in triples
    ttl = _get(server, f"/export/{DOC_KEY}", params={"format": "ttl"})
    assert _parse(ttl.content, "ttl") == triples
    trig = _get(server, f"/export/{DOC_KEY}", params={"format": "trig"})
    assert {str(g) for *_, g in _parse(trig.content, "trig")} == {graph}


def test_unknown_document_is_404(server):
    r = _get(server, "/export/no-such-document")
    assert r.status_code == 404 and "no-such-document" in r.text


@pytest.mark.parametrize("raw", [
    "/export/..%2F..%2Fetc%2Fpasswd", "/export/a%20b", "/export/a b", "/export/%2E%2E",
    "/export/..", "/export/...", "/export/..%5C..%5Cetc%5Cpasswd", "/export/%00",
    "/export/.policykg", "/export/x%3Bformat=ttl",
])
def test_path_traversal_is_refused(server, raw):
    r = httpx.get(server.url + raw, timeout=30)
    assert r.status_code in (400, 404), (raw, r.status_code)
    assert "root:" not in r.text
    assert not r.headers.get("content-disposition")


def test_bad_document_key_is_400(server):
    assert _get(server, "/export/a b").status_code == 400
    assert _get(server, "/export/a%2Bb").status_code == 400


# --- VoID -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def void(server) -> tuple[Graph, str]:
    r = _get(server, "/.well-known/void")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=r.text, format="turtle"), r.text


def _dataset(g: Graph) -> URIRef:
    (ds,) = [s for s in g.subjects(RDF.type, VOID.Dataset) if (s, VOID.subset, None) in g]
    return ds


def test_void_triples_count_equals_the_stores(server, void, dumps, health):
    g, _ = void
    ds = _dataset(g)
    total = g.value(ds, VOID.triples)
    assert total.datatype == XSD_INTEGER
    # each distinct triple once, as in the Turtle/N-Triples dumps ...
    assert int(total) == len(_parse(dumps["nt"], "nt"))
    # ... and the document graphs, as subsets, add up to every quad the store holds
    subsets = list(g.objects(ds, VOID.subset))
    assert sum(int(g.value(s, VOID.triples)) for s in subsets) == health["triples"]


def test_void_describes_the_dataset(server, void, health):
    g, _ = void
    ds = _dataset(g)
    titles = {t.language: str(t) for t in g.objects(ds, DCTERMS.title)}
    assert set(titles) == {"zh", "en"}
    assert (ds, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in g
    sources = set(g.objects(ds, DCTERMS.source))
    assert len(sources) == health["documents"]
    for sub in g.objects(ds, VOID.subset):
        assert g.value(sub, PKG.describes) in sources
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", str(g.value(sub, PKG.contentHash)))
    counties = [p for p in g.objects(ds, VOID.classPartition)
                if g.value(p, VOID["class"]) == PKG.County]
    assert len(counties) == 1 and int(g.value(counties[0], VOID.entities)) >= 1
    dumps = {str(u) for u in g.objects(ds, VOID.dataDump)}
    assert server.url + "/export?format=nt" in dumps
    assert (ds, VOID.uriSpace, Literal(BASE + "id/")) in g


def test_void_dump_links_work(server, void):
    g, _ = void
    for url in list(g.objects(_dataset(g), VOID.dataDump))[:2]:
        assert httpx.get(str(url), timeout=60).status_code == 200


@rapper
def test_rapper_parses_the_void(tmp_path, void):
    g, text = void
    path = tmp_path / "void.ttl"
    path.write_text(text, encoding="utf-8")
    run = subprocess.run(["rapper", "-i", "turtle", "-c", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"returned {len(g)} triples" in run.stderr
