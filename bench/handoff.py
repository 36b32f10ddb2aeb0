"""What the machine itself adds to /sparql: handing work to a process that has been idle,
and running the server's code after it idled. Measured so that the added milliseconds can
be read as the server's work or the machine's.

Every /sparql request wakes the server, then a query worker process, the server again and
the client. On a virtual machine whose idle CPUs halt at once (no halt polling), a wake-up
of a process on another CPU goes through the hypervisor, and a process that has idled finds
its CPU caches cold. In the benchmark's mix each request comes right after the direct run
of the same query, during which the server and its worker sat idle.

Linux only (fork, /proc); elsewhere the figures are None."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def _spin(seconds: float) -> None:
    """Busy for `seconds`, as the benchmark is while it runs a query directly."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def pipe_round_trip_us(partner_idle_s: float, rounds: int = 200) -> float | None:
    """Median µs of a one-byte round trip to a child process over two pipes; before each,
    the child has waited `partner_idle_s` seconds for it while this process was busy."""
    if not hasattr(os, "fork"):
        return None
    to_child, from_parent = os.pipe()
    from_child, to_parent = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: echo each byte until told to stop
        try:
            while os.read(to_child, 1) == b"p":
                os.write(to_parent, b"x")
        finally:
            os._exit(0)
    times = []
    try:
        for _ in range(rounds):
            _spin(partner_idle_s)
            t = time.perf_counter()
            os.write(from_parent, b"p")
            os.read(from_child, 1)
            times.append(time.perf_counter() - t)
    finally:
        os.write(from_parent, b"q")
        os.waitpid(pid, 0)
        for fd in (to_child, from_parent, from_child, to_parent):
            os.close(fd)
    return statistics.median(times) * 1e6


def machine_figures() -> dict[str, float | None]:
    """The hand-off to another process: back to back, and after it idled 10 ms."""
    return {"handoff_us_busy": pipe_round_trip_us(0.0),
            "handoff_us_after_idle": pipe_round_trip_us(0.010)}


def _main_thread_cpu_s(pid: int) -> float | None:
    """CPU time of a process's main thread — the server's event loop — from the
    scheduler's own count (nanoseconds; the tick-based counts are 10 ms coarse)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def server_cost(pid: int, send: Callable[[], object], pause_s: float, n: int
                ) -> dict[str, float] | None:
    """Per request, sent `n` times with `pause_s` of this process busy before each: the
    server's event-loop CPU ms and the client's median wall ms."""
    for _ in range(5):
        send()
    start = _main_thread_cpu_s(pid)
    if start is None:
        return None
    walls = []
    for _ in range(n):
        _spin(pause_s)
        t = time.perf_counter()
        send()
        walls.append(time.perf_counter() - t)
    cpu = _main_thread_cpu_s(pid)
    if cpu is None:
        return None
    return {"cpu_ms": (cpu - start) / n * 1000, "wall_ms": statistics.median(walls) * 1000}


def server_figures(pid: int, send: Callable[[], object]) -> dict[str, float | None]:
    """A cheap request (`send`) back to back, and each after a 20 ms pause: what the server
    spends on the same work when it has idled."""
    hot = server_cost(pid, send, 0.0, 400)
    cold = server_cost(pid, send, 0.020, 100)
    return {"floor_server_cpu_ms_busy": hot and hot["cpu_ms"],
            "floor_server_cpu_ms_after_pause": cold and cold["cpu_ms"],
            "floor_ms_busy": hot and hot["wall_ms"],
            "floor_ms_after_pause": cold and cold["wall_ms"]}
