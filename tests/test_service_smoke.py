"""The server starts on an empty store, ingests the bundled corpus, and answers."""

from __future__ import annotations

import httpx


def test_health_reports_the_ingested_corpus(server):
    r = httpx.get(server.url + "/health")
    assert r.status_code == 200
    body = r.json()
    assert body["documents"] == 5 and body["triples"] > 8000
    assert "Server-Timing" in r.headers
