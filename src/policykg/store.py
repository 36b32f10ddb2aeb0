"""The store: one small interface (`GraphStore`) with two implementations — embedded Oxigraph
here, any SPARQL 1.1 server in `remote_store`.

A document is one named graph. Putting a document replaces its graph in a single SPARQL
Update (one Oxigraph transaction), so a reader sees the old graph or the new one, never a
mix; a document whose content hash is unchanged is left alone. The RocksDB files are opened
read-write only for the duration of a write: readers (the service's query workers) open
them read-only and reopen after each write, which `generation` tells them about.
"""

from __future__ import annotations

import fcntl
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox
from rdflib import Graph

from policykg import union_graph
from policykg.vocab import PKG

_COUNT_NAMED = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _count(db: ox.Store, query: str) -> int:
    """The number a `SELECT (COUNT(…) AS ?n)` query answers."""
    return int(next(iter(db.query(query)))[0].value)


def content_hash(graph: Graph) -> str | None:
    """The content hash a document's graph states of itself."""
    return next((str(o) for o in graph.objects(graph.identifier, PKG.contentHash)), None)


def _stored_hash(db: ox.Store, graph: ox.NamedNode) -> str | None:
    """The content hash of the document graph `graph` as `db` holds it."""
    return next((q.object.value for q in db.quads_for_pattern(
        graph, ox.NamedNode(str(PKG.contentHash)), None, graph)), None)

if TYPE_CHECKING:
    from policykg.doc_graph import DocumentGraph
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


@dataclass(frozen=True)
class DocumentData:
    """One document's graph as a store takes it: N-Triples, serialised where the document was
    built (an ingest worker), so the writing process only hands bytes to the store."""

    graph: str
    content_hash: str | None
    ntriples: bytes

    @classmethod
    def of(cls, graph: Graph) -> DocumentData:
        return cls.of_text(str(graph.identifier), content_hash(graph),
                           graph.serialize(format="nt", encoding="utf-8"))

    @classmethod
    def of_mapped(cls, mapped: DocumentGraph) -> DocumentData:
        """From the mapper's output, its N-Triples as the mapper wrote them."""
        return cls.of_text(str(mapped.identifier), mapped.content_hash, mapped.text().ntriples)

    @classmethod
    def of_text(cls, graph: str, content_hash: str | None, ntriples: str | bytes
                ) -> DocumentData:
        ox.NamedNode(graph)  # a valid IRI, or ValueError before anything is written
        data = ntriples.encode("utf-8") if isinstance(ntriples, str) else ntriples
        return cls(graph, content_hash, data)


class DocumentBatch:
    """Puts documents one after another, each in its own transaction (all of a document or
    none of it), sharing what a store can share between them: the embedded store opens its
    files for writing once per batch instead of once per document."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def put(self, doc: DocumentData) -> str:
        """'added', 'replaced' or 'unchanged' (the same content hash already stored)."""
        raise NotImplementedError


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
        """Add or replace one document's named graph, whole or not at all."""
        return self.put(DocumentData.of(graph))

    def put(self, doc: DocumentData) -> str:
        """`put_document` for a graph already in N-Triples."""
        with self.batch() as batch:
            return batch.put(doc)

    def batch(self):
        """A context manager giving a `DocumentBatch`."""
        raise NotImplementedError

    def remove_document(self, graph: str) -> bool:
        raise NotImplementedError

    def user_update(self, sparql: str) -> None:
        """Run a user's SPARQL Update (one transaction)."""
        with self.writer() as db:
            db.update(sparql)

    def bulk_load(self, path: Path, on_progress: Callable[[int], None] | None = None
                  ) -> LoadReport:
        raise NotImplementedError

    def claim_for_serving(self) -> int:
        return -1

    def ensure_not_served(self) -> None:
        return None

    # --- documents ----------------------------------------------------------------------------
    def document_hash(self, graph: str) -> str | None:
        return _stored_hash(self.reader(), ox.NamedNode(graph))

    def documents(self) -> list[DocumentInfo]:
        rows = self.reader().query(
            """PREFIX pkg: <https://w3id.org/policykg/ontology#>
            SELECT ?g ?d ?h ?f WHERE { GRAPH ?g { ?g a pkg:DocumentGraph ;
              pkg:describes ?d ; pkg:contentHash ?h . OPTIONAL { ?g pkg:sourceFile ?f } } }
            ORDER BY ?g""")
        return [DocumentInfo(r["g"].value, r["d"].value, r["h"].value,
                             r["f"].value if r["f"] else "") for r in rows]

    def __len__(self) -> int:
        """Quads in the document graphs."""
        return len(self.reader())

    def is_empty(self) -> bool:
        return len(self) == 0

    def stray_triples(self) -> int:
        """Triples in the default graph that no document graph holds (a store keeps only
        document graphs; a dump leaves these out)."""
        return 0

    # --- reading ------------------------------------------------------------------------------
    def query(self, sparql: str, **options: object) -> object:
        return self.reader().query(sparql, **options)

    def quads(self, graph: str | None) -> Iterable[ox.Quad]:
        """One document graph's quads, or (None) those of every document graph."""
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
        self._reader: ox.Store | None = None
        self._reader_generation = -1
        self._generation_file = None if path is None else str(path / "GENERATION.policykg")
        self._generation_seen: tuple[tuple[int, int, int] | None, int] = (None, 0)
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            if not (path / "CURRENT").exists():
                with self.writer():
                    pass  # create an empty database so readers can open it
                union_graph.mark_layout(path)  # empty: its union is right as it is
            elif not union_graph.has_layout(path):
                # written before the default graph was the stored union, or cut short
                with self.writer() as db:
                    db.update(union_graph.REPAIR)
                union_graph.mark_layout(path)

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

    def reader(self) -> ox.Store:
        """A store to read from, current as of the last write."""
        if self._memory is not None:
            return self._memory
        assert self.path is not None
        gen = self.generation
        if self._reader is None or gen != self._reader_generation:
            self._reader = None
            try:
                self._reader = ox.Store.read_only(str(self.path))
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

    # --- reading (the default graph is the union of the document graphs: union_graph.py) ---
    def __len__(self) -> int:
        return _count(self.reader(), _COUNT_NAMED)

    def is_empty(self) -> bool:
        return next(iter(self.reader().quads_for_pattern(None, None, None, None)), None) is None

    def stray_triples(self) -> int:
        return _count(self.reader(), union_graph.STRAYS)

    def quads(self, graph: str | None) -> Iterable[ox.Quad]:
        if graph is not None:
            return super().quads(graph)
        db = self.reader()
        return (q for g in db.named_graphs() for q in db.quads_for_pattern(None, None, None, g))

    # --- writing ------------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[DocumentBatch]:
        """One write session for many documents (see `_OxigraphBatch`)."""
        batch = _OxigraphBatch(self)
        try:
            yield batch
        finally:
            batch.close()

    def user_update(self, sparql: str) -> None:
        """A SPARQL Update as given, then the union default graph repaired (what the update
        wrote into the default graph itself is not kept: see union_graph.py)."""
        with self.writer() as db:
            if self.path is not None:
                union_graph.unmark_layout(self.path)
            try:
                db.update(sparql)
            except Exception:
                if self.path is not None:  # an update is all or nothing: none of it written
                    union_graph.mark_layout(self.path)
                raise
            db.update(union_graph.REPAIR)
        if self.path is not None:
            union_graph.mark_layout(self.path)

    def remove_document(self, graph: str) -> bool:
        if not self.reader().contains_named_graph(ox.NamedNode(graph)):
            return False
        with self.writer() as db:
            union_graph.remove_graph(db, ox.NamedNode(graph))
        return True

    def bulk_load(self, path: Path, on_progress: Callable[[int], None] | None = None
                  ) -> LoadReport:
        """An N-Quads (or TriG) file of document graphs, with Oxigraph's bulk loader. Into an
        empty store the file is loaded as it is (the fast path: a failed load is finished by
        loading again); otherwise each graph named in the file replaces the stored one
        first. Not one transaction: for documents that must be all-or-nothing, `ingest` text."""
        fmt = _dataset_format(path)
        start = time.perf_counter()
        empty = self.is_empty()
        before = 0
        with self.writer() as db:
            if not empty:
                names = {q.graph_name for q in ox.parse(path=str(path), format=fmt)
                         if isinstance(q.graph_name, ox.NamedNode)}
                for name in names:
                    union_graph.remove_graph(db, name)
                before = _count(db, _COUNT_NAMED)
            if self.path is not None:  # until the union's copies are in too
                union_graph.unmark_layout(self.path)
            work_dir = self.path if self.path is not None else Path(tempfile.gettempdir())
            with union_graph.UnionCopies(db, path, fmt, work_dir,
                                         lambda f: _Counting(f, on_progress)) as copies:
                db.bulk_load(path=str(path), format=fmt)
            if copies.outside:
                # documents are named graphs: triples outside them are skipped, as remotely
                db.update(union_graph.DROP_STRAYS)
            triples = _count(db, _COUNT_NAMED) - before
            graphs = sum(1 for _ in db.named_graphs())
        if self.path is not None:
            union_graph.mark_layout(self.path)
        return LoadReport(graphs, triples, time.perf_counter() - start, copies.outside)


# How long a batch keeps the store's files open for writing before it closes them (flushed,
# the generation bumped) and opens them again: readers see documents arrive during a long
# ingest, and a kill loses at most the documents that were waiting for the checkpoint.
CHECKPOINT_S = 1.0


class _OxigraphBatch(DocumentBatch):
    """Opening the files for writing, and flushing and closing them, cost ~100 ms together:
    once per second of writing instead of once per document.

    New documents wait for that checkpoint and go in together through pyoxigraph's bulk
    loader, each graph with its copies in the default graph (the stored union, see
    union_graph.py). The bulk loader is atomic (a process killed while it runs leaves none
    of its quads), so every document is in whole or not at all, and the union is never
    left behind its graphs. Writing a document and its copies (~4,000 quads) in a
    transaction of its own took ~65 ms; in bulk with the others of its second, ~20 ms. A
    kill loses at most the documents of the second in progress, which a re-run adds."""

    MAX_PENDING_BYTES = 64 << 20  # a checkpoint sooner when this much N-Triples waits

    def __init__(self, store: OxigraphStore) -> None:
        super().__init__(store)
        self._writing: OxigraphStore._Writing | None = None
        self._db: ox.Store | None = None
        self._opened = 0.0
        self._pending: dict[str, DocumentData] = {}  # by graph IRI
        self._pending_bytes = 0

    def _open(self) -> ox.Store:
        if self._db is not None and (time.monotonic() - self._opened > CHECKPOINT_S
                                     or self._pending_bytes > self.MAX_PENDING_BYTES):
            self.close()
        if self._db is None:
            writing = self.store.writer()
            self._db = writing.__enter__()
            self._writing, self._opened = writing, time.monotonic()
        return self._db

    def _load_pending(self) -> None:
        pending, self._pending, self._pending_bytes = self._pending, {}, 0
        if pending and self._db is not None:
            data = union_graph.nquads_with_union((d.graph, d.ntriples) for d in pending.values())
            self._db.bulk_load(data, format=ox.RdfFormat.N_QUADS)

    def close(self) -> None:
        try:
            self._load_pending()
        finally:
            writing, self._writing, self._db = self._writing, None, None
            if writing is not None:
                writing.__exit__(None, None, None)

    def put(self, doc: DocumentData) -> str:
        if doc.graph in self._pending:  # the same graph twice: the first goes in first
            self._load_pending()
        db = self._open()
        g = ox.NamedNode(doc.graph)
        old_hash = _stored_hash(db, g)
        if old_hash is not None and old_hash == doc.content_hash:
            return "unchanged"
        if not db.contains_named_graph(g):
            self._pending[doc.graph] = doc
            self._pending_bytes += len(doc.ntriples)
            return "added"
        # a replacement takes out of the union what only the old graph held, reading the
        # store as the waiting documents leave it
        self._load_pending()
        union_graph.replace_graph(db, g, doc.ntriples)
        return "added" if old_hash is None else "replaced"


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
