"""A real Virtuoso (Debian's virtuoso-opensource) for the remote-store tests: started with the
repository's deploy/virtuoso/virtuoso.ini in a temporary folder, on free loopback ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INI = ROOT / "deploy" / "virtuoso" / "virtuoso.ini"
USER, PASSWORD = "dba", "dba"  # a fresh database's administrator


@dataclass
class Virtuoso:
    folder: Path
    http_port: int
    proc: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def store(self) -> str:
        """The --store value naming this server."""
        return f"sparql+http://127.0.0.1:{self.http_port}/sparql"

    @property
    def args(self) -> list[str]:
        """The other command-line options policykg needs for it (uploads by the Graph Store
        Protocol; the store-interface tests use INSERT DATA, with the update endpoint only)."""
        return ["--update-endpoint", self.base + "/sparql-auth",
                "--gsp-endpoint", self.base + "/sparql-graph-crud-auth"]

    @property
    def env(self) -> dict[str, str]:
        return {"POLICYKG_STORE_USER": USER, "POLICYKG_STORE_PASSWORD": PASSWORD}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_virtuoso(folder: Path) -> Virtuoso:
    exe = shutil.which("virtuoso-t")
    if exe is None:
        raise RuntimeError("virtuoso-t not found: install Debian's virtuoso-opensource "
                           "(.ci/run does)")
    folder.mkdir(parents=True, exist_ok=True)
    http, sql = _free_port(), _free_port()
    ini = INI.read_text(encoding="utf-8").replace("127.0.0.1:8890", f"127.0.0.1:{http}") \
        .replace("127.0.0.1:1111", f"127.0.0.1:{sql}")
    (folder / "virtuoso.ini").write_text(ini, encoding="utf-8")
    log = open(folder / "console.log", "w")
    proc = subprocess.Popen([exe, "+configfile", "virtuoso.ini", "+foreground"], cwd=folder,
                            stdout=log, stderr=subprocess.STDOUT)
    v = Virtuoso(folder, http, proc)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("virtuoso exited: " + (folder / "console.log").read_text())
        try:
            with urllib.request.urlopen(v.base + "/sparql?query=ASK%7B%7D", timeout=2) as r:
                if r.status == 200:
                    return v
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("virtuoso did not answer in 120 s")


def stop_virtuoso(v: Virtuoso) -> None:
    v.proc.terminate()
    try:
        v.proc.wait(30)
    except subprocess.TimeoutExpired:
        v.proc.kill()
        v.proc.wait(10)
