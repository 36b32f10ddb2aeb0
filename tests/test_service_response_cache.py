"""Kept look-up responses (api/policykg_api/response_cache.py): a repeated look-up is answered
from the cache — byte for byte what the application answers — per Accept and Origin, never
for an error, and never after a write has changed what it would say. Through real HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx
import pytest
from conftest import BACKENDS, CORPUS, TOKEN, backend_store, start_server, stop_server
from virtuoso import Virtuoso

from policykg_api.response_cache import KeptResponses, ResponseCache

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"
PLACE = "/data/place/510682"  # 什邡市
# Headers a server sets per response, not per answer.
PER_RESPONSE = {"date", "server-timing"}


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    with backend_store(request.param, tmp_path_factory.mktemp("kept")) as store:
        remote = isinstance(store, Virtuoso)
        where = ["--store", store.store, *store.args] if remote else ["--store", str(store)]
        subprocess.run([sys.executable, "-m", "policykg", "ingest", *where, str(SICHUAN)],
                       check=True, capture_output=True, timeout=300,
                       env={**os.environ, **(store.env if remote else {})})
        s = start_server(store, "--token", TOKEN)
        yield s
        stop_server(s)


def _figures(server) -> dict:
    return httpx.get(server.url + "/health").json()["response_cache"]


def _answer(r: httpx.Response) -> tuple:
    headers = sorted((k, v) for k, v in r.headers.items() if k not in PER_RESPONSE)
    return r.status_code, headers, r.content


LOOKUPS = [(PLACE + ".ttl", {}), (PLACE, {"Accept": "application/json"}),
           (PLACE, {"Accept": "application/ld+json"}), ("/page/place/510682", {}),
           ("/id/place/510682", {"Accept": "text/html"}), ("/search?q=shifang", {}),
           ("/search?q=什邡&lang=zh&type=County", {}), ("/suggest?prefix=什", {})]


@pytest.mark.parametrize(("path", "headers"), LOOKUPS)
def test_a_kept_answer_is_the_applications_answer(served, path, headers):
    fresh = httpx.get(served.url + path, headers={**headers, "Cache-Control": "no-cache"})
    assert fresh.status_code in (200, 303), fresh.text
    first = httpx.get(served.url + path, headers=headers)
    before = _figures(served)
    again = httpx.get(served.url + path, headers=headers)
    after = _figures(served)
    assert after["hits"] == before["hits"] + 1, (before, after)
    assert _answer(again) == _answer(first) == _answer(fresh)
    assert "server-timing" in again.headers  # still measured: the cache is inside Observe


def test_answers_are_kept_per_accept_and_origin(served):
    url = served.url + PLACE
    turtle = httpx.get(url, headers={"Accept": "text/turtle"})
    as_json = httpx.get(url, headers={"Accept": "application/json"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert as_json.headers["content-type"].startswith("application/json")
    plain = httpx.get(url, headers={"Accept": "application/json"})
    cross = httpx.get(url, headers={"Accept": "application/json",
                                    "Origin": "https://example.org"})
    assert "access-control-allow-origin" not in plain.headers
    assert cross.headers["access-control-allow-origin"] == "*"
    assert plain.content == cross.content == as_json.content


def test_errors_are_not_kept(served):
    url = served.url + "/data/place/000000"
    before = _figures(served)
    codes = [httpx.get(url).status_code for _ in range(3)]
    bad = [httpx.get(served.url + "/search", params={"q": ""}).status_code for _ in range(2)]
    after = _figures(served)
    assert codes == [404] * 3 and bad == [400] * 2
    assert after["hits"] == before["hits"] and after["misses"] == before["misses"] + 5


def test_a_write_changes_what_is_answered(served):
    """After a SPARQL Update and after an ingest, the same URLs answer the new graph."""
    url = served.url + PLACE
    json_view = {"Accept": "application/json"}
    for _ in range(2):  # kept
        old = httpx.get(url, headers=json_view).json()
        assert "Shifang test alias" not in str(old)
        assert httpx.get(served.url + "/search", params={"q": "Zhuqiao"}).json()["total"] == 0
    graph = httpx.get(served.url + "/documents").json()[0]["graph"]  # the served union
    update = (f'INSERT DATA {{ GRAPH <{graph}> {{ '
              '<https://w3id.org/policykg/id/place/510682> '
              '<http://www.w3.org/2004/02/skos/core#altLabel> "Shifang test alias"@en } }')
    r = httpx.post(served.url + "/sparql", data={"update": update}, headers=AUTH, timeout=60)
    assert r.status_code == 204, r.text
    new = httpx.get(url, headers=json_view).json()
    assert "Shifang test alias" in str(new)
    hits = httpx.get(served.url + "/search", params={"q": "Shifang test alias"}).json()
    assert hits["results"] and hits["results"][0]["iri"].endswith("/id/place/510682")

    text = "四川省人民政府关于竹桥镇试点工作的通知\n一、在竹桥镇开展试点。\n"
    r = httpx.post(served.url + "/ingest", params={"name": "zhuqiao.txt"},
                   content=text.encode(), headers=AUTH, timeout=120)
    assert r.status_code == 201, r.text
    assert httpx.get(served.url + "/search", params={"q": "Zhuqiao"}).json()["total"] > 0


# --- the cache itself, as an ASGI middleware around a counting app -------------------------

def _run(cache: ResponseCache, path: str, headers: list | None = None) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
             "headers": headers or []}
    asyncio.run(cache(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def _counting_app(size: int = 100):
    calls: list[str] = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        status = 404 if scope["path"].endswith("missing") else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        half = size // 2  # in two chunks, as a streamed body comes
        await send({"type": "http.response.body", "body": b"a" * half, "more_body": True})
        await send({"type": "http.response.body", "body": b"b" * (size - half)})

    return app, calls


def test_the_cache_is_bounded_in_bytes_and_by_body_size():
    app, calls = _counting_app(100)
    kept = KeptResponses(max_bytes=250, max_body=150)
    cache = ResponseCache(app, kept, version=lambda: 1)
    for path in ("/data/a", "/data/b", "/data/a", "/data/c", "/data/b"):
        assert _run(cache, path) == (200, b"a" * 50 + b"b" * 50)
    # a and b kept; a used again; c pushed b out (250 bytes hold two of 100)
    assert calls == ["/data/a", "/data/b", "/data/c", "/data/b"]
    assert kept.figures()["entries"] == 2 and kept.figures()["bytes"] <= 250
    big_app, big_calls = _counting_app(200)
    big = ResponseCache(big_app, KeptResponses(max_body=150), version=lambda: 1)
    for _ in range(2):
        assert _run(big, "/data/big")[1] == b"a" * 100 + b"b" * 100
    assert len(big_calls) == 2  # over max_body: answered, never kept


def test_the_cache_keys_by_version_and_keeps_only_lookups():
    app, calls = _counting_app()
    version = [1]
    cache = ResponseCache(app, KeptResponses(), version=lambda: version[0])
    _run(cache, "/data/a")
    _run(cache, "/data/a")
    version[0] = 2
    _run(cache, "/data/a")
    for path in ("/export", "/sparql", "/data/missing", "/data/missing"):
        _run(cache, path)
    _run(cache, "/data/a", [(b"cache-control", b"no-cache")])
    assert calls == ["/data/a", "/data/a", "/export", "/sparql", "/data/missing",
                     "/data/missing", "/data/a"]


def test_answers_of_an_older_version_are_dropped_when_a_newer_one_is_kept():
    """After a write, what was kept before it can never be asked for again: it goes at once
    instead of filling the byte bound (a server under steady writes grew by the bound)."""
    app, calls = _counting_app(100)
    kept = KeptResponses()
    version = [1]
    cache = ResponseCache(app, kept, version=lambda: version[0])
    for path in ("/data/a", "/data/b", "/data/c"):
        _run(cache, path)
    assert kept.figures()["entries"] == 3 and kept.figures()["bytes"] >= 300
    version[0] = 2
    _run(cache, "/data/a")
    assert kept.figures()["entries"] == 1
    assert 100 <= kept.figures()["bytes"] < 200
    _run(cache, "/data/a")  # the new version's answer is kept and answered
    assert calls == ["/data/a", "/data/b", "/data/c", "/data/a"]
