"""Shared fixtures: the bundled corpus and gold live in the repository (corpus/, tests/gold/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOLD = Path(__file__).resolve().parent / "gold"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


def load_gold(name: str) -> dict:
    return json.loads((GOLD / name).read_text(encoding="utf-8"))


# --- a real server: `policykg serve` in its own process, on 127.0.0.1 ---------------------

import contextlib  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from virtuoso import Virtuoso, start_virtuoso, stop_virtuoso  # noqa: E402

TOKEN = "test-token-7d1f"


@dataclass
class Server:
    url: str
    store: Path | Virtuoso
    proc: subprocess.Popen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path | Virtuoso, *args: str, env: dict | None = None) -> Server:
    """`policykg serve` on an embedded store folder, or on a running Virtuoso."""
    port = _free_port()
    if isinstance(store, Virtuoso):
        store_args = ["--store", store.store, *store.args]
        env = {**store.env, **(env or {})}
        logdir = store.folder
    else:
        store_args = ["--store", str(store)]
        logdir = store.parent
    log_path = logdir / f"server-{port}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "policykg", "serve", *store_args, "--port", str(port), *args],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log_text = log_path.read_text()
            raise RuntimeError(f"server exited: {log_text}")
        try:
            # ready once its search index is built (after start-up, in the background)
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                health = json.load(r)
            if health["status"] == "ok":
                return Server(url, store, proc)
            if health["status"] == "degraded":
                proc.kill()
                raise RuntimeError(f"server without search: {health['search_index']['error']}")
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start in 120 s")


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


BACKENDS = ["embedded", "virtuoso"]


@contextlib.contextmanager
def backend_store(backend: str, folder: Path):
    """An empty store of the given backend: a folder for the embedded store, or a Virtuoso
    of its own (started here, stopped after)."""
    if backend == "embedded":
        yield folder / "store"
        return
    v = start_virtuoso(folder / "virtuoso")
    try:
        yield v
    finally:
        stop_virtuoso(v)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """One Virtuoso for the store-interface tests (each test clears it first)."""
    v = start_virtuoso(tmp_path_factory.mktemp("virtuoso-store"))
    yield v
    stop_virtuoso(v)


def open_backend(backend: str, folder: Path, virtuoso: Virtuoso | None):
    """An empty store object of the given backend (the remote one cleared of documents)."""
    from policykg.remote_config import remote_config
    from policykg.remote_store import RemoteStore
    from policykg.store import OxigraphStore

    if backend == "embedded":
        return OxigraphStore(folder / "store")
    assert virtuoso is not None
    store = RemoteStore(remote_config(virtuoso.store, virtuoso.args[1], env=virtuoso.env))
    for d in store.documents():
        store.remove_document(d.graph)
    return store


@pytest.fixture(scope="session", params=BACKENDS)
def server(request, tmp_path_factory) -> Server:
    """The bundled corpus served read-only-by-default, with a token for update tests,
    a 5 s query deadline and a 50-row cap — on each store backend in turn."""
    with backend_store(request.param, tmp_path_factory.mktemp("served")) as store:
        s = start_server(store, "--token", TOKEN, "--query-timeout", "5", "--max-rows", "50")
        yield s
        stop_server(s)
