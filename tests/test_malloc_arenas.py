"""The server's limit on glibc malloc arenas: taken by glibc, in force for threads started
after it, and left alone where the user set one. Each case runs in a fresh interpreter:
arenas made before the call are kept, so this process's own would blur the count."""

from __future__ import annotations

import os
import subprocess
import sys

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
