"""The server's limit on glibc malloc arenas: taken by glibc, in force for threads started
after it, and left alone where the user set one. Each case runs in a fresh interpreter:
arenas made before the call are kept, so this process's own would blur the count."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import start_server, stop_server

# Eight threads alive at once, each allocating; then the arenas glibc reports.
_SCRIPT = r"""
import ctypes, sys, tempfile, threading
from policykg_api.malloc_arenas import limit_arenas

print(limit_arenas() if sys.argv[1] == "limit" else None)
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
together = threading.Barrier(8)

def work():
    p = libc.malloc(4096)  # a thread's first malloc picks its arena
    together.wait()
    libc.free(p)

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc.fopen.restype, libc.fopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
with tempfile.NamedTemporaryFile(suffix=".xml") as f:
    fp = libc.fopen(f.name.encode(), b"w")
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    print(open(f.name).read().count("<heap nr="))
"""


def _run(mode: str, **env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items()
             if k != "MALLOC_ARENA_MAX" and not k.startswith("GLIBC_TUNABLES")}
    out = subprocess.run([sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True,
                         env={**clean, **env}, timeout=60, check=True).stdout.split()
    return out[0], int(out[1])


def test_with_the_limit_threads_share_two_arenas_and_without_it_each_has_its_own():
    taken, arenas = _run("limit")
    assert taken == "True"
    assert 1 <= arenas <= 2
    _, unlimited = _run("none")
    assert unlimited > 2  # what the limit prevents: here one arena a thread


def test_a_limit_set_in_the_environment_is_left_to_glibc():
    taken, arenas = _run("limit", MALLOC_ARENA_MAX="4")
    assert taken == "False"  # not overridden by ours
    assert 2 < arenas <= 4


_HEAP = 64 << 20  # the size and alignment of a glibc arena's heap on 64-bit


def _heaps(pid: int) -> int:
    """glibc's arenas beyond the main one in a running process: each is a 64 MB-aligned
    anonymous mapping of 64 MB (read-write, the rest reserved)."""
    maps = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        maps.append((start, end, fields[1], len(fields) > 5))
    heaps = 0
    for i, (start, end, perm, named) in enumerate(maps):
        if named or perm != "rw-p" or start % _HEAP != 0:
            continue
        if i + 1 < len(maps):  # the heap's reserved rest, mapped right after it
            next_start, next_end, next_perm, next_named = maps[i + 1]
            if next_start == end and next_perm == "---p" and not next_named:
                end = next_end
        heaps += end - start == _HEAP
    return heaps


def test_the_server_runs_with_the_limit(tmp_path):
    """`policykg serve` takes the limit before its threads start: after building and
    indexing the corpus in its threads it has one arena beside the main one, where without
    the limit (a larger MALLOC_ARENA_MAX set by the user) it has several."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    limited = start_server(tmp_path / "a" / "store")
    try:
        assert _heaps(limited.proc.pid) <= 1
    finally:
        stop_server(limited)
    unlimited = start_server(tmp_path / "b" / "store", env={"MALLOC_ARENA_MAX": "64"})
    try:
        assert _heaps(unlimited.proc.pid) > 1
    finally:
        stop_server(unlimited)
