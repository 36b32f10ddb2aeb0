"""The store: one small interface (`GraphStore`) with two implementations — embedded Oxigraph
here, any SPARQL 1.1 server in `remote_store`.

A document is one named graph. Putting a document replaces its graph in a single SPARQL
Update (one Oxigraph transaction), so a reader sees the old graph or the new one, never a
mix; a document whose content hash is unchanged is left alone. The RocksDB files are opened
read-write only for the duration of a write: readers (the service's query workers) open
them read-only and reopen after each write, which `generation` tells them about.

The embedded store's default graph holds the union of its document graphs, each triple once,
written in the same transaction as each document (why, and the files that say so: see
`union_layout`). Readers get a `UnionReader`, which answers as a store whose named graphs are
the documents and whose default graph is their union.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox
from rdflib import Graph

from policykg import union_layout as layout
from policykg.vocab import PKG

if TYPE_CHECKING:
    from policykg.remote_config import RemoteConfig

FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
           "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
           "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


class StoreError(RuntimeError):
    """A store that cannot be opened or written (locked by a server, corrupt, …)."""


@dataclass(frozen=True)
class DocumentInfo:
    graph: str
    document: str
    content_hash: str
    source: str


@dataclass
class LoadReport:
    """What a bulk load of an RDF dataset file did."""
    graphs: int = 0
    triples: int = 0
    seconds: float = 0.0
    outside_graphs: int = 0  # triples in the file's default graph (skipped)

    @property
    def triples_per_s(self) -> float:
        return self.triples / self.seconds if self.seconds else 0.0


def default_store_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(os.environ.get("POLICYKG_STORE") or Path(base) / "policykg" / "store")


class GraphStore:
    """What the pipeline and the service need from a store. Reads go through `reader()`,
    which answers `query`, `quads_for_pattern`, `contains_named_graph` and `len` like a
    pyoxigraph Store (for the remote store it is the store itself); everything here is
    written on those, so both stores give the same answers."""

    path: Path | None = None

    @property
    def location(self) -> str:
        raise NotImplementedError

    @property
    def generation(self) -> int:
        raise NotImplementedError

    def reader(self):
        raise NotImplementedError

    def put_document(self, graph: Graph) -> str:
        raise NotImplementedError

    def remove_document(self, graph: str) -> bool:
        raise NotImplementedError

    def bulk_load(self, path: Path, on_progress: Callable[[int], None] | None = None
                  ) -> LoadReport:
        raise NotImplementedError

    def update(self, sparql: str) -> None:
        """A user's SPARQL Update (the service's /sparql with the token)."""
        with self.writer() as db:
            db.update(sparql)

    def outside_triples(self, in_graphs: int) -> int:
        """Triples in no document graph (a dump leaves them out), given how many the graphs
        hold."""
        return max(0, len(self) - in_graphs)

    def claim_for_serving(self) -> int:
        return -1

    def ensure_not_served(self) -> None:
        return None

    # --- documents ----------------------------------------------------------------------------
    def document_hash(self, graph: str) -> str | None:
        g = ox.NamedNode(graph)
        for q in self.reader().quads_for_pattern(g, ox.NamedNode(str(PKG.contentHash)), None, g):
            return q.object.value
        return None

    def documents(self) -> list[DocumentInfo]:
        rows = self.reader().query(
            """PREFIX pkg: <https://w3id.org/policykg/ontology#>
            SELECT ?g ?d ?h ?f WHERE { GRAPH ?g { ?g a pkg:DocumentGraph ;
              pkg:describes ?d ; pkg:contentHash ?h . OPTIONAL { ?g pkg:sourceFile ?f } } }
            ORDER BY ?g""")
        return [DocumentInfo(r["g"].value, r["d"].value, r["h"].value,
                             r["f"].value if r["f"] else "") for r in rows]

    def __len__(self) -> int:
        return len(self.reader())

    def is_empty(self) -> bool:
        return len(self) == 0

    def union_size(self) -> int:
        """Distinct triples over all document graphs (`len` counts their quads)."""
        return _count(self.reader(), "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o "
                                     "WHERE { GRAPH ?g { ?s ?p ?o } } }")

    # --- reading ------------------------------------------------------------------------------
    def query(self, sparql: str, **options: object) -> object:
        return self.reader().query(sparql, **options)

    def quads(self, graph: str | None) -> Iterable[ox.Quad]:
        g = ox.NamedNode(graph) if graph is not None else None
        return self.reader().quads_for_pattern(None, None, None, g)

    def export(self, fmt: str, graph: str | None = None) -> bytes:
        """The whole store (or one document graph) serialised; datasets formats keep
        graphs, triple formats get the union."""
        f = FORMATS[fmt]
        quads = self.quads(graph)
        if f.supports_datasets:
            return ox.serialize(sorted(quads, key=str), format=f) or b""
        triples = sorted({q.triple for q in quads}, key=str)
        return ox.serialize(triples, format=f) or b""

    def stats(self) -> dict[str, int]:
        rows = self.reader().query(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } } "
            "GROUP BY ?c ORDER BY DESC(?n) ?c")
        return {r["c"].value: int(r["n"].value) for r in rows}


class OxigraphStore(GraphStore):
    """Embedded Oxigraph on disk (or in memory when `path` is None)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory = ox.Store() if path is None else None
        self._reader: UnionReader | None = None
        self._reader_generation = -1
        self._generation_file = None if path is None else str(path / "GENERATION.policykg")
        self._generation_seen: tuple[tuple[int, int, int] | None, int] = (None, 0)
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            if not (path / "CURRENT").exists():
                (path / layout.FORMAT_FILE).write_text(layout.FORMAT_TEXT)  # empty: it holds
                with self.writer():
                    pass  # create an empty database so readers can open it

    # --- opening ----------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        """Bumped after every write; readers reopen when it changes. Read on every request
        (a few times), so the file is read again only when a stat says it was replaced: a
        bump writes a new file (inode, mtime), whichever process wrote it. (Two bumps by
        other processes within one mtime tick that also reuse the inode would go unseen; a
        bump opens and closes RocksDB, which takes far longer than a tick.)"""
        if self.path is None:
            return 0
        stamp = self._generation_stamp()
        if stamp is None:
            return 0
        if self._generation_seen[0] != stamp:
            try:
                with open(self._generation_file, encoding="ascii") as f:
                    value = int(f.read())
            except (FileNotFoundError, ValueError):
                return 0
            self._generation_seen = (stamp, value)
        return self._generation_seen[1]

    def _generation_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._generation_file)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _bump(self) -> None:
        assert self.path is not None
        tmp = self.path / "GENERATION.policykg.tmp"
        value = self.generation + 1
        tmp.write_text(str(value))
        tmp.replace(self._generation_file)
        # this process wrote it: no need to read it back
        self._generation_seen = (self._generation_stamp(), value)

    class _Handle:
        """The read-write store as the `with` block sees it. The block's `as db` name
        outlives the block (until its function returns, or in a traceback), so it must not
        hold the RocksDB store itself: a store left open keeps compacting, deleting the
        files that a reader opened after the write (the generation bumped) is reading — a
        reader then failed with "Corruption: … .sst: No such file or directory". At the
        block's end the handle lets go of the store, which closes it at once."""

        __slots__ = ("_db",)

        def __init__(self, db: ox.Store) -> None:
            self._db: ox.Store | None = db

        def _live(self) -> ox.Store:
            if self._db is None:
                raise StoreError("the store was written and closed: write inside the "
                                 "`with store.writer()` block")
            return self._db

        def __getattr__(self, name: str):
            return getattr(self._live(), name)

        def __len__(self) -> int:
            return len(self._live())

    class _Writing:
        def __init__(self, store: OxigraphStore) -> None:
            self.store = store
            self.db: ox.Store | None = None
            self.handle: OxigraphStore._Handle | None = None
            self._lock: int | None = None

        def __enter__(self) -> ox.Store:
            s = self.store
            if s._memory is not None:
                return s._memory
            assert s.path is not None
            self._lock = os.open(s.path / "WRITE.lock", os.O_CREAT | os.O_RDWR)
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(self._lock)
                raise StoreError(f"{s.path}: another policykg process is writing to this "
                                 "store; try again when it has finished") from None
            try:
                self.db = ox.Store(str(s.path))
            except OSError as e:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
                os.close(self._lock)
                raise StoreError(f"{s.path}: cannot open the store for writing: {e}") from e
            self.handle = OxigraphStore._Handle(self.db)
            if not layout.materialised(s.path):
                _mend_union(self.db, s.path)
            return self.handle  # type: ignore[return-value]  # it behaves as the store

        def __exit__(self, *exc: object) -> None:
            if self.db is not None:
                self.db.flush()
                if self.handle is not None:
                    self.handle._db = None
                self.db = None  # the last reference: closes RocksDB, so readers may reopen
                self.store._bump()
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
                os.close(self._lock)

    def writer(self) -> OxigraphStore._Writing:
        """A context manager giving the read-write store; one writer at a time."""
        return OxigraphStore._Writing(self)

    def reader(self) -> UnionReader:
        """A store to read from, current as of the last write."""
        if self._memory is not None:
            return UnionReader(self._memory, True)
        assert self.path is not None
        gen = self.generation
        if self._reader is None or gen != self._reader_generation:
            self._reader = None
            try:
                self._reader = UnionReader(ox.Store.read_only(str(self.path)),
                                           layout.materialised(self.path))
            except OSError as e:
                raise StoreError(f"{self.path}: cannot open the store: {e}") from e
            self._reader_generation = gen
        return self._reader

    # --- a server's claim ------------------------------------------------------------------
    def claim_for_serving(self) -> int:
        """Held by `policykg serve` for its lifetime: other processes must not write the
        files under its readers. Returns the lock's file descriptor (keep it open)."""
        if self.path is None:
            return -1
        fd = os.open(self.path / "SERVING.lock", os.O_CREAT | os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(f"{self.path}: already served by another policykg server") from None
        return fd

    def ensure_not_served(self) -> None:
        """For writers outside the server (the ingest command)."""
        if self.path is None:
            return
        fd = os.open(self.path / "SERVING.lock", os.O_CREAT | os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"{self.path}: a policykg server is serving this store; ingest through it "
                "(POST /ingest with its token) or stop it first") from None
        finally:
            os.close(fd)  # closing drops a lock we got

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else "(in memory)"

    # --- writing ------------------------------------------------------------------------------
    def put_document(self, graph: Graph) -> str:
        """Add or replace one document's named graph. Returns 'added', 'replaced' or
        'unchanged' (same content hash already stored)."""
        gid = str(graph.identifier)
        new_hash = next((str(o) for o in graph.objects(graph.identifier, PKG.contentHash)), None)
        old_hash = self.document_hash(gid)
        if old_hash is not None and old_hash == new_hash:
            return "unchanged"
        node = ox.NamedNode(gid)  # refuses anything that is not an IRI
        data = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
        # Our own N-Triples, escaped by the serialiser, inside one update = one transaction:
        # the document's graph and the union in the default graph change together.
        with self.writer() as db:
            db.update(_dropping(node) + f"INSERT DATA {{\n{data}GRAPH {node} {{\n{data}}} }}")
        return "added" if old_hash is None else "replaced"

    def remove_document(self, graph: str) -> bool:
        node = ox.NamedNode(graph)
        if not self.reader().contains_named_graph(node):
            return False
        with self.writer() as db:
            db.update(_dropping(node).rstrip(" ;\n"))
        return True

    def outside_triples(self, in_graphs: int) -> int:
        """The default graph holds the union: what it holds beyond it (written by hand)."""
        return _count(self.reader().db, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o "
                                        "FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }")

    def union_size(self) -> int:
        reader = self.reader()
        if not reader.materialised:
            return super().union_size()
        return _count(reader.db, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")

    def update(self, sparql: str) -> None:
        """A user's SPARQL Update, rewritten to keep the union (see `user_update`); its
        syntax is checked first, on an empty store (raises SyntaxError)."""
        from policykg.user_update import rewrite  # (rdflib's SPARQL parser: only here)

        with contextlib.suppress(RuntimeError, OSError):  # what only the real run can tell
            ox.Store().update(sparql)
        with self.writer() as db:
            db.update(rewrite(db, sparql))

    def bulk_load(self, path: Path, on_progress: Callable[[int], None] | None = None
                  ) -> LoadReport:
        """An N-Quads (or TriG) file of document graphs, with Oxigraph's bulk loader; then
        the union of the graphs is made again in the default graph. Into an empty store the
        file is loaded as it is (the fast path: a failed load is finished by loading again);
        otherwise each graph named in the file replaces the stored one first. Not one
        transaction (the store is marked until the union is whole again, see
        `union_layout`): for documents that must be all-or-nothing, `ingest` text."""
        fmt = _dataset_format(path)
        start = time.perf_counter()
        empty = self.is_empty()
        stale = None if self.path is None else self.path / layout.STALE_FILE
        outside = 0

        def quads(f: BinaryIO) -> Iterator[ox.Quad]:
            """Each quad and its copy in the default graph, in one pass of the bulk loader
            (at 1M quads 26 s against 20 s for the quads alone; copying after the load took
            53 s in all)."""
            nonlocal outside
            for q in ox.parse(_Counting(f, on_progress), format=fmt):
                if isinstance(q.graph_name, ox.DefaultGraph):
                    outside += 1  # documents are named graphs: skipped, as remotely
                    continue
                yield q
                yield ox.Quad(q.subject, q.predicate, q.object)

        with self.writer() as db, open(path, "rb") as f:
            if stale is not None:
                stale.write_text("the default graph is being made again\n")
            before = 0
            if not empty:
                names = {q.graph_name for q in ox.parse(path=str(path), format=fmt)
                         if isinstance(q.graph_name, ox.NamedNode)}
                for name in names:
                    db.update(_dropping(name).rstrip(" ;\n"))
                before = _named_count(db)
            db.bulk_extend(quads(f))
            db.flush()
            triples = _named_count(db) - before
            graphs = sum(1 for _ in db.named_graphs())
            if stale is not None:
                stale.unlink()
        return LoadReport(graphs, triples, time.perf_counter() - start, outside)


class UnionReader:
    """The store read-only, answering as a pyoxigraph Store whose named graphs are the
    documents and whose default graph is their union, each triple once: `query` sees that
    union as its default graph (`use_default_graph_as_union`, which the remote store needs,
    is taken and dropped), `quads_for_pattern` with no graph gives the document graphs'
    quads, `triples` reads the union, `len` counts the document graphs' quads. A store not
    yet in that layout (see `union_layout`) is read through pyoxigraph's own union."""

    __slots__ = ("db", "materialised")

    def __init__(self, db: ox.Store, materialised: bool) -> None:
        self.db = db
        self.materialised = materialised

    def query(self, sparql: str, use_default_graph_as_union: bool = False, **options: object):
        if not self.materialised and use_default_graph_as_union:
            options["use_default_graph_as_union"] = True
        return self.db.query(sparql, **options)  # type: ignore[arg-type]

    def quads_for_pattern(self, s=None, p=None, o=None, g=None) -> Iterator[ox.Quad]:
        quads = self.db.quads_for_pattern(s, p, o, g)
        if g is not None:
            return iter(quads)
        return (q for q in quads if not isinstance(q.graph_name, ox.DefaultGraph))

    def triples(self, s=None, p=None, o=None) -> Iterator[ox.Triple]:
        if not self.materialised:
            return iter(dict.fromkeys(q.triple for q in self.quads_for_pattern(s, p, o)))
        return (q.triple for q in self.db.quads_for_pattern(s, p, o, ox.DefaultGraph()))

    def contains_named_graph(self, g: ox.NamedNode) -> bool:
        return self.db.contains_named_graph(g)

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return self.db.named_graphs()

    def __len__(self) -> int:
        return _named_count(self.db) if self.materialised else len(self.db)


_NAMED_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _named_count(db: ox.Store) -> int:
    return _count(db, _NAMED_COUNT)


def _count(db, sparql: str) -> int:
    """The ?n of a COUNT query."""
    return int(next(iter(db.query(sparql)))["n"].value)  # type: ignore[index]


def _dropping(graph: ox.NamedNode) -> str:
    """Update operations that drop a document graph and, from the default graph, its
    triples that no other graph holds (the rest of the union stays)."""
    return (f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} FILTER NOT EXISTS "
            f"{{ GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != {graph}) }} }} ;\n"
            f"DROP SILENT GRAPH {graph} ;\n")


def _default_copies(db: ox.Store) -> Iterator[ox.Quad]:
    """Each named graph's quads as default-graph quads (the bulk loader drops repeats)."""
    for q in db.quads_for_pattern(None, None, None, None):
        if not isinstance(q.graph_name, ox.DefaultGraph):
            yield ox.Quad(q.subject, q.predicate, q.object)


def _rebuild_union(db: ox.Store) -> None:
    """The default graph made again from the named graphs (not one transaction)."""
    db.clear_graph(ox.DefaultGraph())
    db.bulk_extend(_default_copies(db))
    db.flush()


def _mend_union(db: ox.Store, path: Path) -> None:
    """Bring a store to the union layout before it is written: one made by an older policykg
    (its default-graph triples were a user's own: kept in the user graph), or one whose
    union was cut short (`UNION-STALE.policykg`: only the named graphs count)."""
    from policykg.user_update import USER_GRAPH

    if not (path / layout.FORMAT_FILE).is_file():
        db.update(f"INSERT {{ GRAPH <{USER_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}")
    _rebuild_union(db)
    (path / layout.FORMAT_FILE).write_text(layout.FORMAT_TEXT)
    (path / layout.STALE_FILE).unlink(missing_ok=True)


class _Counting(io.RawIOBase):
    """A file that reports how many bytes were read (for a progress bar)."""

    def __init__(self, f: BinaryIO, on_progress: Callable[[int], None] | None) -> None:
        self.f, self.on_progress = f, on_progress

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self.f.readinto(b)
        if n and self.on_progress:
            self.on_progress(n)
        return n or 0


def _dataset_format(path: Path) -> ox.RdfFormat:
    fmt = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}.get(path.suffix.lower())
    if fmt is None:
        raise StoreError(f"{path}: bulk load reads N-Quads (.nq) or TriG (.trig) files")
    return fmt


def iter_chunks(data: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def open_store(spec: Path | RemoteConfig | None) -> GraphStore:
    """The embedded store at a folder (None: the default folder), or a remote one."""
    from policykg.remote_config import RemoteConfig

    if isinstance(spec, RemoteConfig):
        from policykg.remote_store import RemoteStore

        return RemoteStore(spec)
    return OxigraphStore(spec or default_store_dir())
