"""Linked Data over real HTTP: /id/ redirects (303), /data/ in every format, /page/ HTML."""

from __future__ import annotations

import re
from html import escape

import httpx
import pytest
from conftest import CORPUS
from rdflib import Graph

from policykg.normalise import normalise

BASE = "https://w3id.org/policykg/"
SHIFANG = "place/510682"
SHIFANG_IRI = BASE + "id/" + SHIFANG
PKG = BASE + "ontology#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def _get(server, path: str, accept: str | None = None, **kw) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return httpx.get(server.url + path, headers=headers, timeout=30, **kw)


# --- /id/: 303 See Other ------------------------------------------------------------------------
@pytest.mark.parametrize(("accept", "target"), [
    (BROWSER, "page"),
    ("text/html", "page"),
    ("text/turtle;q=0.5, text/html", "page"),
    (None, "data"),  # httpx sends */*
    ("*/*", "data"),
    ("text/turtle", "data"),
    ("application/ld+json", "data"),
    ("application/json", "data"),
    ("text/html;q=0.5, text/turtle", "data"),
    ("text/html;q=0.9, */*", "data"),
])
def test_id_redirects_browsers_to_the_page_and_data_clients_to_the_data(server, accept, target):
    r = _get(server, "/id/" + SHIFANG, accept, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/{target}/{SHIFANG}"
    assert "Accept" in r.headers["vary"]


def test_following_the_redirect_gives_turtle(server):
    r = _get(server, "/id/" + SHIFANG, "text/turtle", follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize("route", ["id", "data", "page"])
def test_unknown_entity_is_404_with_a_message(server, route):
    r = _get(server, f"/{route}/place/999999")
    assert r.status_code == 404
    assert "place/999999" in r.text


@pytest.mark.parametrize("route", ["id", "data", "page"])
@pytest.mark.parametrize("path", ["a%20b", "x%3Cy%3E", "place//510682", "place/%2E%2E/510682",
                                  "place/5%25zz", "a%22b", "", "x%7Bq%7D"])
def test_malformed_path_is_400(server, route, path):
    r = _get(server, f"/{route}/{path}", follow_redirects=False)
    assert r.status_code == 400, (path, r.status_code, r.text)
    assert r.text.strip()


# --- /data/ ---------------------------------------------------------------------------------
RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld",
             "application/n-triples": "nt"}


def _triples(r: httpx.Response, fmt: str) -> set:
    return set(Graph().parse(data=r.text, format=fmt))


@pytest.fixture(scope="module")
def shifang_turtle(server) -> set:
    r = _get(server, "/data/" + SHIFANG, "text/turtle")
    assert r.status_code == 200
    return _triples(r, "turtle")


@pytest.mark.parametrize("media", list(RDF_TYPES))
def test_data_by_accept_in_each_rdf_format_gives_the_same_triples(server, media,
                                                                  shifang_turtle):
    r = _get(server, "/data/" + SHIFANG, media)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media
    assert _triples(r, RDF_TYPES[media]) == shifang_turtle


@pytest.mark.parametrize(("suffix", "media", "fmt"), [
    (".ttl", "text/turtle", "turtle"), (".jsonld", "application/ld+json", "json-ld"),
    (".nt", "application/n-triples", "nt"), (".json", "application/json", None)])
def test_data_by_suffix_wins_over_accept(server, suffix, media, fmt, shifang_turtle):
    r = _get(server, "/data/" + SHIFANG + suffix, "image/png")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media
    if fmt:
        assert _triples(r, fmt) == shifang_turtle
    else:
        assert r.json()["iri"] == SHIFANG_IRI


def test_data_defaults_to_turtle_and_honours_q_values(server):
    assert _get(server, "/data/" + SHIFANG, "*/*").headers["content-type"].startswith(
        "text/turtle")
    r = _get(server, "/data/" + SHIFANG, "text/turtle;q=0.2, application/n-triples;q=0.7")
    assert r.headers["content-type"].startswith("application/n-triples")


def test_data_describes_links_and_evidence(server, shifang_turtle):
    from rdflib import URIRef
    from rdflib.namespace import RDF, SKOS

    g = Graph()
    for t in shifang_turtle:
        g.add(t)
    deyang = URIRef(BASE + "id/place/510600")
    assert (URIRef(SHIFANG_IRI), URIRef(PKG + "within"), deyang) in g
    assert {str(o) for o in g.objects(deyang, SKOS.prefLabel)} == {"德阳市", "Deyang"}
    assert URIRef(PKG + "Prefecture") in set(g.objects(deyang, RDF.type))
    exacts = {str(o) for o in g.objects(None, URIRef("http://www.w3.org/ns/oa#exact"))}
    assert exacts == {"什邡市"}


def test_no_acceptable_type_is_406_listing_the_offered_ones(server):
    r = _get(server, "/data/" + SHIFANG, "image/png, text/csv")
    assert r.status_code == 406
    for media in ("text/turtle", "application/ld+json", "application/n-triples",
                  "application/json"):
        assert media in r.text


def test_jsonld_context_is_published(server):
    r = _get(server, "/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    ctx = r.json()["@context"]
    for prefix in ("pkg", "skos", "rdfs", "oa", "xsd", "prov", "dct"):
        assert ctx[prefix].startswith("http")
    doc = _get(server, "/data/" + SHIFANG + ".jsonld").json()
    assert doc["@context"] == ctx


# --- the JSON view of 什邡市 ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def shifang(server) -> dict:
    r = _get(server, "/data/" + SHIFANG, "application/json")
    assert r.status_code == 200
    return r.json()


def test_json_view_labels_and_types(shifang):
    assert shifang["iri"] == SHIFANG_IRI
    assert shifang["labels"] == {"zh": ["什邡市"], "en": ["Shifang City"]}
    assert PKG + "County" in shifang["types"]
    assert shifang["label_method"].startswith(PKG)


def test_json_view_is_within_deyang(shifang):
    within = [o for o in shifang["outgoing"] if o["property"] == PKG + "within"]
    assert [(o["iri"], o["label_zh"], o["label_en"]) for o in within] == [
        (BASE + "id/place/510600", "德阳市", "Deyang")]
    assert within[0]["property_label"] == "within"


def test_json_view_explores_two_reform_items_with_labels(shifang):
    items = [o for o in shifang["outgoing"] if o["property"] == PKG + "explores"]
    assert len(items) == 2
    for o in items:
        assert o["label_zh"] and o["label_en"]
        assert PKG + "ReformItem" in o["types"]
    assert {o["label_zh"] for o in items} == {"推进县乡村治理数字化",
                                              "推进农村闲置宅基地和农村存量建设用地盘活利用"}


def test_json_view_has_incoming_links(shifang):
    assert any(i["property"] == PKG + "participant" and i["label_zh"]
               for i in shifang["incoming"])


def _source_text(server, document: str) -> str:
    """The normalised text of the file the document was read from (found over SPARQL)."""
    q = (f"SELECT ?f WHERE {{ GRAPH ?g {{ ?g <{PKG}describes> <{document}> ; "
         f"<{PKG}sourceFile> ?f }} }}")
    r = httpx.get(server.url + "/sparql", params={"query": q},
                  headers={"Accept": "application/sparql-results+json"}, timeout=30)
    name = r.json()["results"]["bindings"][0]["f"]["value"]
    return normalise((CORPUS / name).read_bytes(), name).text


def test_json_view_evidence_quotes_are_in_the_source_document(server, shifang):
    assert len(shifang["evidence"]) >= 2
    for ev in shifang["evidence"]:
        assert ev["quote"] == "什邡市"
        assert ev["document_title"] and ev["document"].startswith(BASE + "id/doc/")
        text = _source_text(server, ev["document"])
        assert text[ev["start"]:ev["end"]] == ev["quote"]
        assert ev["quote"] in ev["sentence"] and ev["sentence"] in text


# --- /page/ ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shifang_page(server) -> httpx.Response:
    return _get(server, "/page/" + SHIFANG, BROWSER)


def test_page_shows_both_languages_and_marks_the_quote(shifang_page):
    r = shifang_page
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "什邡市" in html and "Shifang City" in html
    assert "德阳市" in html and "Deyang" in html
    assert "<mark>什邡市</mark>" in html
    assert 'href="/page/place/510600"' in html
    assert re.search(r'href="/page/doc/[^"]+"[^>]*>四川省人民政府', html)


def test_page_has_no_external_assets(shifang_page):
    html = shifang_page.text
    refs = re.findall(r'(?:href|src|action|srcset)\s*=\s*["\']?([^"\'\s>]+)', html, re.I)
    assert refs
    assert not [u for u in refs if u.startswith(("http:", "https:", "//"))]
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "url(" not in html and "@import" not in html
    assert "default-src 'none'" in shifang_page.headers["content-security-policy"]


def test_page_escapes_labels(server):
    # a list whose English label quotes a document title ("…")
    r = _get(server, "/search?q=shenhua%20xianyu&lang=en&limit=1")
    hit = r.json()["results"][0]
    assert '"' in hit["label"]
    page = _get(server, "/page/" + hit["iri"].split("/id/", 1)[1]).text
    assert escape(hit["label"]) in page
    assert hit["label"] not in page
