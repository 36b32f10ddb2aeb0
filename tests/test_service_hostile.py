"""Hostile requests against a real server: SPARQL injection through every parameter that
reaches the store, path traversal, oversized bodies and queries, unacceptable Accept headers
and writes without the token. Each is refused (4xx) or answered as the plain request it
claims to be, and the store is the same afterwards: same triple count, same export hash."""

from __future__ import annotations

import http.client
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest
from conftest import CORPUS, TOKEN, stop_server
from state import SMALL, seeded_server, store_state

PKG = "https://w3id.org/policykg/ontology#"
BASE = "https://w3id.org/policykg/"
SHIFANG = "place/510682"
DOC_KEY = "guobanhan-2004-71"
OTHER = CORPUS / "state-council-innovation-measures-2018-12-23.txt"
T = 60

# Text that would change a query's structure if it were pasted into one.
INJECTIONS = [
    "} ; DROP ALL ; {",
    "> } UNION { ?s ?p ?o",
    '" } UNION { ?s ?p ?o } #',
    "' } ; CLEAR ALL ; SELECT * WHERE { '",
    "x> ?p ?o } ; DELETE WHERE { ?s ?p ?o } ; SELECT * { <x",
    '") || true || ("',
    "\\u003E } UNION { ?s ?p ?o",
    "%3E%20%7D%20UNION%20%7B%20%3Fs%20%3Fp%20%3Fo",
    "什邡市> } UNION { ?s ?p ?o",
    "#\n} ; DROP ALL",
    f"{BASE}id/{SHIFANG}> ?p ?o }} UNION {{ ?s ?p ?o",
]
SENT: Counter = Counter()  # what was tried → requests


@pytest.fixture(scope="module")
def before(server):
    """The shared store before any hostile request (checked again at the end)."""
    return store_state(server.url)


def _get(server, path: str, what: str, **kw) -> httpx.Response:
    SENT[what] += 1
    return httpx.get(server.url + path, timeout=T, **kw)


def raw_get(url: str, raw_path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """GET a path exactly as written: no client-side '..' folding or re-quoting."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=T)
    try:
        conn.request("GET", raw_path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _count(server, query: str = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
           **params) -> int:
    r = httpx.get(server.url + "/sparql", params={"query": query, **params},
                  headers={"Accept": "application/sparql-results+json"}, timeout=T)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


# --- SPARQL injection ------------------------------------------------------------------------

@pytest.mark.parametrize("payload", INJECTIONS)
def test_search_text_is_only_searched_for(server, before, payload):
    labelled = _count(server, query="SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE "
                                    "{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")
    for route, param in (("/search", "q"), ("/suggest", "prefix")):
        r = _get(server, route, f"{route} {param}", params={param: payload})
        assert r.status_code in (200, 400), (payload, r.status_code, r.text)
        if r.status_code == 200 and route == "/search":
            # an injected UNION { ?s ?p ?o } would match everything
            assert r.json()["total"] < labelled / 10, payload


@pytest.mark.parametrize("payload", INJECTIONS)
def test_lang_and_type_filters_are_refused_not_pasted(server, payload):
    for param in ("lang", "type"):
        r = _get(server, "/search", f"search {param}", params={"q": "shifang", param: payload})
        assert r.status_code == 400, (param, payload, r.status_code, r.text)
        assert param in r.text


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("route", ["id", "data", "page"])
def test_entity_paths_name_one_entity_or_none(server, route, payload):
    for path in (payload, f"{SHIFANG}{payload}", f"{SHIFANG}/{payload}"):
        r = _get(server, f"/{route}/{quote(path, safe='/')}", f"/{route} path",
                 headers={"Accept": "application/n-triples"}, follow_redirects=False)
        assert r.status_code in (400, 404), (route, path, r.status_code, r.text[:300])


@pytest.mark.parametrize("payload", INJECTIONS)
def test_export_graph_names_are_keys_not_query_text(server, payload):
    r = _get(server, "/export/" + quote(payload, safe=""), "/export key")
    assert r.status_code in (400, 404), (payload, r.status_code)
    assert not r.headers.get("content-disposition")
    r = _get(server, "/export", "/export format", params={"format": payload})
    assert r.status_code == 400


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_graph_uri_parameters_cannot_widen_a_query(server, param, payload):
    pattern = "?s ?p ?o" if param == "default-graph-uri" else "GRAPH ?g { ?s ?p ?o }"
    for value in (payload, BASE + "graph/" + DOC_KEY + payload):
        SENT[f"/sparql {param}"] += 1
        r = httpx.get(server.url + "/sparql", timeout=T, params={
            "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", param: value},
            headers={"Accept": "application/sparql-results+json"})
        # refused, or (percent-encoded, so a valid IRI) a graph that does not exist
        if r.status_code == 200:
            assert r.json()["results"]["bindings"][0]["n"]["value"] == "0", value
        else:
            assert r.status_code == 400, (param, value, r.status_code, r.text)


def test_a_graph_uri_restricts_and_an_unknown_one_gives_nothing(server):
    everything = _count(server)
    one = _count(server, **{"default-graph-uri": BASE + "graph/" + DOC_KEY})
    assert 0 < one < everything
    assert _count(server, **{"default-graph-uri": BASE + "graph/nothing-here"}) == 0


@pytest.mark.parametrize("payload", INJECTIONS)
def test_other_sparql_parameters_are_refused(server, payload):
    for param in ("format", "timeout"):
        SENT[f"/sparql {param}"] += 1
        r = httpx.get(server.url + "/sparql", params={"query": "ASK {}", param: payload},
                      timeout=T)
        assert r.status_code == 400, (param, payload, r.status_code)


@pytest.mark.parametrize("query", [
    "DROP ALL", "CLEAR DEFAULT", "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
    "ASK {} ; INSERT DATA { <urn:x> <urn:y> <urn:z> }", "DELETE WHERE { ?s ?p ?o }",
])
def test_an_update_given_as_a_query_is_a_syntax_error(server, query):
    for send in (lambda: httpx.get(server.url + "/sparql", params={"query": query}, timeout=T),
                 lambda: httpx.post(server.url + "/sparql", data={"query": query}, timeout=T),
                 lambda: httpx.post(server.url + "/sparql", content=query.encode(), timeout=T,
                                    headers={"Content-Type": "application/sparql-query"})):
        SENT["/sparql update as query"] += 1
        r = send()
        assert r.status_code == 400 and "syntax error" in r.text.lower(), (query, r.text)


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    """A server of its own, for writes with the token."""
    s = seeded_server(tmp_path_factory.mktemp("hostile-writes") / "store", "--token", TOKEN)
    yield s
    stop_server(s)


@pytest.mark.parametrize("name", [
    'x.txt" } ; DROP ALL ; INSERT DATA { <urn:a> <urn:b> "c\n} ; CLEAR ALL ; {',
    "名字> } ; DELETE WHERE { ?s ?p ?o } ; '#.html",
])
def test_a_document_name_is_stored_as_a_literal(writable, name):
    """The file name given to /ingest ends up in the document's graph (pkg:sourceFile):
    stored as that exact string, and the rest of the store untouched."""
    seeded = _count(writable, **{"default-graph-uri": _graph_of(writable, SMALL.name)})
    text = (OTHER.read_text(encoding="utf-8") + "\n" + name).encode("utf-8")  # a new hash
    r = httpx.post(writable.url + "/ingest", params={"name": name}, content=text, timeout=300,
                   headers={"Authorization": f"Bearer {TOKEN}"})
    SENT["/ingest name"] += 1
    assert r.status_code in (200, 201), r.text
    assert _source_file(writable, r.json()["graph"]) == name
    assert _count(writable, **{"default-graph-uri": r.json()["graph"]}) == r.json()["triples"]
    assert _count(writable, **{"default-graph-uri": _graph_of(writable, SMALL.name)}) == seeded


def _source_file(server, graph: str) -> str:
    q = f"SELECT ?f WHERE {{ GRAPH <{graph}> {{ <{graph}> <{PKG}sourceFile> ?f }} }}"
    r = httpx.get(server.url + "/sparql", params={"query": q},
                  headers={"Accept": "application/sparql-results+json"}, timeout=T)
    return r.json()["results"]["bindings"][0]["f"]["value"]


def _graph_of(server, source: str) -> str:
    docs = httpx.get(server.url + "/documents", timeout=T).json()
    return next(d["graph"] for d in docs if d["source"] == source)


# --- path traversal ---------------------------------------------------------------------------

TRAVERSALS = [
    "../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
    "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "..%5C..%5Cwindows%5Cwin.ini", "/etc/passwd",
    "%2Fetc%2Fpasswd", "..", "%2e%2e", "....//....//etc/passwd", "%252e%252e%252fetc",
    "..%00/etc/passwd", "file:%2F%2F%2Fetc%2Fpasswd", "~root/.ssh/id_rsa", "CURRENT",
    "..%2F..%2Fstore%2FCURRENT", "%c0%ae%c0%ae/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("route", ["/export/", "/id/", "/data/", "/page/", "/data/place/"])
def test_path_traversal_reaches_no_file(server, route, path):
    SENT["traversal"] += 1
    status, body = raw_get(server.url, route + path)
    assert status in (400, 404), (route + path, status, body[:200])
    assert b"root:" not in body and b"[fonts]" not in body and b"MANIFEST" not in body


@pytest.mark.parametrize("name", ["../x.txt", "/etc/passwd", "..\\..\\x.txt", "a/b.txt",
                                  "x\x00.txt", ""])
def test_ingest_names_are_plain_file_names(writable, name):
    SENT["traversal"] += 1
    r = httpx.post(writable.url + "/ingest", params={"name": name}, content=SMALL.read_bytes(),
                   headers={"Authorization": f"Bearer {TOKEN}"}, timeout=T)
    assert r.status_code in (400, 422), (name, r.status_code, r.text)


# --- oversized requests -----------------------------------------------------------------------

def test_oversized_document_is_413_and_stores_nothing(server, before):
    big = SMALL.read_bytes() * (21_000_000 // SMALL.stat().st_size + 1)  # over 20 MB
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}):
        SENT["oversized"] += 1
        r = httpx.post(server.url + "/ingest", params={"name": "big.txt"}, content=big,
                       headers=headers, timeout=T)
        assert r.status_code == 413, r.text
        assert "POLICYKG_MAX_DOCUMENT_BYTES" in r.text


def test_oversized_chunked_bodies_are_413(server):
    def chunks(n: int, size: int = 1 << 16):
        for _ in range(n):
            yield b"#" * size

    SENT["oversized"] += 2
    r = httpx.post(server.url + "/ingest", params={"name": "big.txt"}, content=chunks(400),
                   headers={"Authorization": f"Bearer {TOKEN}"}, timeout=T)
    assert r.status_code == 413, r.text
    r = httpx.post(server.url + "/sparql", content=chunks(20), timeout=T,
                   headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413, r.text


def test_oversized_query_in_the_url_is_refused(server):
    """Over the limit and short enough for the HTTP parser: 413 from the service. Longer
    request lines are refused by the HTTP parser itself (uvicorn's httptools: 400 past about
    80 KB); never a 5xx, and the server goes on answering."""
    for pad in ("x" * 1_100_000, "中" * 340_000, "x" * 3_100_000):
        SENT["oversized"] += 1
        query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + pad
        try:
            status, body = raw_get(server.url, "/sparql?" + urlencode({"query": query}))
        except ConnectionError:  # the parser may close the connection before it is sent
            status, body = 400, b""
        assert status in (400, 413), (len(pad), status, body[:200])
    assert httpx.get(server.url + "/health", timeout=T).status_code == 200


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory):
    """Limits set by flag on one server and by environment on another."""
    by_flag = seeded_server(tmp_path_factory.mktemp("limits-flag") / "store", "--token", TOKEN,
                            "--max-query-bytes", "2KB", "--max-document-bytes", "64KiB")
    by_env = seeded_server(tmp_path_factory.mktemp("limits-env") / "store", "--token", TOKEN,
                           env={"POLICYKG_MAX_QUERY_BYTES": "2000",
                                "POLICYKG_MAX_DOCUMENT_BYTES": "65536"})
    yield by_flag, by_env
    stop_server(by_flag)
    stop_server(by_env)


def test_limits_are_configurable_by_flag_and_environment(small_limits):
    for s in small_limits:
        before = store_state(s.url)
        q = "ASK { ?s ?p ?o } #"
        ok = httpx.post(s.url + "/sparql", content=(q + "x" * 1900).encode(), timeout=T,
                        headers={"Content-Type": "application/sparql-query"})
        assert ok.status_code == 200, ok.text
        long_url = "/sparql?" + urlencode({"query": q + "x" * 60_000})
        assert raw_get(s.url, long_url)[0] == 413
        for r in (httpx.post(s.url + "/sparql", content=(q + "x" * 2100).encode(), timeout=T,
                             headers={"Content-Type": "application/sparql-query"}),
                  httpx.get(s.url + "/sparql", params={"query": q + "x" * 2100}, timeout=T),
                  httpx.post(s.url + "/sparql", data={"query": q + "x" * 2100}, timeout=T)):
            assert r.status_code == 413, r.text
        doc = SMALL.read_bytes()
        assert len(doc) < 65536
        r = httpx.post(s.url + "/ingest", params={"name": "big.txt"}, timeout=T,
                       content=doc * (65536 // len(doc) + 1),
                       headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 413 and "65536" in r.text, r.text
        SENT["oversized"] += 5
        assert store_state(s.url) == before


def test_a_bad_size_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "policykg", "serve", "--store",
                        str(tmp_path / "s"), "--max-query-bytes", "lots"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "'lots' is not a size" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


# --- Accept -----------------------------------------------------------------------------------

UNACCEPTABLE = ["image/png", "application/x-unknown", "text/x-nothing;q=1, */*;q=0",
                "garbage;;;q=x"]


@pytest.mark.parametrize("accept", UNACCEPTABLE)
@pytest.mark.parametrize("path", [
    "/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}),
    "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"}),
    "/sparql?" + urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"}),
    "/export", f"/export/{DOC_KEY}", f"/data/{SHIFANG}",
])
def test_unacceptable_media_types_are_406_listing_the_offered(server, path, accept):
    SENT["unacceptable Accept"] += 1
    r = httpx.get(server.url + path, headers={"Accept": accept}, timeout=T)
    assert r.status_code == 406, (path, accept, r.status_code)
    assert "offered" in r.text and ("text/turtle" in r.text or "text/csv" in r.text)


# --- writes without the token ----------------------------------------------------------------

WRITES = ["DROP ALL", "CLEAR ALL", "DELETE WHERE { ?s ?p ?o }",
          'INSERT DATA { <urn:x:s> <urn:x:p> "injected" }',
          f"DROP GRAPH <{BASE}graph/{DOC_KEY}>"]


@pytest.mark.parametrize("update", WRITES)
@pytest.mark.parametrize("auth, status", [
    (None, 401), ("Basic dXNlcjpwYXNz", 401), ("Bearer wrong-token", 403),
    (f"Bearer {TOKEN}x", 403), (f"Bearer {TOKEN.upper()}", 403), (f"Bearer {TOKEN[:-1]}", 403),
])
def test_update_without_the_right_token_changes_nothing(server, before, update, auth, status):
    headers = {"Authorization": auth} if auth else {}
    SENT["update without the token"] += 2
    direct = httpx.post(server.url + "/sparql", content=update.encode(), timeout=T,
                        headers={**headers, "Content-Type": "application/sparql-update"})
    form = httpx.post(server.url + "/sparql", data={"update": update}, headers=headers,
                      timeout=T)
    assert (direct.status_code, form.status_code) == (status, status), (direct.text, form.text)


@pytest.mark.parametrize("auth, status", [(None, 401), ("Bearer wrong-token", 403)])
def test_ingest_without_the_right_token_changes_nothing(server, auth, status):
    SENT["ingest without the token"] += 1
    headers = {"Authorization": auth} if auth else {}
    text = SMALL.read_text(encoding="utf-8").replace("2004", "2005").encode()
    r = httpx.post(server.url + "/ingest", params={"name": "x.txt"}, content=text,
                   headers=headers, timeout=T)
    assert r.status_code == status, r.text


def test_the_shared_store_is_unchanged_after_everything(server, before, capsys):
    after = store_state(server.url)
    assert after == before
    backend = "embedded" if isinstance(server.store, Path) else "virtuoso"
    with capsys.disabled():
        print(f"\nhostile requests ({backend} server, and the write servers so far): "
              f"{sum(SENT.values())} sent ("
              + ", ".join(f"{k} {n}" for k, n in sorted(SENT.items()))
              + f"); errors 0; store unchanged: {after[0]} triples, export sha256 "
                f"{after[1][:12]}…")
    SENT.clear()
