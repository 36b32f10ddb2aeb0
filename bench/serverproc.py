"""A real `policykg serve` for the load benchmarks: started on a free 127.0.0.1 port, watched
with psutil (the server process and its query workers), stopped at the end."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    url: str
    proc: subprocess.Popen
    log: Path
    ps: psutil.Process = field(init=False)

    def __post_init__(self) -> None:
        self.ps = psutil.Process(self.proc.pid)

    def tree(self) -> list[psutil.Process]:
        """The server and every process under it (query workers, multiprocessing's helper)."""
        try:
            return [self.ps, *self.ps.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def worker_pids(self) -> set[int]:
        return {p.pid for p in self.tree()[1:]}

    def rss_bytes(self) -> int:
        """Resident memory of the whole tree (server + workers)."""
        total = 0
        for p in self.tree():
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the tree: each live process's own and those of the
        children it has reaped (killed query workers, reaped by the fork server they were
        forked from)."""
        total = 0.0
        for p in self.tree():
            try:
                t = p.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total

    def cpu_rate(self, window: float) -> float:
        """CPU seconds per second used by the tree over `window` seconds."""
        c0 = self.cpu_seconds()
        time.sleep(window)
        return (self.cpu_seconds() - c0) / window

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def gone(pid: int) -> bool:
    """The process no longer runs (absent, or a zombie waiting to be reaped)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def serve(store: Path, log: Path, *args: str, env: dict[str, str] | None = None,
          wait_s: float = 300) -> Served:
    """`policykg serve --store STORE` on a free port; returns once /health answers "ok" (its
    search index built: until then search and writes answer 503)."""
    port = free_port()
    fh = log.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "policykg", "serve", "--store", str(store),
                             "--port", str(port), *args], stdout=fh, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    fh.close()
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                health = json.load(r)
            if health["status"] == "ok":
                return Served(url, proc, log)
            if health["status"] == "degraded":
                proc.kill()
                raise SystemExit(f"server without search: {health['search_index']['error']}")
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server did not answer in {wait_s:.0f} s")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]
