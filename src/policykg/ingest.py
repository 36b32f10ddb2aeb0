"""Ingest: build each document, validate it alone, and put it into the store. A document
that fails the shapes is refused (nothing of it is stored); the others go in.

Building and validating a document need nothing from the store: for ~10 KB of text (~2,100
triples) ~17 ms extracting, ~14 ms mapping, ~2 ms writing N-Triples and ~37 ms validating
(rudof; pySHACL took ~0.3 s). With several files they run in worker processes, one
document per task, which hand over the N-Triples text (bytes, not an rdflib graph to pickle
and unpickle). The store is written from this process alone, in the order of the files, in
one `batch` (see the store's: the embedded one bulk-loads each second's new documents).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from policykg.build import build_one, input_files
from policykg.ids import DEFAULT_BASE
from policykg.store import DocumentData, GraphStore
from policykg.validate import validate

# Below this many files a pool costs more to start than it saves (a worker loads the
# segmenter, tables and shapes: ~2 s).
MIN_FILES_FOR_POOL = 8


@dataclass
class IngestReport:
    outcomes: dict[str, list[str]] = field(default_factory=dict)  # outcome → file names
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def count(self, outcome: str) -> int:
        return len(self.outcomes.get(outcome, []))


@dataclass
class Checked:
    """One document built and validated: its graph, or why it is refused."""

    path: Path
    data: DocumentData | None = None
    refusal: str | None = None
    unchanged: bool = False  # stored already with this content hash: not validated again


def check(path: Path, base: str = DEFAULT_BASE,
          stored: Mapping[str, str] | None = None) -> Checked:
    """Build and validate one file; `stored` (graph → content hash of what the store holds)
    lets a document stored unchanged skip validation, so that re-running an interrupted
    ingest goes straight to the documents it had not reached."""
    doc = build_one(path, base)
    mapped = doc.mapped
    if doc.error or mapped is None:
        return Checked(path, refusal=doc.error or "no graph")
    if stored and stored.get(str(mapped.identifier)) == mapped.content_hash:
        return Checked(path, unchanged=True)
    v = validate(mapped)  # from its N-Triples, which the store then takes as they are
    if not v.conforms:
        first = v.violations()[0]
        return Checked(path, refusal=f"{len(v.violations())} SHACL violations, "
                                     f"e.g. {first.message}")
    return Checked(path, data=DocumentData.of_mapped(mapped))


def default_jobs(n_files: int) -> int:
    if n_files < MIN_FILES_FOR_POOL:
        return 1
    return max(1, min(os.cpu_count() or 1, n_files))


def _exit_with(parent: int) -> None:
    """A pool worker's initializer: exit once the ingesting process is gone. Killed outright
    (SIGKILL, the OOM killer) it cannot stop its pool, whose workers would otherwise stay,
    each holding the segmenter, tables and shapes (~300 MB), and with them the forkserver."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def checked(files: list[Path], base: str, jobs: int,
            stored: Mapping[str, str] | None = None) -> Iterator[Checked]:
    """Each file built and validated, in the order given."""
    if jobs <= 1:
        for path in files:
            yield check(path, base, stored)
        return
    # Not fork: the command's progress bar runs a thread, and a fork taken while it holds
    # the stderr lock would leave a worker stuck on its first log line.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
        else "spawn"
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                             initializer=_exit_with, initargs=(os.getpid(),)) as pool:
        yield from pool.map(check, files, [base] * len(files), [stored] * len(files),
                            chunksize=1)


def ingest(paths: Iterable[Path], store: GraphStore, base: str = DEFAULT_BASE,
           on_file: Callable[[Path], None] | None = None, jobs: int | None = None) -> IngestReport:
    report = IngestReport()
    files = input_files(paths)
    stored = {d.graph: d.content_hash for d in store.documents()}
    with store.batch() as batch:
        for c in checked(files, base, jobs if jobs is not None else default_jobs(len(files)),
                         stored):
            if c.unchanged:
                report.outcomes.setdefault("unchanged", []).append(c.path.name)
            elif c.data is None:
                report.refused.append((c.path.name, c.refusal or "no graph"))
            else:
                report.outcomes.setdefault(batch.put(c.data), []).append(c.path.name)
            if on_file:
                on_file(c.path)
    return report
