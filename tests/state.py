"""Helpers for tests that must prove nothing changed (or nothing was lost): a store's state
over HTTP, and a server on a small store of its own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from conftest import CORPUS, Server, start_server

from policykg.build import build_one
from policykg.store import OxigraphStore

SMALL = CORPUS / "state-council-reply-sichuan-2004-10-15.txt"


def store_state(url: str) -> tuple[int, str]:
    """The served store's triple count and the sha256 of its whole N-Quads export."""
    triples = httpx.get(url + "/health", timeout=60).json()["triples"]
    dump = httpx.get(url + "/export", params={"format": "nq"}, timeout=120)
    assert dump.status_code == 200, dump.text
    return triples, hashlib.sha256(dump.content).hexdigest()


def seeded_server(store: Path, *args: str, env: dict | None = None) -> Server:
    """A server on a store holding one small document (so that it does not ingest the whole
    corpus before it starts)."""
    if not store.exists():
        OxigraphStore(store).put_document(build_one(SMALL).graph)
    return start_server(store, *args, env=env)
