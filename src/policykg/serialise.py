"""Deterministic serialisation: two builds of the same input are byte-identical."""

from __future__ import annotations

import io

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.plugins.serializers.trig import TrigSerializer

from policykg.vocab import PREFIXES

FORMATS = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}


def sorted_ntriples(g: Graph) -> str:
    lines = {line for line in g.serialize(format="nt").splitlines() if line.strip()}
    return "".join(f"{line}\n" for line in sorted(lines))


def sorted_nquads(ds: Dataset) -> str:
    lines = {line for line in ds.serialize(format="nquads").splitlines() if line.strip()}
    return "".join(f"{line}\n" for line in sorted(lines))


def union(ds: Dataset) -> Graph:
    g = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


class _BoundOnly(NamespaceManager):
    """Shortens only IRIs under a bound prefix, as rdflib's own manager ends up doing for
    our graphs, but without its cost: rdflib files the namespace of every IRI it is asked
    about in a trie and scans the siblings there, and with one namespace per evidence node
    (…/evidence/<doc>/<start>-<end>/) writing Turtle or TriG was quadratic (a 1 MB document,
    150,000 triples: 9 minutes)."""

    def __init__(self, graph: Graph) -> None:
        super().__init__(graph, bind_namespaces="none")
        self._bound: tuple[str, ...] = ()

    def bind(self, prefix, namespace, override=True, replace=False) -> None:
        super().bind(prefix, namespace, override=override, replace=replace)
        self._bound = tuple(str(ns) for _, ns in self.namespaces())

    def compute_qname(self, uri: str, generate: bool = True) -> tuple[str, URIRef, str]:
        if not str.startswith(uri, self._bound):  # URIRef.startswith takes no tuple
            raise KeyError(f"no prefix bound for {uri}")  # the serialiser writes <uri>
        return super().compute_qname(uri, generate)


def _with_prefixes(g: Graph) -> Graph:
    g.namespace_manager = _BoundOnly(g)
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


def _canonical(g: Graph) -> Graph:
    """A graph whose insertion order is the sorted N-Triples order, prefixes bound."""
    out = _with_prefixes(Graph(bind_namespaces="none"))
    out.parse(data=sorted_ntriples(g), format="nt")
    return out


def serialise(ds: Dataset, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "nq":
        return sorted_nquads(ds)
    if fmt == "nt":
        return sorted_ntriples(union(ds))
    if fmt == "trig":
        out = _with_prefixes(Dataset())
        out.parse(data=sorted_nquads(ds), format="nquads")
        writer = TrigSerializer(out)
        # each graph gets the bounded namespace manager, and the graphs come in IRI order
        for graph in writer.contexts:
            graph.namespace_manager = out.namespace_manager
        writer.contexts.sort(key=lambda graph: str(graph.identifier))
        buf = io.BytesIO()
        writer.serialize(buf, encoding="utf-8")
        return buf.getvalue().decode("utf-8")
    g = _canonical(union(ds))
    if fmt == "jsonld":
        return g.serialize(format="json-ld", context={p: str(n) for p, n in PREFIXES.items()},
                           sort_keys=True, indent=1)
    return g.serialize(format="turtle")
