"""The search index read from the store, and kept current as documents change: after a
write only the entities of the documents written are read again, not the whole store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from policykg.search import SearchIndex, normalise_lang
from policykg.store import GraphStore

PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
_LABELS = f"""SELECT DISTINCT ?s ?p ?l WHERE {{ $VALUES GRAPH ?g {{ ?s ?p ?l }}
  VALUES ?p {{ <{PREF}> <http://www.w3.org/2004/02/skos/core#altLabel>
  <http://www.w3.org/2000/01/rdf-schema#label> }} FILTER(isIRI(?s)) }}"""
_TYPES = "SELECT DISTINCT ?s ?t WHERE { $VALUES GRAPH ?g { ?s a ?t } }"
_SUBJECTS = "SELECT DISTINCT ?s WHERE { GRAPH $GRAPH { ?s ?p ?o } FILTER(isIRI(?s)) }"
BATCH = 200  # IRIs per look-up query


def _values(iris: list[str] | None) -> str:
    """A VALUES clause of IRIs written by pyoxigraph (each checked as an IRI), or none."""
    if iris is None:
        return ""
    return "VALUES ?s { " + " ".join(str(ox.NamedNode(i)) for i in iris) + " }"


def _read(store: GraphStore, iris: list[str] | None) -> dict:
    labels: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for r in store.query(_LABELS.replace("$VALUES", _values(iris))):
        lang = normalise_lang(getattr(r["l"], "language", None))
        if lang in ("zh", "en"):
            labels[r["s"].value].append((r["l"].value, lang, r["p"].value == PREF))
    types: dict[str, list[str]] = defaultdict(list)
    for r in store.query(_TYPES.replace("$VALUES", _values(iris))):
        if r["s"].value in labels:
            types[r["s"].value].append(r["t"].value)
    return {iri: (tuple(sorted(types.get(iri, ()))), sorted(ls)) for iri, ls in labels.items()}


def load_index(store: GraphStore) -> SearchIndex:
    """The whole index, from two queries over the store (no rdflib graph of it)."""
    entries = _read(store, None)
    return SearchIndex.from_labels({k: v[1] for k, v in entries.items()},
                                   {k: v[0] for k, v in entries.items()})


def subjects_of(store: GraphStore, graph: str) -> set[str]:
    """The IRIs described in one document graph (before it is replaced or removed)."""
    q = _SUBJECTS.replace("$GRAPH", str(ox.NamedNode(graph)))
    return {r["s"].value for r in store.query(q)}


def refresh(index: SearchIndex, store: GraphStore, iris: Iterable[str]) -> int:
    """Read these entities again and update their entries; returns how many were read."""
    todo = sorted(set(iris))
    entries: dict = {}
    for i in range(0, len(todo), BATCH):
        entries.update(_read(store, todo[i:i + BATCH]))
    index.update(entries, gone=[i for i in todo if i not in entries])
    return len(todo)
