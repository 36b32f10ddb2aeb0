"""Fewer C heaps (glibc malloc arenas) in the server process, for flat memory under ingest.

Each thread that calls malloc gets an arena of its own, up to eight per core. The server reads
documents in a pool of threads (`/ingest`: segmentation, extraction, SHACL validation, all
allocating heavily), and the store has threads of its own, so the server ended up with
many arenas, each holding freed memory that it does not hand back. Soaks
(`bench/soak.py`, the same code but for this limit):
- without it, over 10 minutes the server process grew from 473 to 735 MB, +57 MB of it in
  the second half, and the run failed its check on memory growth; in two 5-minute runs it
  grew from 477 to 627 MB (failed) and from 487 to 568 MB (passed);
- with two arenas, over 10 minutes it grew from 437 to 512 MB (543 at most), +0.7 MB in the
  second half.
The threads hold Python's GIL while they allocate, so sharing arenas adds little waiting.

glibc only: elsewhere (musl, macOS) there is no `mallopt` and nothing is changed. An
explicit `MALLOC_ARENA_MAX` (or the `glibc.malloc.arena_max` tunable) in the environment is
left to glibc, which has already read it."""

from __future__ import annotations

import ctypes
import os

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_arenas(n: int = ARENAS) -> bool:
    """Allow at most `n` malloc arenas from now on; True if glibc took the setting. Call it
    before the process starts its threads: arenas already made are kept."""
    if "MALLOC_ARENA_MAX" in os.environ or "arena_max" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(_M_ARENA_MAX, n) == 1
