"""The store on a SPARQL 1.1 server (Virtuoso tested; Fuseki, GraphDB and others speak the
same protocol), behind the same interface as the embedded store.

Only standards are spoken: SPARQL 1.1 Query and Update over HTTP, and the Graph Store HTTP
Protocol for bulk uploads when an endpoint for it is configured. Answers come back as SPARQL
JSON results or N-Triples and are parsed by pyoxigraph into the same objects the embedded store
returns, so everything above the store (results writers, search index, entity pages, export)
runs unchanged.

A document's graph is replaced as a unit: it is loaded in batches into a staging graph that
no query can see (queries name their dataset: the document graphs only), then moved over the
old graph by one `MOVE` operation, which the server runs as one transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox

from policykg.query_text import has_dataset_clause
from policykg.remote_config import RemoteConfig
from policykg.store import (
    DocumentBatch,
    DocumentData,
    GraphStore,
    LoadReport,
    StoreError,
    _Counting,
    _dataset_format,
)

_DEADLOCK = re.compile(r"\b40001\b|deadlock", re.IGNORECASE)
JSON = ox.QueryResultsFormat.JSON  # (pyoxigraph's XML results reader trims literals)
XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TYPES = {XSD + t for t in (
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_INTEGER = ox.NamedNode(XSD + "integer")
STAGING = "urn:policykg:staging:"
EMPTY_GRAPH = "urn:policykg:no-graph"  # names an empty default graph for non-union queries


class _ServerAuth(httpx.Auth):
    """HTTP Basic or Digest, whichever the server asks for in its 401 challenge, or a bearer
    token sent up front."""

    requires_request_body = True

    def __init__(self, cfg: RemoteConfig) -> None:
        self.token = cfg.token
        self.basic = httpx.BasicAuth(cfg.user, cfg.password) if cfg.user else None
        self.digest = httpx.DigestAuth(cfg.user, cfg.password) if cfg.user else None
        self.scheme: str | None = None  # learnt from the first challenge

    def auth_flow(self, request: httpx.Request):
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request
            return
        if self.scheme == "basic" and self.basic:
            yield from self.basic.auth_flow(request)
            return
        if self.scheme == "digest" and self.digest:
            yield from self.digest.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401 or self.basic is None or self.digest is None:
            return
        challenge = response.headers.get("www-authenticate", "").lower()
        self.scheme = "digest" if challenge.startswith("digest") else "basic"
        yield from (self.digest if self.scheme == "digest" else self.basic).auth_flow(request)


def _term(t: ox.NamedNode | ox.Literal) -> str:
    """A term in SPARQL syntax, written by pyoxigraph (IRIs are checked when the NamedNode is
    made, literals escaped): never text pasted from a request."""
    return str(t)


class RemoteStore(GraphStore):
    DEADLOCK_RETRY_S = 20.0  # waiting, in all, before a deadlocked request is reported
    _sleep = staticmethod(time.sleep)

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self._client: httpx.Client | None = None
        self._generation = 0
        self._graphs: tuple[float, int, list[str]] | None = None  # (time, generation, names)
        self._syntax = ox.Store()  # an empty store: parses queries like the embedded one
        self._batch = config.batch_triples  # lowered when the server refuses a batch

    # --- connection ---------------------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(auth=_ServerAuth(self.config),
                                        timeout=self.config.timeout,
                                        headers={"User-Agent": "policykg"})
        return self._client

    @property
    def location(self) -> str:
        return self.config.location

    @property
    def generation(self) -> int:
        return self._generation

    def reader(self) -> RemoteStore:
        return self

    def _send(self, method: str, url: str, **kw) -> httpx.Response:
        try:
            r = self.client.request(method, url, **kw)
        except httpx.HTTPError as e:
            raise StoreError(f"{url}: cannot reach the SPARQL server: {e}") from None
        if r.status_code in (401, 403):
            raise StoreError(f"{url}: the server refused the credentials ({r.status_code}); set "
                             "POLICYKG_STORE_USER / POLICYKG_STORE_PASSWORD or --store-config")
        return r

    def check(self) -> None:
        """Fails with a clear message when the server does not answer SPARQL."""
        r = self._send("POST", self.config.query_endpoint, data={"query": "ASK {}"},
                       headers={"Accept": "application/sparql-results+json"})
        if r.status_code != 200:
            raise StoreError(f"{self.location}: not a SPARQL endpoint "
                             f"(HTTP {r.status_code}: {r.text[:200]})")

    # --- the dataset a query sees -------------------------------------------------------------
    def document_graphs(self) -> list[str]:
        """The named graphs of documents, cached for a moment (and until this store writes)."""
        now = time.monotonic()
        if (self._graphs is None or self._graphs[1] != self._generation
                or now - self._graphs[0] > 2.0):
            r = self._select(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g a "
                "<https://w3id.org/policykg/ontology#DocumentGraph> } }", {})
            names = sorted(s["g"].value for s in r if isinstance(s["g"], ox.NamedNode))
            self._graphs = (now, self._generation, names)
        return self._graphs[2]

    def _dataset(self, union: bool, default_graph: Iterable | None,
                 named_graphs: Iterable | None) -> dict[str, list[str]]:
        """Protocol parameters that give the query the embedded store's dataset: the union
        of the document graphs as default graph, or an empty one; the document graphs as
        named graphs. (With union = "server" the server's own default graph is used.)"""
        params: dict[str, list[str]] = {}
        graphs = None
        if default_graph is not None:
            params["default-graph-uri"] = [g.value for g in default_graph]
        elif union:
            if self.config.union == "explicit":
                graphs = self.document_graphs()
                params["default-graph-uri"] = graphs or [EMPTY_GRAPH]
        else:
            params["default-graph-uri"] = [EMPTY_GRAPH]
        if named_graphs is not None:
            params["named-graph-uri"] = [g.value for g in named_graphs]
        elif self.config.union == "explicit":
            graphs = graphs if graphs is not None else self.document_graphs()
            params["named-graph-uri"] = graphs or [EMPTY_GRAPH]
        return params

    # --- queries --------------------------------------------------------------------------
    def _post(self, sparql: str, params: dict[str, list[str]], accept: str) -> bytes:
        r = self._post_again_on_deadlock(self.config.query_endpoint,
                                         data={"query": sparql, **params},
                                         headers={"Accept": accept})
        if r.status_code == 400:  # our parser accepted it: the server's dialect did not
            raise ValueError(f"the SPARQL server refused the query: {_brief(r.text)}")
        if r.status_code != 200:
            raise StoreError(f"{self.location}: query failed (HTTP {r.status_code}): "
                             f"{_brief(r.text)}")
        return canonical_booleans(r.content)

    def _select(self, sparql: str, params: dict[str, list[str]]):
        return ox.parse_query_results(
            self._post(sparql, params, "application/sparql-results+json"), format=JSON)

    def query(self, sparql: str, use_default_graph_as_union: bool = False,
              default_graph: Iterable | None = None, named_graphs: Iterable | None = None,
              substitutions: dict | None = None, **_: object):
        """Like pyoxigraph's Store.query: QuerySolutions, QueryBoolean or an iterator of
        triples. The query is parsed here first, by the same parser as the embedded store, so
        a malformed query fails the same way on both."""
        if substitutions:
            # a trailing VALUES clause would not do: servers differ on where they apply it
            raise TypeError("substitutions are not supported on a remote store; put a VALUES "
                            "clause inside the pattern")
        probe = self._syntax.query(sparql)  # raises SyntaxError; an empty store: no work
        if default_graph is None and named_graphs is None and has_dataset_clause(sparql):
            params: dict[str, list[str]] = {}  # its own FROM: protocol graphs would override
        else:
            params = self._dataset(use_default_graph_as_union, default_graph, named_graphs)
        if isinstance(probe, ox.QuerySolutions | ox.QueryBoolean):
            return self._select(sparql, params)
        data = self._post(sparql, params, "application/n-triples")
        return (q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))

    def quads_for_pattern(self, s=None, p=None, o=None, g=None) -> list[ox.Quad]:
        if g is not None and isinstance(g, ox.DefaultGraph):
            return []  # documents live in named graphs
        terms = {"s": s, "p": p, "o": o, "g": g}
        pattern = {k: (_term(v) if v is not None else f"?{k}") for k, v in terms.items()}
        sparql = (f"SELECT * WHERE {{ GRAPH {pattern['g']} "
                  f"{{ {pattern['s']} {pattern['p']} {pattern['o']} }} }}")
        out = []
        for row in self._select(sparql, self._dataset(False, None, None)):
            out.append(ox.Quad(s or row["s"], p or row["p"], o or row["o"], g or row["g"]))
        return out

    def contains_named_graph(self, g: ox.NamedNode) -> bool:
        return g.value in self.document_graphs()

    def __len__(self) -> int:
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                            self._dataset(False, None, None))
        return next((int(r["n"].value) for r in rows), 0)

    def quads(self, graph: str | None) -> Iterable[ox.Quad]:
        # graph by graph: every answer stays within a server's result-size limit
        names = [graph] if graph is not None else self.document_graphs()
        for name in names:
            yield from self.quads_for_pattern(None, None, None, ox.NamedNode(name))

    # --- writing --------------------------------------------------------------------------
    def _post_again_on_deadlock(self, url: str, **kw) -> httpx.Response:
        """POST a query or a write, again when a serializable server picked it as a deadlock
        victim (Virtuoso's 40001 "Transaction deadlocked"): the server rolled it back whole,
        so sending it again is safe, and it is what that SQL state asks the client to do.
        Waits grow to a second, jittered so two clients do not collide again in step, and
        stop once DEADLOCK_RETRY_S seconds have been spent waiting: under a reader that
        never pauses, a busy 2-core machine has seen six deadlocks in a row."""
        waited = 0.0
        for attempt in itertools.count():
            r = self._send("POST", url, **kw)
            if (r.status_code < 300 or not _DEADLOCK.search(r.text)
                    or waited >= self.DEADLOCK_RETRY_S):
                return r
            pause = min(1.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0)
            self._sleep(pause)
            waited += pause
        raise AssertionError("unreachable")

    def _update(self, sparql: str) -> None:
        r = self._post_again_on_deadlock(self.config.update_endpoint, data={"update": sparql})
        if r.status_code >= 300:
            raise StoreError(f"{self.config.update_endpoint}: update failed "
                             f"(HTTP {r.status_code}): {_brief(r.text)}")

    class _Writing:
        """`with store.writer() as db: db.update(…)`, as for the embedded store."""

        def __init__(self, store: RemoteStore) -> None:
            self.store = store

        def __enter__(self) -> RemoteStore._Writing:
            return self

        def update(self, sparql: str) -> None:
            self.store._syntax.update(sparql)  # same parser, same errors as embedded
            self.store._syntax.clear()  # the probe store stays empty: queries cost nothing
            self.store._update(sparql)

        def __exit__(self, *exc: object) -> None:
            self.store._generation += 1

    def writer(self) -> RemoteStore._Writing:
        return RemoteStore._Writing(self)

    def _upload(self, graph: str, lines: list[str]) -> None:
        """One batch of N-Triples lines into `graph`: by the Graph Store Protocol when there
        is an endpoint for it, else by INSERT DATA. A batch the server refuses as too large
        (Virtuoso caps the SQL one update compiles to) is split in two and sent again."""
        if self.config.gsp_endpoint:
            r = self._post_again_on_deadlock(
                self.config.gsp_endpoint, params={"graph": graph},
                content="".join(lines).encode("utf-8"),
                headers={"Content-Type": "text/turtle; charset=utf-8"})
            where = self.config.gsp_endpoint
        else:
            r = self._post_again_on_deadlock(self.config.update_endpoint, data={
                "update": f"INSERT DATA {{ GRAPH <{graph}> {{\n{''.join(lines)}}} }}"})
            where = self.config.update_endpoint
        if r.status_code < 300:
            return
        too_large = r.status_code in (400, 413, 500) and not _DEADLOCK.search(r.text)
        if too_large and len(lines) > 50:
            half = len(lines) // 2
            self._batch = min(self._batch, half)  # remembered: no second refusal per batch
            self._upload(graph, lines[:half])
            self._upload(graph, lines[half:])
            return
        raise StoreError(f"{where}: upload failed (HTTP {r.status_code}): {_brief(r.text)}")

    def _replace(self, graph: str, lines: Iterable[str]) -> int:
        """Load `lines` into a staging graph in batches, then MOVE it onto `graph` in one
        operation. Returns the number of triples sent."""
        staging = _Staging(self, graph)
        try:
            for batch in _batches(lines, self._batch):
                staging.send(batch)
            staging.commit()
        except BaseException:
            staging.abandon()
            raise
        return staging.sent

    @contextlib.contextmanager
    def batch(self) -> Iterator[DocumentBatch]:
        """Each document is its own staged upload and MOVE; nothing more is shared."""
        yield _RemoteBatch(self)

    def remove_document(self, graph: str) -> bool:
        if graph not in self.document_graphs():
            return False
        ox.NamedNode(graph)
        self._update(f"DROP SILENT GRAPH <{graph}>")
        self._generation += 1
        return True

    def bulk_load(self, path: Path, on_progress: Callable[[int], None] | None = None
                  ) -> LoadReport:
        """Streams an N-Quads/TriG file in batches, each graph into a staging graph of its
        own; when the file is read, each staging graph is moved over its document graph in
        one operation (see the module docstring). Lines wait in memory only until a batch
        is full, so files need not be sorted by graph."""
        fmt = _dataset_format(path)
        start = time.perf_counter()
        report = LoadReport()
        staged: dict[str, _Staging] = {}
        pending: dict[str, list[str]] = {}
        waiting = 0
        budget = self.config.batch_triples * 20  # lines waiting in memory at most
        try:
            with open(path, "rb") as f:
                for q in ox.parse(_Counting(f, on_progress), format=fmt):
                    if not isinstance(q.graph_name, ox.NamedNode):
                        report.outside_graphs += 1  # skipped: documents are named graphs
                        continue
                    g = q.graph_name.value
                    pending.setdefault(g, []).append(nt_line(q))
                    waiting += 1
                    if len(pending[g]) >= self._batch or waiting >= budget:
                        g = max(pending, key=lambda k: len(pending[k]))
                        batch = pending.pop(g)
                        staged.setdefault(g, _Staging(self, g)).send(batch)
                        waiting -= len(batch)
            for g, batch in pending.items():
                staged.setdefault(g, _Staging(self, g)).send(batch)
            for g in sorted(staged):
                st = staged.pop(g)
                st.commit()
                report.graphs += 1
                report.triples += st.sent
        except BaseException:
            for st in staged.values():
                st.abandon()
            raise
        report.seconds = time.perf_counter() - start
        return report


class _RemoteBatch(DocumentBatch):
    store: RemoteStore

    def put(self, doc: DocumentData) -> str:
        old_hash = self.store.document_hash(doc.graph)
        if old_hash is not None and old_hash == doc.content_hash:
            return "unchanged"
        self.store._replace(doc.graph, (nt_line(q) for q in ox.parse(
            doc.ntriples, format=ox.RdfFormat.N_TRIPLES)))
        return "added" if old_hash is None else "replaced"


class _Staging:
    """A graph being uploaded under a staging name no query sees, then moved into place."""

    def __init__(self, store: RemoteStore, graph: str) -> None:
        ox.NamedNode(graph)  # a valid IRI, or ValueError before anything is sent
        self.store, self.graph = store, graph
        self.name = f"{STAGING}{uuid.uuid4()}"
        self.sent = 0

    def send(self, lines: list[str]) -> None:
        self.store._upload(self.name, lines)
        self.sent += len(lines)

    def commit(self) -> None:
        """MOVE drops the old graph and renames the staging one: one update, which the
        server runs as one transaction."""
        self.store._update(f"MOVE SILENT GRAPH <{self.name}> TO <{self.graph}>")
        self.store._generation += 1

    def abandon(self) -> None:
        with contextlib.suppress(StoreError):
            self.store._update(f"DROP SILENT GRAPH <{self.name}>")


def nt_line(q: ox.Quad | ox.Triple) -> str:
    """One triple as N-Triples for upload, with literals as the embedded store keeps them, so
    both stores answer alike: integer subtypes (xsd:nonNegativeInteger…) as xsd:integer, as
    Oxigraph stores them; an integral xsd:decimal written "5.0" (its XSD 1.0 canonical form),
    which Virtuoso would otherwise read back as an xsd:integer."""
    o = q.object
    if isinstance(o, ox.Literal):
        dt = o.datatype.value
        if dt in _INTEGER_TYPES:
            o = ox.Literal(o.value, datatype=_INTEGER)
        elif dt == XSD + "decimal" and "." not in o.value:
            o = ox.Literal(o.value + ".0", datatype=o.datatype)
    return f"{q.subject} {q.predicate} {o} .\n"


_BOOLEAN = rb"http://www.w3.org/2001/XMLSchema#boolean"
# "1"^^xsd:boolean in N-Triples; in SPARQL JSON results a typed literal's value before or
# after its datatype
_BOOLEAN_NT = re.compile(rb'"([01])"\^\^<' + re.escape(_BOOLEAN) + rb">")
_BOOLEAN_JSON = re.compile(
    rb'("datatype"\s*:\s*"' + re.escape(_BOOLEAN) + rb'"\s*,\s*"value"\s*:\s*)"([01])"'
    rb'|("value"\s*:\s*)"([01])"(\s*,\s*"datatype"\s*:\s*"' + re.escape(_BOOLEAN) + rb'")')


def canonical_booleans(data: bytes) -> bytes:
    """xsd:boolean literals as the embedded store keeps them: Virtuoso answers "1" and "0"
    (valid lexical forms of the same values), Oxigraph "true" and "false"; answers are
    compared as terms, so the same value must be written the same way."""
    if _BOOLEAN not in data:
        return data
    word = {b"1": b'"true"', b"0": b'"false"'}
    data = _BOOLEAN_NT.sub(lambda m: word[m[1]] + b"^^<" + _BOOLEAN + b">", data)
    return _BOOLEAN_JSON.sub(lambda m: m[1] + word[m[2]] if m[1] is not None
                             else m[3] + word[m[4]] + m[5], data)


def _brief(text: str) -> str:
    """A server's error message without the query it echoes (Virtuoso quotes it whole)."""
    return text.strip().split("\n\n", 1)[0][:300]


def _batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
