"""Deterministic serialisation: two builds of the same input are byte-identical."""

from __future__ import annotations

from rdflib import Dataset, Graph

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


def _canonical(g: Graph) -> Graph:
    """A graph whose insertion order is the sorted N-Triples order, prefixes bound."""
    out = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns)
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
        out = Dataset()
        for prefix, ns in PREFIXES.items():
            out.bind(prefix, ns)
        out.parse(data=sorted_nquads(ds), format="nquads")
        return out.serialize(format="trig")
    g = _canonical(union(ds))
    if fmt == "jsonld":
        return g.serialize(format="json-ld", context={p: str(n) for p, n in PREFIXES.items()},
                           sort_keys=True, indent=1)
    return g.serialize(format="turtle")
