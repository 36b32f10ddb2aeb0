"""Validate a policykg graph against the SHACL data contract (shapes/*.ttl).

The shapes enforce docs/graph-model.md. This module runs two SHACL engines — rudof (Rust,
several times faster) as a screen, and pySHACL (the reference implementation) for every graph
rudof finds a fault in or might read differently (see ENGINES) — and turns their results into
plain, sortable records, so that callers (the CLI, the API, the tests) never have to read a
SHACL report themselves. tests/test_validate_engines.py holds the engines to one answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyshacl
import rdflib
import rdflib.plugin
from rdflib import RDF, RDFS, SH, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.query import Processor
from rdflib.term import Node
from rdflib.util import from_n3

from policykg import resources
from policykg.doc_graph import DocumentGraph, GraphText, graph_text

# Report order: the problems that make a graph fail come first.
_SEVERITIES = ("Violation", "Warning", "Info")


_PARSING = threading.Lock()  # pyparsing's SPARQL grammar is not safe in two threads at once
# A prepared query cannot be shared between threads either: rdflib's Expr.eval keeps the
# bindings it is evaluating on the expression node itself (`self.ctx`), so two threads
# running one FILTER see each other's values. Each thread keeps its own prepared copies.
_PREPARED = threading.local()
_PREPARED_MAX = 256


def _prepared(query: str, base: str | None, namespaces: tuple[tuple[str, Node], ...]):
    cache: dict = _PREPARED.__dict__.setdefault("queries", {})
    key = (query, base, namespaces)
    prepared = cache.get(key)
    if prepared is None:
        if len(cache) >= _PREPARED_MAX:
            cache.clear()  # the shapes hold a few dozen queries; this only bounds odd callers
        with _PARSING:
            prepared = cache[key] = translateQuery(parseQuery(query), base, dict(namespaces))
    return prepared


class PreparingSPARQLProcessor(SPARQLProcessor):
    """rdflib's SPARQL processor, parsing each distinct query text once per process.

    pySHACL runs a SPARQL constraint once per focus node, passing the same text each time
    with `$this` bound; rdflib parses (pyparsing) and translates it every time, which took
    85% of validating one document (3.6 s of 4.2 s for 3,000 triples). A prepared query is
    what rdflib itself reuses across bindings (`prepareQuery`), so the results are the same.
    """

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((initNs or {}).items()))
            strOrQuery = _prepared(strOrQuery, base, namespaces)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


# Graph.query looks its processor up by this name on every call.
rdflib.plugin.register("sparql", Processor, __name__, "PreparingSPARQLProcessor")


@cache
def shapes_text() -> str:
    """Every *.ttl under the shapes folder as one Turtle text (the rudof engine reads text)."""
    return "\n".join(p.read_text(encoding="utf-8")
                     for p in sorted(resources.shapes_dir().glob("*.ttl")))


@cache
def load_shapes() -> rdflib.Graph:
    """Every *.ttl under the shapes folder, parsed once per process.

    Treat the returned graph as read-only: validate() hands pySHACL a copy of it.
    """
    shapes = rdflib.Graph()
    for path in sorted(resources.shapes_dir().glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


@cache
def _class_hierarchy(path: str, mtime_ns: int) -> rdflib.Graph:
    # Keyed on the modification time so a long-running process (the API) picks up an
    # ontology that is written or changed after the first validation.
    ontology = rdflib.Graph().parse(path, format="turtle")
    # Only the rdfs:subClassOf links between named classes: they are all the shapes need
    # (sh:targetClass and sh:class follow them). Handing pySHACL the whole ontology is not
    # just wasteful: its mix-in deep-clones every owl:NamedIndividual with everything it
    # links to, ten levels down; with a draft of our ontology that declared its individuals
    # that way, one validation of a 230-triple graph did not finish in five minutes.
    hierarchy = rdflib.Graph()
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            hierarchy.add((sub, RDFS.subClassOf, sup))
    return hierarchy


def _load_ontology() -> rdflib.Graph | None:
    """The ontology's class hierarchy, if the ontology is there: its rdfs:subClassOf links
    are what lets sh:class pkg:AdministrativeDivision accept a pkg:County. Without it
    validation still runs, but a value typed with a sub-class then only satisfies sh:class
    for its own class."""
    path: Path = resources.ontology_path()
    if not path.is_file():
        return None
    return _class_hierarchy(str(path), path.stat().st_mtime_ns)


@dataclass(frozen=True)
class Violation:
    """One validation result (of any severity, despite the name)."""

    focus: str  # the node the result is about
    path: str | None  # the property, for property-shape results
    constraint: str  # local name of sh:sourceConstraintComponent ("MinCountConstraintComponent")
    severity: str  # "Violation" | "Warning" | "Info"
    message: str  # the English sh:message
    value: str | None  # the offending value; literals in N-Triples form, so the datatype shows
    shape: str | None  # the IRI of the shape that failed (None for an anonymous shape)

    def _sort_key(self) -> tuple[int, str, str, str, str, str, str]:
        return (
            _SEVERITIES.index(self.severity) if self.severity in _SEVERITIES else len(_SEVERITIES),
            self.focus,
            self.path or "",
            self.constraint,
            self.value or "",
            self.message,
            self.shape or "",
        )

    def line(self) -> str:
        where = self.focus if self.path is None else f"{self.focus} {self.path}"
        value = "" if self.value is None else f" [value: {self.value}]"
        return f"{where}: {self.constraint}: {self.message}{value}"


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool  # no Violation-severity results (warnings and infos do not fail a graph)
    results: tuple[Violation, ...]  # sorted: severity, focus, path, constraint, value

    def violations(self) -> list[Violation]:
        return [r for r in self.results if r.severity == "Violation"]

    def warnings(self) -> list[Violation]:
        return [r for r in self.results if r.severity == "Warning"]

    def text(self) -> str:
        """Readable and deterministic: a summary line, then one line per result, grouped by
        severity."""
        counts = {s: sum(r.severity == s for r in self.results) for s in _SEVERITIES}
        lines = [
            f"conforms: {self.conforms} ({counts['Violation']} violations, "
            f"{counts['Warning']} warnings, {counts['Info']} infos)"
        ]
        for severity in _SEVERITIES:
            group = [r for r in self.results if r.severity == severity]
            if group:
                lines.append(f"{severity} ({len(group)}):")
                lines.extend(f"  {r.line()}" for r in group)
        return "\n".join(lines)


DEFAULT_ENGINE = "auto"  # see ENGINES


def validate(data: rdflib.Graph | rdflib.Dataset | DocumentGraph,
             engine: str = DEFAULT_ENGINE, text: GraphText | None = None) -> ValidationReport:
    """Validate a graph, or a dataset as the union of all its graphs.

    A document's named graph is meant to validate on its own; validating the union checks
    that the graphs also agree with each other (e.g. no two items share an ordinal).
    `engine`: "auto" (the default, see ENGINES), "rudof" alone, or "pyshacl" alone (the
    reference implementation). `text`: the graph's `graph_text`, when the caller has it. A
    mapper's `DocumentGraph` is validated from its text; its rdflib Graph is built only if
    pySHACL is needed.
    """
    run = _RUNS.get(engine)
    if run is None:
        raise ValueError(f"unknown SHACL engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if isinstance(data, DocumentGraph):
        results = run(data.graph, data.text())
    else:
        graph = _union(data) if data.context_aware else data
        results = run(lambda: graph, None if data.context_aware else text)
    return ValidationReport(conforms=not _any_violation(results), results=results)


def _any_violation(results: tuple[Violation, ...]) -> bool:
    return any(r.severity == "Violation" for r in results)


# Each engine takes the data graph as a function giving it (a document from the mapper
# builds its rdflib Graph only if pySHACL reads it) and its text, if the caller has it.
GraphOf = Callable[[], rdflib.Graph]


def _auto(graph_of: GraphOf, text: GraphText | None) -> tuple[Violation, ...]:
    text = text or graph_text(graph_of())
    if not text.plain:
        return _pyshacl(graph_of)
    try:
        results = _rudof(graph_of, text)
    except Exception:  # rudof refused the graph or the shapes: the reference engine decides
        return _pyshacl(graph_of)
    return _pyshacl(graph_of) if _any_violation(results) else results


def _pyshacl(graph_of: GraphOf, _text: GraphText | None = None) -> tuple[Violation, ...]:
    # pySHACL mutates the shapes graph it is given, which breaks concurrent validations that
    # share one (pySHACL #314); copying ~1000 triples is cheap next to validating.
    shapes = rdflib.Graph()
    for triple in load_shapes():
        shapes.add(triple)
    _conforms, report_graph, _report_text = pyshacl.validate(
        graph_of(),
        shacl_graph=shapes,
        # Mixed into a copy of the data graph, never into `data` itself.
        ont_graph=_load_ontology(),
        # The contract is about what the pipeline writes, not what a reasoner could add.
        inference="none",
        # Advanced mode, so the shapes can use the whole of SHACL (SPARQL constraints and
        # SHACL-AF features) as they grow.
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    return _results(report_graph)


def _rudof(graph_of: GraphOf, text: GraphText | None = None) -> tuple[Violation, ...]:
    from policykg import rudof_engine

    shapes = load_shapes()
    found = {
        Violation(
            focus=raw.focus,
            path=raw.path,
            constraint=_local(URIRef(raw.component)),
            severity=_local(URIRef(raw.severity)),
            message=rudof_engine.english_message(raw, shapes),
            value=_rudof_term(raw.value),
            shape=raw.shape if raw.shape and not raw.shape.startswith("_:") else None,
        )
        for raw in rudof_engine.run((text or graph_text(graph_of())).ntriples,
                                    _load_ontology(), shapes_text())
    }
    return tuple(sorted(found, key=Violation._sort_key))


# "auto" (the default): rudof screens, pySHACL decides whenever anything is wrong or unusual.
# rudof agrees with pySHACL on well-formed graphs but not at the edges: it reads some ill-typed
# literals leniently (2025-02-30^^xsd:date passes; "1e3"^^xsd:decimal is compared as 1000),
# reports literals in canonical form ("17:38" as "17:38:00"), drops integer sub-types, and
# fails outright on a SPARQL constraint whose focus is a blank node. So a graph with a
# blank node or an ill-typed literal goes to pySHACL, and so does every graph rudof finds a
# violation in: the report of a failing graph is always pySHACL's. A graph rudof passes has
# its result (warnings only) from rudof, in ~40 ms instead of ~0.3 s.
_RUNS: dict[str, Callable[[GraphOf, GraphText | None], tuple[Violation, ...]]] = {
    "auto": _auto, "rudof": _rudof, "pyshacl": _pyshacl}
ENGINES = tuple(_RUNS)


def _rudof_term(text: str | None) -> str | None:
    """rudof's text of a value in the form `term_text` gives pySHACL's: literals as rdflib writes
    them in N-Triples (so "1"^^xsd:integer reads the same from both engines)."""
    if text is None or not text.startswith('"'):
        return text
    try:
        return term_text(from_n3(text))
    except Exception:  # a form rdflib cannot read: keep rudof's text
        return text


def _union(dataset: rdflib.Graph) -> rdflib.Graph:
    # pySHACL validates a Dataset graph by graph; the contract is about the union.
    union = rdflib.Graph()
    for s, p, o, _graph in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _results(report: rdflib.Graph) -> tuple[Violation, ...]:
    found = set()  # a node reached by two shapes sharing a property shape is reported once
    for validation_report in report.subjects(RDF.type, SH.ValidationReport):
        for result in report.objects(validation_report, SH.result):
            shape = report.value(result, SH.sourceShape)
            found.add(
                Violation(
                    focus=term_text(report.value(result, SH.focusNode)) or "",
                    path=_path(report, report.value(result, SH.resultPath)),
                    constraint=_local(report.value(result, SH.sourceConstraintComponent)),
                    severity=_local(report.value(result, SH.resultSeverity)),
                    message=_english(list(report.objects(result, SH.resultMessage))),
                    value=term_text(report.value(result, SH.value)),
                    shape=str(shape) if isinstance(shape, URIRef) else None,
                )
            )
    return tuple(sorted(found, key=Violation._sort_key))


def _local(node: Node | None) -> str:
    text = "" if node is None else str(node)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")


def term_text(node: Node | None) -> str | None:
    """A term as results show it: an IRI bare, a literal in N-Triples form. "a"^^xsd:string
    is written "a", as RDF 1.1 has it (one term; rudof reports it so, rdflib keeps the two
    spellings apart)."""
    if node is None:
        return None
    if isinstance(node, Literal):
        if node.datatype == _XSD_STRING:
            return Literal(str(node)).n3()
        return node.n3()
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _path(report: rdflib.Graph, node: Node | None) -> str | None:
    """A property path as text: an IRI as itself, complex paths in SPARQL syntax."""
    if node is None or isinstance(node, URIRef):
        return None if node is None else str(node)
    if (node, RDF.first, None) in report:
        return "/".join(_path(report, step) or "" for step in Collection(report, node))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = report.value(node, predicate)
        if inner is not None:
            return template.format(_path(report, inner))
    alternatives = report.value(node, SH.alternativePath)
    if alternatives is not None:
        steps = Collection(report, alternatives)
        return "(" + "|".join(_path(report, step) or "" for step in steps) + ")"
    return term_text(node)


def _english(messages: list[Node]) -> str:
    """The English message of a result.

    Every constraint carries an @en and a @zh sh:message. pySHACL keeps the language tags,
    except where it fills in a SPARQL message template ({?value}), which drops them; there
    the English one is told apart as the untagged message without Chinese characters.
    """
    literals = sorted((m for m in messages if isinstance(m, Literal)), key=str)
    for m in literals:
        if m.language and m.language.lower().startswith("en"):
            return str(m)
    for m in literals:
        if m.language is None and not any("\u4e00" <= ch <= "\u9fff" for ch in str(m)):
            return str(m)
    return str(literals[0]) if literals else ""


# --- a whole store, per document ----------------------------------------------------------

@dataclass(frozen=True)
class DocumentValidation:
    graph: str
    triples: int
    violations: int
    warnings: int
    first: str  # the first violation, as a line; "" when the document conforms


@dataclass(frozen=True)
class StoreValidation:
    documents: tuple[DocumentValidation, ...]
    seconds: float
    jobs: int

    @property
    def conforms(self) -> bool:
        return not any(d.violations for d in self.documents)

    def totals(self) -> str:
        failing = [d for d in self.documents if d.violations]
        triples = sum(d.triples for d in self.documents)
        return (f"{len(self.documents)} documents, {triples} triples: "
                f"{len(self.documents) - len(failing)} conform, "
                f"{sum(d.violations for d in failing)} violations in {len(failing)} documents, "
                f"{sum(d.warnings for d in self.documents)} warnings; "
                f"{self.seconds:.1f} s with {self.jobs} jobs "
                f"({triples / self.seconds if self.seconds else 0:,.0f} triples/s)")


_worker_stores: dict[object, object] = {}


# Properties the pipeline writes with an integer subtype, which stores keep as xsd:integer
# (Oxigraph encodes every integer type alike; the remote store writes what Oxigraph keeps).
_SUBTYPED = {"http://www.w3.org/ns/oa#start": "nonNegativeInteger",
             "http://www.w3.org/ns/oa#end": "nonNegativeInteger",
             "https://w3id.org/policykg/ontology#ordinal": "positiveInteger"}


def as_built(g: rdflib.Graph) -> rdflib.Graph:
    """A graph read back from a store with the integer subtypes the pipeline wrote: a stored
    document is checked as it was built, not failed for the store's encoding."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for s, p, o in list(g):
        sub = _SUBTYPED.get(str(p))
        if sub and isinstance(o, rdflib.Literal) and str(o.datatype) == xsd + "integer":
            g.remove((s, p, o))
            g.add((s, p, rdflib.Literal(str(o), datatype=URIRef(xsd + sub))))
    return g


def _validate_stored(spec: object, graph: str, engine: str = DEFAULT_ENGINE,
                     ) -> DocumentValidation:
    """One document graph read from the store and validated alone."""
    from policykg.store import open_store

    store = _worker_stores.get(spec)
    if store is None:
        store = _worker_stores[spec] = open_store(spec)  # type: ignore[arg-type]
    data = store.export("nt", graph)  # type: ignore[attr-defined]
    g = rdflib.Graph(identifier=URIRef(graph))
    g.parse(data=data, format="nt")
    report = validate(as_built(g), engine)
    bad = report.violations()
    return DocumentValidation(graph, len(g), len(bad), len(report.warnings()),
                              bad[0].line() if bad else "")


def validate_store(spec: object, graphs: list[str], jobs: int = 1,
                   on_document: Callable[[DocumentValidation], None] | None = None,
                   engine: str = DEFAULT_ENGINE) -> StoreValidation:
    """Every document graph of a store (a folder, or a remote store's configuration: what
    `policykg.store.open_store` takes) validated on its own, in `jobs` worker processes
    (processes, not threads: pySHACL is not thread-safe). A document's graph is
    self-contained by design, so the time grows with the store, not with its square."""
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    out: list[DocumentValidation] = []
    if jobs <= 1 or len(graphs) < 2:
        results: Iterable[DocumentValidation] = (_validate_stored(spec, g, engine)
                                               for g in graphs)
        for r in results:
            out.append(r)
            if on_document:
                on_document(r)
    else:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
            else "spawn"
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method)) as pool:
            for r in pool.map(_validate_stored, [spec] * len(graphs), graphs,
                              [engine] * len(graphs), chunksize=4):
                out.append(r)
                if on_document:
                    on_document(r)
    return StoreValidation(tuple(out), time.perf_counter() - start, max(1, jobs))
