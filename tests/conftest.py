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

import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass  # noqa: E402

TOKEN = "test-token-7d1f"


@dataclass
class Server:
    url: str
    store: Path
    proc: subprocess.Popen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, *args: str, env: dict | None = None) -> Server:
    port = _free_port()
    log = open(store.parent / f"server-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "policykg", "serve", "--store", str(store), "--port", str(port),
         *args], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log_text = (store.parent / f"server-{port}.log").read_text()
            raise RuntimeError(f"server exited: {log_text}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return Server(url, store, proc)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start in 120 s")


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """The bundled corpus served read-only-by-default, with a token for update tests,
    a 5 s query deadline and a 50-row cap."""
    store = tmp_path_factory.mktemp("served") / "store"
    s = start_server(store, "--token", TOKEN, "--query-timeout", "5", "--max-rows", "50")
    yield s
    stop_server(s)
