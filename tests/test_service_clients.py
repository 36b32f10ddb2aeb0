"""The SPARQL endpoint as used by clients that no one here wrote: SPARQLWrapper, rdflib's
SPARQLStore and Rasqal's `roqet`, against the running `server`. Each answer is checked
against the same query sent with plain httpx."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, JSONLD, RDFXML, TURTLE, XML, SPARQLWrapper

PREFIXES = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
COUNT_ORGS = PREFIXES + "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a pkg:Organization }"
PROVINCE_LABELS = PREFIXES + """SELECT DISTINCT ?o ?l WHERE {
  ?o a pkg:Province ; skos:prefLabel ?l } ORDER BY ?o ?l"""
PROVINCE_GRAPH = PREFIXES + """CONSTRUCT { ?o skos:prefLabel ?l } WHERE {
  ?o a pkg:Province ; skos:prefLabel ?l }"""
SKOS_PREF = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
SRX = "{http://www.w3.org/2005/sparql-results#}"
HTTP_TIMEOUT = httpx.Timeout(30.0)
CLIENT_TIMEOUT = 30  # seconds, for every client below


def _httpx_bindings(server, query: str) -> list[dict]:
    r = httpx.get(server.url + "/sparql", params={"query": query},
                  headers={"Accept": "application/sparql-results+json"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


@pytest.fixture(scope="module")
def org_count(server) -> int:
    (b,) = _httpx_bindings(server, COUNT_ORGS)
    n = int(b["n"]["value"])
    assert n > 10
    return n


@pytest.fixture(scope="module")
def province_labels(server) -> set[tuple[str, Literal]]:
    rows = {(b["o"]["value"], Literal(b["l"]["value"], lang=b["l"].get("xml:lang")))
            for b in _httpx_bindings(server, PROVINCE_LABELS)}
    assert 10 < len(rows) < 50  # under the server's row cap
    assert {lit.language for _, lit in rows} == {"zh", "en"}
    return rows


# --- SPARQLWrapper ------------------------------------------------------------------------------

def _wrapper(server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    w = SPARQLWrapper(server.url + "/sparql")
    w.setTimeout(CLIENT_TIMEOUT)
    w.setQuery(query)
    w.setReturnFormat(fmt)
    w.setMethod(method)
    return w


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json(server, org_count, province_labels, method):
    res = _wrapper(server, COUNT_ORGS, JSON, method).queryAndConvert()
    (b,) = res["results"]["bindings"]
    assert int(b["n"]["value"]) == org_count

    res = _wrapper(server, PROVINCE_LABELS, JSON, method).queryAndConvert()
    assert res["head"]["vars"] == ["o", "l"]
    got = {(b["o"]["value"], Literal(b["l"]["value"], lang=b["l"].get("xml:lang")))
           for b in res["results"]["bindings"]}
    assert got == province_labels


def test_sparqlwrapper_select_xml(server, org_count):
    doc = _wrapper(server, COUNT_ORGS, XML).queryAndConvert()  # an xml.dom Document
    (lit,) = doc.getElementsByTagName("literal")
    assert int(lit.firstChild.data) == org_count


@pytest.mark.parametrize("fmt", [XML, RDFXML, TURTLE, JSONLD],
                         ids=["default-xml", "rdfxml", "turtle", "jsonld"])
def test_sparqlwrapper_construct(server, province_labels, fmt):
    """SPARQLWrapper asks for a graph by Accept and also by `format=`/`output=`/`results=`
    parameters: its default for CONSTRUCT (XML) means RDF/XML."""
    w = _wrapper(server, PROVINCE_GRAPH, fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = w.query()
        converted = res.convert()
    if isinstance(converted, bytes):  # Turtle comes back as bytes
        g = Graph().parse(data=converted.decode("utf-8"), format="turtle")
    else:
        g = Graph()
        for t in converted.triples((None, None, None)):
            g.add(t)
    assert {p for _, p, _ in g} == {SKOS_PREF}
    assert {(str(s), o) for s, _, o in g} == province_labels


# --- rdflib's SPARQLStore -------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select(server, org_count, province_labels, method):
    store = SPARQLStore(server.url + "/sparql", method=method, timeout=CLIENT_TIMEOUT)
    try:
        (row,) = list(store.query(COUNT_ORGS))
        assert int(row[0]) == org_count
        rows = {(str(r.o), r.l) for r in store.query(PROVINCE_LABELS)}
        assert rows == province_labels
        # through a Graph on the store, as rdflib users write it
        g = Graph(store=store)
        (row,) = list(g.query(COUNT_ORGS))
        assert int(row.n) == org_count
    finally:
        store.close()


def test_rdflib_sparqlstore_json_results(server, org_count):
    store = SPARQLStore(server.url + "/sparql", returnFormat="json", timeout=CLIENT_TIMEOUT)
    try:
        (row,) = list(store.query(COUNT_ORGS))
        assert int(row[0]) == org_count
    finally:
        store.close()


# --- roqet (Rasqal) ------------------------------------------------------------------------------

def _roqet(server, query: str, *args: str) -> str:
    exe = shutil.which("roqet")
    assert exe is not None, (
        "roqet (Rasqal's query utility) is not installed; install it with "
        "'apt-get install rasqal-utils' (.ci/run does)")
    r = subprocess.run([exe, "-q", "-p", server.url + "/sparql", "-e", query, *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"roqet exited {r.returncode}: {r.stderr}"
    return r.stdout


def test_roqet_select_simple_output(server, org_count):
    out = _roqet(server, COUNT_ORGS)
    assert f'n=string("{org_count}"^^<http://www.w3.org/2001/XMLSchema#integer>)' in out, out


def test_roqet_select_xml_results(server, org_count, province_labels):
    root = ET.fromstring(_roqet(server, COUNT_ORGS, "-r", "xml"))
    (lit,) = list(root.iter(SRX + "literal"))
    assert int(lit.text) == org_count

    root = ET.fromstring(_roqet(server, PROVINCE_LABELS, "-r", "xml"))
    got = set()
    for res in root.iter(SRX + "result"):
        b = {e.get("name"): next(iter(e)) for e in res.findall(SRX + "binding")}
        lang = b["l"].get("{http://www.w3.org/XML/1998/namespace}lang")
        got.add((b["o"].text, Literal(b["l"].text, lang=lang)))
    assert got == province_labels


def test_roqet_select_csv_results(server, org_count, province_labels):
    out = _roqet(server, COUNT_ORGS, "-r", "csv")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["n"] and int(table[1][0]) == org_count

    out = _roqet(server, PROVINCE_LABELS, "-r", "csv")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["o", "l"]
    assert {(o, lab) for o, lab in table[1:]} == {(o, str(lit)) for o, lit in province_labels}
