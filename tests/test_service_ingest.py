"""Adding documents to a running server: token rules, outcomes, the index kept current, and
no second writer on a served store."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from conftest import BACKENDS, CORPUS, TOKEN, backend_store, start_server, stop_server
from virtuoso import Virtuoso

SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module", params=BACKENDS)
def fresh(request, tmp_path_factory):
    with backend_store(request.param, tmp_path_factory.mktemp("ingest")) as store:
        # an empty store would get the bundled corpus: seed it with one other document first
        remote = isinstance(store, Virtuoso)
        where = ["--store", store.store, *store.args] if remote else ["--store", str(store)]
        subprocess.run([sys.executable, "-m", "policykg", "ingest", *where,
                        str(CORPUS / "central-no1-document-2025-01-01.txt")], check=True,
                       capture_output=True, timeout=300,
                       env={**os.environ, **(store.env if remote else {})})
        s = start_server(store, "--token", TOKEN)
        yield s
        stop_server(s)


def _post(server, data: bytes, headers=None, name="doc.txt"):
    return httpx.post(server.url + "/ingest", params={"name": name}, content=data,
                      headers=headers or {}, timeout=120)


def test_ingest_needs_the_token(fresh):
    assert _post(fresh, SICHUAN.read_bytes()).status_code == 401
    r = _post(fresh, SICHUAN.read_bytes(), {"Authorization": "Bearer nope"})
    assert r.status_code == 403
    assert len(httpx.get(fresh.url + "/documents").json()) == 1  # nothing written


def test_ingest_adds_skips_and_replaces_and_search_follows(fresh):
    before = httpx.get(fresh.url + "/search", params={"q": "什邡市"}).json()
    assert before.get("total", len(before.get("results", []))) == 0
    r = _post(fresh, SICHUAN.read_bytes(), AUTH, SICHUAN.name)
    assert r.status_code == 201 and r.json()["outcome"] == "added"
    assert _post(fresh, SICHUAN.read_bytes(), AUTH, SICHUAN.name).json()["outcome"] == \
        "unchanged"
    hits = httpx.get(fresh.url + "/search", params={"q": "什邡市"}).json()["results"]
    assert hits and hits[0]["iri"].endswith("/id/place/510682")
    changed = SICHUAN.read_text(encoding="utf-8").replace("总投资1025.2亿元", "总投资1000亿元")
    r = _post(fresh, changed.encode("utf-8"), AUTH, SICHUAN.name)
    assert r.status_code == 200 and r.json()["outcome"] == "replaced"
    q = ("SELECT ?a WHERE { ?e <https://w3id.org/policykg/ontology#amount> ?a }")
    rows = httpx.get(fresh.url + "/sparql", params={"query": q}).json()["results"]["bindings"]
    assert [b["a"]["value"] for b in rows] == ["100000000000"]
    assert len(httpx.get(fresh.url + "/documents").json()) == 2


def test_undecodable_document_is_a_400_and_stores_nothing(fresh):
    n = len(httpx.get(fresh.url + "/documents").json())
    r = _post(fresh, bytes(range(0x80, 0x100)) * 20, AUTH, "bad.txt")
    assert r.status_code == 400 and "bad.txt" in r.text
    assert len(httpx.get(fresh.url + "/documents").json()) == n


def test_bad_name_is_refused(fresh):
    assert _post(fresh, b"x", AUTH, "../etc/passwd").status_code == 400


def test_cli_ingest_refuses_a_store_being_served(fresh):
    if isinstance(fresh.store, Virtuoso):
        # a SPARQL server takes other writers: the CLI writes, the server reads it at once
        other = CORPUS / "zero-waste-city-pilot-plan-2018-12-29.txt"
        r = subprocess.run([sys.executable, "-m", "policykg", "ingest", "--store",
                            fresh.store.store, *fresh.store.args, str(other)],
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, **fresh.store.env})
        assert r.returncode == 0, r.stderr
        docs = httpx.get(fresh.url + "/documents").json()
        assert any(d["source"].endswith(other.name) for d in docs), docs
        return
    r = subprocess.run([sys.executable, "-m", "policykg", "ingest", "--store",
                        str(fresh.store), str(SICHUAN)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "a policykg server is serving this store" in r.stderr
