"""One document's graph in the forms its consumers read: the mapper's list of triples,
N-Triples text (what rudof validates and the store loads), and an rdflib Graph (pySHACL, the
evaluation, tests), built only when asked for.

Ingest never needs the rdflib Graph of a document that conforms: adding ~2,000 triples to
one cost ~30 ms per document (rdflib's store keeps three indexes and fires an event per
triple), and writing N-Triples back out of it another ~9 ms; writing the text straight from
the list takes ~3 ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.plugins.serializers.nt import _nt_row  # rdflib's own N-Triples line writer
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

# What an IRI may not hold in N-Triples (as rdflib's URIRef.n3 checks before writing).
_BAD_IRI = re.compile(r'[<>" {}|\\^`\x00-\x20]')


@dataclass(frozen=True)
class GraphText:
    """A graph in N-Triples, and whether it is plain: no blank node and no ill-typed literal,
    which rudof and pySHACL read alike."""

    ntriples: str
    plain: bool


def graph_text(g: rdflib.Graph) -> GraphText:
    """An rdflib graph as N-Triples, noting in the same pass whether it is plain."""
    rows, plain = [], True
    for triple in g:
        if plain:
            plain = _plain_terms(triple)
        rows.append(_nt_row(triple))
    return GraphText("".join(rows), plain)


def _plain_terms(triple: Triple) -> bool:
    for term in triple:
        if isinstance(term, BNode) or (isinstance(term, Literal) and term.ill_typed):
            return False
    return True


@dataclass
class DocumentGraph:
    """A document's named graph as the mapper wrote it: each triple once, in the order
    written."""

    identifier: URIRef
    content_hash: str
    triples: list[Triple]
    _text: GraphText | None = field(default=None, repr=False)
    _graph: rdflib.Graph | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.triples)

    def text(self) -> GraphText:
        if self._text is None:
            self._text = _write(self.triples)
        return self._text

    def graph(self) -> rdflib.Graph:
        if self._graph is None:
            g = rdflib.Graph(identifier=self.identifier)
            g.addN((s, p, o, g) for s, p, o in self.triples)
            self._graph = g
        return self._graph


def _write(triples: list[Triple]) -> GraphText:
    """N-Triples for the terms a mapper writes (IRIs and literals; a blank node, never
    written by the mapper, would be written too, and marks the graph as not plain)."""
    iris: dict[str, str] = {}  # an IRI recurs on many lines: checked and wrapped once
    rows: list[str] = []
    plain = True

    def iri(term: str) -> str:
        text = iris.get(term)
        if text is None:
            if _BAD_IRI.search(term):
                raise ValueError(f"{term!r} is not a valid IRI: cannot write it as N-Triples")
            text = iris[term] = f"<{term}>"
        return text

    for s, p, o in triples:
        if type(o) is URIRef:
            obj = iri(o)
        elif isinstance(o, Literal):
            obj = _literal(o)
            if plain and o.ill_typed:
                plain = False
        else:  # a blank node
            obj = o.n3()
            plain = False
        if type(s) is URIRef:
            subject = iri(s)
        else:
            subject = s.n3()
            plain = False
        rows.append(f"{subject} {iri(p)} {obj} .\n")
    return GraphText("".join(rows), plain)


def _literal(lit: Literal) -> str:
    # as rdflib's N-Triples serialiser writes a literal (_quoteLiteral)
    text = '"' + (str(lit).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
                  .replace("\r", "\\r")) + '"'
    if lit.language:
        return f"{text}@{lit.language}"
    if lit.datatype:
        return f"{text}^^<{lit.datatype}>"
    return text
