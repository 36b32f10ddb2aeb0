"""GET and POST /sparql go around FastAPI's routing (sparql_path.py) through the same
middleware as every route: the access log's Server-Timing, CORS, the body limit, and a 500
for an error. The application is served by uvicorn in this process, over real HTTP, so that
the test can put something else in FastAPI's place and see what still answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from conftest import _free_port
from state import SMALL

from policykg.build import build_one
from policykg.store import OxigraphStore
from policykg_api import app as app_module
from policykg_api import sparql
from policykg_api.settings import Settings

T = 30
QUERY = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, app_module.PolicyKG]]:
    store = tmp_path_factory.mktemp("sparql-path") / "store"
    OxigraphStore(store).put_document(build_one(SMALL).graph)
    app = app_module.create_app(Settings(store=store, workers=1, max_workers=2,
                                         max_query_bytes=4096,
                                         cors_origins=["https://example.org"]))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.config.port}"
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start in 60 s"
        time.sleep(0.05)
    try:
        yield url, app
    finally:
        server.should_exit = True
        thread.join(30)


def test_fastapi_still_describes_sparql(served):
    url, _ = served
    paths = httpx.get(url + "/openapi.json", timeout=T).json()["paths"]
    assert {"get", "post"} <= set(paths["/sparql"])


def test_sparql_answers_without_fastapi(served, monkeypatch):
    url, app = served
    async def teapot(scope, receive, send) -> None:  # in place of all FastAPI serves
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    monkeypatch.setattr(app, "middleware_stack", teapot)
    origin = {"Origin": "https://example.org"}
    r = httpx.get(url + "/sparql", params={"query": QUERY}, headers=origin, timeout=T)
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]["bindings"]) == 2
    assert r.headers["policykg-rows"] == "2"
    assert "app;dur=" in r.headers["server-timing"]
    assert r.headers["access-control-allow-origin"] == "https://example.org"
    r = httpx.post(url + "/sparql", data={"query": QUERY}, timeout=T,
                   headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.text.splitlines()[0] == "s"
    # the body limit applies as before, declared or streamed
    r = httpx.post(url + "/sparql", content=b"#" * 5000, timeout=T,
                   headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413, r.text
    r = httpx.post(url + "/sparql", content=iter([b"#" * 3000, b"#" * 3000]), timeout=T,
                   headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413, r.text
    # other methods and paths are FastAPI's, here a teapot
    assert httpx.head(url + "/sparql", timeout=T).status_code == 418
    assert httpx.get(url + "/sparql/", timeout=T).status_code == 418


def test_other_methods_on_sparql_are_fastapis(served):
    url, _ = served
    assert httpx.put(url + "/sparql", content=QUERY, timeout=T).status_code == 405
    preflight = httpx.options(url + "/sparql", timeout=T, headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://example.org"


def test_an_error_in_the_route_is_a_500_and_the_server_goes_on(served, monkeypatch):
    url, _ = served

    async def broken(request):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(sparql, "sparql", broken)
    r = httpx.get(url + "/sparql", params={"query": QUERY}, timeout=T)
    assert r.status_code == 500 and r.text == "Internal Server Error"
    monkeypatch.undo()
    assert httpx.get(url + "/sparql", params={"query": QUERY}, timeout=T).status_code == 200

