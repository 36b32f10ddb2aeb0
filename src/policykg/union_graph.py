"""The embedded store's default graph: the union of its document graphs, each triple once.

Every document is its own named graph; a query that names no dataset reads the default
graph, which SPARQL defines as the merge of those graphs. pyoxigraph 0.5 can answer with the
union of the named graphs (`use_default_graph_as_union`), but returns a triple once for
every graph holding it: a county named by 300 documents comes back 300 times, counts are
wrong, and joins grow with the corpus (at 1M triples "counties per reform item by province"
took 1.6 s and a two-hop CONSTRUCT 2.6 s; read from a stored union, 2 ms and 0.23 s).

So the embedded store keeps that union as its stored default graph, written with each
document graph (in one transaction, or one atomic bulk load): adding a graph adds its
triples to the default graph too; replacing or removing one first takes out of the default
graph the triples that no other named graph holds. A user's SPARQL Update may write any
graph: the union is repaired after it, so what it wrote into the default graph itself is
not kept (it is in no document; telling those triples from ones the update took out of a
document graph would need the store as it was before). A store written before this layout,
or whose repair was cut short (no LAYOUT file), is repaired when it is next opened.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

LAYOUT_FILE = "LAYOUT.policykg"
LAYOUT = "default graph: union of the named graphs, stored (1)\n"

_DEFAULT = ox.DefaultGraph()

# Written with the graph's IRI as pyoxigraph serialises a NamedNode (checked, escaped).
_DROP_FROM_UNION = """DELETE { ?s ?p ?o } WHERE { GRAPH $G { ?s ?p ?o }
  FILTER NOT EXISTS { GRAPH ?other { ?s ?p ?o } FILTER(?other != $G) } } ;
DROP SILENT GRAPH $G"""
# The default graph made the union again after a write that may have touched any graph (a
# user's SPARQL Update) or none of it yet (a store from before this layout): what no named
# graph holds out, what some named graph holds in. Cost grows with the store, not with the
# change: 11.9 s on a 1M-triple store with nothing to repair, 40 s filling it from nothing.
REPAIR = """DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } } ;
INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } FILTER NOT EXISTS { ?s ?p ?o } }"""
DROP_STRAYS = REPAIR.split(" ;")[0]
# Triples in the default graph that no named graph holds (only a raw write makes them).
STRAYS = """SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o
  FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"""


def union_options(reader: object) -> dict[str, bool]:
    """What a reader's `query` needs for its default graph to be the union of the document
    graphs: nothing from an embedded store (its default graph is that union); a remote store
    asks its server for the union."""
    return {} if isinstance(reader, ox.Store) else {"use_default_graph_as_union": True}


def has_layout(path: Path) -> bool:
    return (path / LAYOUT_FILE).exists()


def unmark_layout(path: Path) -> None:
    """Before a write that leaves the union to be repaired after it: if the process dies in
    between, the next opening for writing repairs it."""
    (path / LAYOUT_FILE).unlink(missing_ok=True)


def mark_layout(path: Path) -> None:
    tmp = path / (LAYOUT_FILE + ".tmp")
    tmp.write_text(LAYOUT, encoding="ascii")
    tmp.replace(path / LAYOUT_FILE)


def nquads_with_union(graphs: Iterable[tuple[str, bytes]]) -> bytes:
    """N-Quads of new document graphs, given as (IRI, N-Triples), and of their copies in the
    default graph. N-Triples as our writers write them (one triple per line, each ending in
    " .\n"; a line break inside a literal is escaped) take the graph by a replacement;
    anything else is parsed."""
    out: list[bytes] = []
    for iri, nt in graphs:
        graph = ox.NamedNode(iri)
        if nt.count(b"\n") == nt.count(b" .\n") and nt.endswith(b"\n"):
            named = nt.replace(b" .\n", f" {graph} .\n".encode())
        else:
            triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
            named = ox.serialize([ox.Quad(t.subject, t.predicate, t.object, graph)
                                  for t in triples], format=ox.RdfFormat.N_QUADS) or b""
            nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        out += (named, nt)
    return b"".join(out)


def replace_graph(db: ox.Store, graph: ox.NamedNode, ntriples: bytes) -> None:
    """A stored graph replaced, the default graph kept the union, in one update (one
    transaction). The data is our own N-Triples, escaped by the serialiser."""
    body = ntriples.decode("utf-8")
    db.update(_DROP_FROM_UNION.replace("$G", str(graph))
              + f" ;\nINSERT DATA {{ GRAPH {graph} {{\n{body}}}\n{body}}}")


def remove_graph(db: ox.Store, graph: ox.NamedNode) -> None:
    """A graph removed and its triples that no other graph holds, in one transaction."""
    db.update(_DROP_FROM_UNION.replace("$G", str(graph)))


class UnionCopies:
    """For a bulk load: copies in the default graph of the triples of a dataset file's named
    graphs, loaded beside the file itself (`with UnionCopies(db, path, fmt): db.bulk_load(…)`).
    In a thread, a second reading of the file (lenient: the load of the file checks it) is
    written as N-Triples to a temporary file beside the store, which pyoxigraph's bulk
    loader then reads by path, in Rust, while the file's own load goes on. Quads in the
    file's own default graph are counted in `outside` (documents are named graphs: the
    caller takes them out with DROP_STRAYS).

    Measured at 1M triples, runs in turn on one machine: 16.1–17.4 s with the copies made as
    Python objects and bulk-extended; 13.6–14.9 s streamed through a pipe into a second
    bulk loader, whose reads from Python waited on the GIL held by the thread writing the
    pipe (at 10M, 165.6 s against pyoxigraph's 78.2 s for the file alone); see bench/ for
    this way's figures.

    `reading` wraps the file as this reading takes it (a progress count: the file's own load
    reads it by path, in Rust). Not atomic with the file's load: the caller marks the store
    as needing repair until both are in (`unmark_layout`)."""

    def __init__(self, db: ox.Store, path: Path, fmt: ox.RdfFormat, work_dir: Path,
                 reading: Callable[[BinaryIO], BinaryIO] = lambda f: f) -> None:
        self.db, self.path, self.fmt, self.reading = db, path, fmt, reading
        self.work_dir = work_dir
        self.outside = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="union-copies")

    def _triples(self) -> Iterator[ox.Triple]:
        with open(self.path, "rb") as f:
            for q in ox.parse(self.reading(f), format=self.fmt, lenient=True):
                if self._stop.is_set():
                    return
                if isinstance(q.graph_name, ox.DefaultGraph):
                    self.outside += 1
                else:
                    yield q.triple

    def _run(self) -> None:
        try:
            with tempfile.NamedTemporaryFile(dir=self.work_dir, prefix="union-copies-",
                                             suffix=".nt") as tmp:
                ox.serialize(self._triples(), tmp, format=ox.RdfFormat.N_TRIPLES)
                tmp.flush()
                if not self._stop.is_set():
                    self.db.bulk_load(path=tmp.name, format=ox.RdfFormat.N_TRIPLES,
                                      to_graph=_DEFAULT, lenient=True)
        except BaseException as e:  # raised by __exit__, in the caller's thread
            self.error = e

    def __enter__(self) -> UnionCopies:
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            self._stop.set()  # the file's load failed: stop reading it
        self._thread.join()
        if exc_type is None and self.error is not None:
            raise self.error
