"""SHACL validation with rudof (pyrudof: a SHACL engine written in Rust), which the default
"auto" engine of `policykg.validate` runs first (it leaves the report of a failing graph to
pySHACL: see ENGINES there). On a document of ~2,000 triples it takes ~40 ms where pySHACL
takes ~0.3 s; `tests/test_validate_engines.py` holds the two engines to the same results
on the corpus and on graphs broken on purpose.

rudof reports a result's message as it was composed (a generic text, or our sh:message
literals in N-Triples form, or nothing), so the English message is taken from the shapes
graph by the result's source shape — except for SPARQL constraints, whose message is a
template rudof fills in ({?value}) and whose own text is then the one to read.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pyrudof
import rdflib
from rdflib import SH, Literal, URIRef
from rdflib.plugins.serializers.nt import _nt_row  # rdflib's own N-Triples line writer

_CJK = re.compile(r"[\u4e00-\u9fff]")
# One literal in N-Triples form inside rudof's message text: "…"@en, "…"@zh or "…".
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"(?:@([A-Za-z][\w-]*))?')
_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class RawResult:
    """One rudof result, its terms as text: IRIs bare, literals in N-Triples form."""

    focus: str
    path: str | None
    component: str  # the constraint component's IRI
    severity: str  # the severity's IRI or local name
    message: str  # as rudof composed it
    value: str | None
    shape: str | None


# A rudof session holds the ontology's class hierarchy as data and the shapes, prepared once;
# each document is staged on top and rolled back after. Reading a document into an empty
# session costs ~70 ms of fixed set-up, staging it ~15 ms. One session per thread.
_SESSIONS = threading.local()


def _session(hierarchy: rdflib.Graph | None, shapes_ttl: str) -> pyrudof.Rudof:
    key = (id(hierarchy), hash(shapes_ttl))  # a new ontology or shapes text: a new session
    cached = getattr(_SESSIONS, "entry", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    session = pyrudof.Rudof(pyrudof.RudofConfig())
    base = "".join(_nt_row(t) for t in hierarchy) if hierarchy is not None else ""
    session.read_data(base or "# no class hierarchy\n", pyrudof.RDFFormat.NTriples,
                      reader_mode=pyrudof.ReaderMode.Strict)
    session.read_shacl(shapes_ttl, pyrudof.ShaclFormat.Turtle)
    _SESSIONS.entry = (key, session, hierarchy)  # keep the graph alive: its id is the key
    return session


def run(text: str, hierarchy: rdflib.Graph | None, shapes_ttl: str) -> list[RawResult]:
    """Validate the data graph `text` in N-Triples (with the ontology's rdfs:subClassOf
    links, which sh:class and sh:targetClass follow in the data graph) against the shapes in
    Turtle."""
    session = _session(hierarchy, shapes_ttl)
    session.begin_staging()
    try:
        if text:
            session.read_data(text, pyrudof.RDFFormat.NTriples, merge=True,
                              reader_mode=pyrudof.ReaderMode.Strict)
        report = session.validate_shacl(pyrudof.ShaclValidationMode.Native)
        return [RawResult(focus=str(r.focus_node), path=r.path or None,
                          component=str(r.constraint_component), severity=str(r.severity),
                          message=r.message or "", value=r.value,
                          shape=r.source_shape or None)
                for r in report]
    finally:
        session.rollback_staging()


def english_message(raw: RawResult, shapes: rdflib.Graph) -> str:
    """The result's English message: the source shape's sh:message@en, or for a SPARQL
    constraint (and a shape without a message of its own) the English one rudof filled in."""
    if raw.shape and not raw.component.endswith("SPARQLConstraintComponent"):
        for m in shapes.objects(URIRef(raw.shape), SH.message):
            if isinstance(m, Literal) and (m.language or "").lower().startswith("en"):
                return str(m)
    found = [(_unescape(text), lang) for text, lang in _LITERAL.findall(raw.message)]
    for text, lang in found:
        if lang.lower().startswith("en"):
            return text
    for text, lang in found:
        if not lang and not _CJK.search(text):
            return text
    return found[0][0] if found else raw.message


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(0)), text)
