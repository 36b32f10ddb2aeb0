"""A user's SPARQL Update (POST /sparql with the token) on the embedded store, whose default
graph holds the union of its named graphs (see `union_layout`). The update is rewritten into
one that keeps that union right, run as one transaction:

- An update made only of INSERT DATA / DELETE DATA (what client libraries send) is applied
  to a small in-memory copy of the quads of the subjects it names, by Oxigraph itself (so
  every term is read exactly as Oxigraph reads it). What it writes into the default graph is
  kept in the graph `USER_GRAPH` (part of the union, so it outlives later document writes);
  the default graph of those subjects is made again from their named graphs; the difference
  from before is written to the store. Its cost grows with the subjects it names.
- Any other update must not write the default graph (it is derived here: write a named
  graph, `GRAPH <…> { … }` or `WITH <…>`); it runs as written, followed by two operations
  that bring the default graph up to date with the named graphs. Its cost grows with the
  store (a scan of every triple).

Which kind an update is, and what it writes, is read from rdflib's SPARQL Update parser
(Oxigraph exposes no update algebra); the text is never edited."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.term import URIRef

USER_GRAPH = "https://w3id.org/policykg/graph/user-default-graph"

# the default graph made equal to the union of the named graphs, in two operations
RECONCILE = (
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } } ;\n"
    "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } FILTER NOT EXISTS { ?s ?p ?o } }")

_DATA = {"InsertData", "DeleteData"}


class UpdateRefused(ValueError):
    """An update this store cannot run as asked; the message says what to write instead."""


def rewrite(db: ox.Store, sparql: str) -> str:
    """The update to run on `db` (read here; written by the caller, in one transaction)."""
    try:
        ops = list(translateUpdate(parseUpdate(sparql)).algebra)
    except Exception as e:  # Oxigraph accepted it (checked first): beyond rdflib's parser
        raise UpdateRefused(f"this update could not be analysed: {e}") from e
    if ops and all(op.name in _DATA for op in ops):
        return _data_update(db, sparql, ops)
    for op in ops:
        _refuse_default_writes(op)
    return f"{sparql}\n;\n{RECONCILE}"


def _refuse_default_writes(op) -> None:
    # (dict.get: rdflib's CompValue.get answers a missing field with its name)
    why = None
    name = op.name
    if name in _DATA and op.triples:
        why = f"{_NAMES.get(name, name)} with triples outside GRAPH, beside other operations"
    elif name in ("Modify", "DeleteWhere"):
        templates = [op] if name == "DeleteWhere" else [c for c in (op.delete, op.insert) if c]
        if dict.get(op, "withClause") is None and any(c.triples for c in templates):
            why = f"{_NAMES[name]} with a template outside GRAPH (and no WITH)"
    elif name in ("Clear", "Drop") and op.graphiri == "DEFAULT":
        why = f"{name.upper()} DEFAULT"
    elif name in ("Add", "Copy", "Move") and (
            op.graph[1] == "DEFAULT" or (name == "Move" and op.graph[0] == "DEFAULT")):
        why = f"{name.upper()} into or out of DEFAULT"
    elif name == "Load" and dict.get(op, "graphiri") is None:
        why = "LOAD without INTO GRAPH"
    if why:
        raise UpdateRefused(
            f"this update writes the default graph ({why}); here the default graph is the "
            "union of the named graphs and cannot be written by such an update: write a "
            "named graph (GRAPH <…> { … } or WITH <…>), or send INSERT DATA / DELETE DATA "
            f"on their own (their default-graph triples are kept in <{USER_GRAPH}>)")


_NAMES = {"InsertData": "INSERT DATA", "DeleteData": "DELETE DATA",
          "Modify": "DELETE/INSERT … WHERE", "DeleteWhere": "DELETE WHERE"}


def _data_update(db: ox.Store, sparql: str, ops) -> str:
    subjects: set[ox.NamedNode] = set()
    for op in ops:
        for s, _, _ in [*op.triples, *(t for ts in op.quads.values() for t in ts)]:
            if isinstance(s, URIRef):
                subjects.add(ox.NamedNode(str(s)))
    user = ox.NamedNode(USER_GRAPH)
    before: set[ox.Quad] = set()
    for s in subjects:
        before.update(db.quads_for_pattern(s, None, None, None))
    # the copy's default graph is the user's own (the user graph), not the union: what the
    # update inserts there or deletes from there is the user's
    copy = ox.Store()
    copy.extend(ox.Quad(q.subject, q.predicate, q.object) if q.graph_name == user else q
                for q in before if not isinstance(q.graph_name, ox.DefaultGraph))
    copy.update(sparql)  # Oxigraph's own reading of every term, in the operations' order
    final = {ox.Quad(q.subject, q.predicate, q.object, user)
             if isinstance(q.graph_name, ox.DefaultGraph) else q for q in copy}
    # … and the default graph of these subjects made again from their named graphs
    final |= {ox.Quad(q.subject, q.predicate, q.object) for q in final}
    return _writes(before - final, final - before)


def _writes(removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> str:
    parts = []
    for verb, quads in (("DELETE DATA", removed), ("INSERT DATA", added)):
        body = _data_block(quads)
        if body:
            parts.append(f"{verb} {{\n{body}}}")
    return " ;\n".join(parts) or "INSERT DATA { }"


def _data_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of INSERT DATA / DELETE DATA, written by Oxigraph's serialiser."""
    by_graph: dict[object, list[ox.Triple]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(q.triple)
    out = []
    for g, triples in by_graph.items():
        nt = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
        out.append(nt if isinstance(g, ox.DefaultGraph) else f"GRAPH {g} {{\n{nt}}}\n")
    return "".join(out)
