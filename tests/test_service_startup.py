"""A server answers as soon as its store is open; its search index is built in the
background (index_holder.py). Until it is ready, search and writes answer 503 with
Retry-After and nothing is written; /health says "starting", then "ok" — or "degraded",
with the reason, when the build fails.

The application is served by uvicorn in this process, over real HTTP, so that the test can
hold the real index build at its start (the build waits for the test's signal, then reads
the store as ever) and look at the server meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import TOKEN, _free_port
from state import SMALL

from policykg.build import build_one
from policykg.store import OxigraphStore
from policykg_api import app as app_module
from policykg_api.settings import Settings

T = 30
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def serving(store: Path, load_index: Callable) -> Iterator[str]:
    """The application on `store`, its index read by `load_index`, served by uvicorn in a
    thread on 127.0.0.1; yields its URL once it answers."""
    original = app_module.load_index
    app_module.load_index = load_index
    try:
        app = app_module.create_app(Settings(store=store, token=TOKEN, workers=1,
                                             max_workers=2))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/context.jsonld", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not answer in 60 s")
        try:
            yield url
        finally:
            server.should_exit = True
            thread.join(30)
    finally:
        app_module.load_index = original


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "store"
    OxigraphStore(path).put_document(build_one(SMALL).graph)
    return path


def _health(url: str) -> dict:
    r = httpx.get(url + "/health", timeout=T)
    assert r.status_code == 200
    return r.json()


def _count(url: str) -> int:
    r = httpx.post(url + "/sparql", data={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g "
                                                   "{ ?s ?p ?o } }"},
                   headers={"Accept": "application/sparql-results+json"}, timeout=T)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_answers_at_once_and_search_waits_for_its_index(store):
    gate = threading.Event()
    real = app_module.load_index

    def held_build(s):
        assert gate.wait(60), "the test never let the build go on"
        return real(s)

    with serving(store, held_build) as url:
        # while the index is held at its start: SPARQL, look-ups and the document list answer
        before = _count(url)
        assert before > 0
        docs = httpx.get(url + "/documents", timeout=T)
        assert docs.status_code == 200 and len(docs.json()) == 1
        doc = docs.json()[0]["document"].split("/id/", 1)[1]
        assert httpx.get(url + f"/data/{doc}.json", timeout=T).status_code == 200
        health = _health(url)
        assert health["status"] == "starting"
        assert health["search_index"]["ready"] is False
        # search and autocomplete: 503, saying why and when to come back
        for path, params in (("/search", {"q": "四川"}), ("/suggest", {"prefix": "si"})):
            r = httpx.get(url + path, params=params, timeout=T)
            assert r.status_code == 503, (path, r.text)
            assert r.headers["retry-after"].isdigit()
            assert "still being built" in r.text
        # writes: 503, and nothing is written
        other = next(p for p in sorted(SMALL.parent.glob("*.txt")) if p != SMALL)
        r = httpx.post(url + "/ingest", params={"name": other.name},
                       content=other.read_bytes(), headers=AUTH, timeout=T)
        assert r.status_code == 503 and "search index" in r.text
        assert r.headers["retry-after"].isdigit()
        r = httpx.post(url + "/sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"},
                       headers=AUTH, timeout=T)
        assert r.status_code == 503 and "search index" in r.text
        assert _count(url) == before
        assert len(httpx.get(url + "/documents", timeout=T).json()) == 1

        gate.set()
        deadline = time.monotonic() + 60
        while _health(url)["status"] != "ok":
            assert time.monotonic() < deadline, "the index was not ready 60 s after its start"
            time.sleep(0.1)
        index = _health(url)["search_index"]
        assert index["ready"] is True and index["entities"] > 0 and index["build_s"] >= 0
        r = httpx.get(url + "/search", params={"q": "四川"}, timeout=T)
        assert r.status_code == 200 and r.json()["total"] >= 1
        # and writes go through again, the index brought up to date after them
        r = httpx.post(url + "/ingest", params={"name": other.name},
                       content=other.read_bytes(), headers=AUTH, timeout=T)
        assert r.status_code == 201, r.text
        assert _count(url) > before


def test_a_failed_build_is_reported_and_search_says_why(store):
    def failing_build(s):
        raise OSError("the labels could not be read")

    with serving(store, failing_build) as url:
        deadline = time.monotonic() + 30
        while (health := _health(url))["status"] == "starting":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert health["status"] == "degraded"
        assert "the labels could not be read" in health["search_index"]["error"]
        r = httpx.get(url + "/search", params={"q": "四川"}, timeout=T)
        assert r.status_code == 503
        assert "could not be built" in r.text and "the labels could not be read" in r.text
        assert _count(url) > 0  # the rest of the service answers
