"""Backup and restore: a dump is an N-Quads file of every named graph, one graph after
another, with a manifest beside it (`FILE.nq.manifest.json`): the dump's sha256 and size,
and for each graph its triple count and, for a document graph, the document and its content
hash. A restore checks all of that before it writes anything, then puts the graphs back one
by one, each in one transaction (`put_document`), holding only one graph in memory.

Only the store's public methods are used, so a dump can be taken from, or restored into,
the embedded store or a remote one alike. Triples in the default graph are not documents
(ingest never writes there; bulk loads skip them): a dump counts and leaves them out."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from policykg.store import GraphStore
from policykg.vocab import PKG

FORMAT = "policykg-dump/1"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_CONTENT_HASH = str(PKG.contentHash)


class BackupError(RuntimeError):
    """A dump that cannot be written, or one refused on restore (nothing was written)."""


@dataclass
class GraphEntry:
    graph: str
    triples: int
    content_hash: str | None = None  # document graphs only
    document: str | None = None
    source: str | None = None


@dataclass
class Manifest:
    file: str
    bytes: int
    sha256: str
    graphs: list[GraphEntry]
    default_graph_triples_left_out: int = 0
    created: str = ""
    format: str = FORMAT

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)

    @property
    def documents(self) -> int:
        return sum(1 for g in self.graphs if g.content_hash is not None)


@dataclass
class RestoreReport:
    outcomes: dict[str, int] = field(default_factory=dict)  # added/replaced/unchanged → graphs
    triples: int = 0


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".manifest.json")


# --- dump -------------------------------------------------------------------------------------

def _graph_names(store: GraphStore) -> list[str]:
    rows = store.reader().query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return sorted(r["g"].value for r in rows)


def _content_hash(data: bytes, graph: str) -> str | None:
    """The graph's own pkg:contentHash, read from its exported N-Quads."""
    for q in ox.parse(data, format=ox.RdfFormat.N_QUADS):
        if q.subject.value == graph and q.predicate.value == _CONTENT_HASH:
            return q.object.value
    return None


def dump(store: GraphStore, out: Path,
         on_graph: Callable[[str], None] | None = None) -> Manifest:
    """Write every named graph of the store to `out` (N-Quads) and its manifest beside it.
    Both files are written under temporary names and renamed when complete, so a dump that
    stops half-way leaves no file that looks finished."""
    documents = {d.graph: d for d in store.documents()}
    entries: list[GraphEntry] = []
    digest = hashlib.sha256()
    size = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as f:
        for name in _graph_names(store):
            # one graph at a time: each is read whole from one state of the store
            data = store.export("nq", name)
            f.write(data)
            digest.update(data)
            size += len(data)
            entry = GraphEntry(name, data.count(b"\n"))
            h = _content_hash(data, name)
            if h is not None:
                doc = documents.get(name)
                entry.content_hash = h
                entry.document = doc.document if doc else None
                entry.source = doc.source if doc else None
            entries.append(entry)
            if on_graph:
                on_graph(name)
        f.flush()
        os.fsync(f.fileno())
    manifest = Manifest(file=out.name, bytes=size, sha256=digest.hexdigest(), graphs=entries,
                        default_graph_triples_left_out=store.stray_triples() + max(
                            0, len(store) - sum(e.triples for e in entries)),
                        created=datetime.now(UTC).isoformat(timespec="seconds"))
    tmp.replace(out)
    mtmp = manifest_path(out).with_suffix(".part")
    as_json = {"format": FORMAT, **asdict(manifest)}  # the format first, for the reader
    mtmp.write_text(json.dumps(as_json, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    mtmp.replace(manifest_path(out))
    return manifest


# --- restore ----------------------------------------------------------------------------------

def read_manifest(dump_file: Path) -> Manifest:
    path = manifest_path(dump_file)
    if not path.is_file():
        raise BackupError(f"{dump_file}: no manifest ({path.name}) beside it; a dump is "
                          "restored only with the manifest written with it")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise BackupError(f"{path}: not a {FORMAT} manifest (format {raw.get('format')!r})")
        raw["graphs"] = [GraphEntry(**g) for g in raw["graphs"]]
        return Manifest(**raw)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise BackupError(f"{path}: unreadable manifest: {e}") from None


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _graphs(dump_file: Path) -> Iterator[tuple[str, list[ox.Quad]]]:
    """The dump's graphs in order, each with its quads."""
    current: str | None = None
    quads: list[ox.Quad] = []
    for q in ox.parse(path=str(dump_file), format=ox.RdfFormat.N_QUADS):
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
        if name is None:
            raise BackupError(f"{dump_file}: a triple outside any named graph: {q}")
        if name != current:
            if current is not None:
                yield current, quads
            current, quads = name, []
        quads.append(q)
    if current is not None:
        yield current, quads


def verify(dump_file: Path) -> Manifest:
    """The manifest, once the dump agrees with it in every respect: size and sha256, then,
    read through, the graphs in order with their triple counts and content hashes.
    BackupError says what differs."""
    if not dump_file.is_file():
        raise BackupError(f"{dump_file}: no such file")
    manifest = read_manifest(dump_file)
    sha, size = _sha256(dump_file)
    if size != manifest.bytes:
        raise BackupError(f"{dump_file}: {size} bytes, the manifest says {manifest.bytes} "
                          "(truncated or changed since it was dumped)")
    if sha != manifest.sha256:
        raise BackupError(f"{dump_file}: sha256 {sha} differs from the manifest's "
                          f"{manifest.sha256} (corrupted or changed since it was dumped)")
    expected = iter(manifest.graphs)
    seen = set()
    try:
        for name, quads in _graphs(dump_file):
            entry = next(expected, None)
            if entry is None or entry.graph != name or name in seen:
                raise BackupError(f"{dump_file}: graph {name} is not where the manifest "
                                  "lists it")
            seen.add(name)
            if len(quads) != entry.triples:
                raise BackupError(f"{dump_file}: graph {name} has {len(quads)} triples, the "
                                  f"manifest says {entry.triples}")
            h = next((q.object.value for q in quads if q.subject.value == name
                      and q.predicate.value == _CONTENT_HASH), None)
            if h != entry.content_hash:
                raise BackupError(f"{dump_file}: graph {name} has content hash {h}, the "
                                  f"manifest says {entry.content_hash}")
    except SyntaxError as e:
        raise BackupError(f"{dump_file}: not valid N-Quads: {e}") from None
    missing = [e.graph for e in expected]
    if missing:
        raise BackupError(f"{dump_file}: {len(missing)} graphs of the manifest are missing, "
                          f"e.g. {missing[0]}")
    return manifest


def _term(t: object) -> URIRef | BNode | Literal:
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        if t.datatype.value == _XSD_STRING:
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(t.datatype.value))
    raise BackupError(f"unsupported term in a dump: {t}")


def restore(dump_file: Path, store: GraphStore, verified: Manifest | None = None,
            on_graph: Callable[[str, str], None] | None = None) -> RestoreReport:
    """Check the dump against its manifest (nothing is written if anything differs; skipped
    when `verified` is the manifest `verify` returned), then put every graph back: a graph
    of the same name in the store is replaced, an identical document left alone, and graphs
    not in the dump are kept."""
    if verified is None:
        verify(dump_file)
    report = RestoreReport()
    for name, quads in _graphs(dump_file):
        graph = Graph(identifier=URIRef(name))
        for q in quads:
            graph.add((_term(q.subject), _term(q.predicate), _term(q.object)))
        outcome = store.put_document(graph)
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        report.triples += len(quads)
        if on_graph:
            on_graph(name, outcome)
    return report
