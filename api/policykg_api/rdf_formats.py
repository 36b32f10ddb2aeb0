"""An entity's description written as Turtle, N-Triples or compacted JSON-LD, and the
formats /data offers (by media type and by file suffix)."""

from __future__ import annotations

import json

import pyoxigraph as ox

from policykg_api.vocabulary import PREFIXES, TYPE, XSD_STRING

FORMATS = {  # media type → suffix
    "text/turtle": "ttl", "application/ld+json": "jsonld", "application/n-triples": "nt",
    "application/json": "json",
}
SUFFIXES = {f".{s}": m for m, s in FORMATS.items()}


def jsonld_context(base: str) -> dict:
    """The published @context: the vocabulary prefixes, and `id:` / `graph:` for our IRIs."""
    return {**PREFIXES, "id": base + "id/", "graph": base + "graph/"}


def _compact(iri: str, context: dict) -> str:
    for prefix, ns in sorted(context.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def to_jsonld(triples: list[ox.Triple], base: str) -> dict:
    """Compacted JSON-LD with the context inline (the same as /context.jsonld), so the
    document reads without fetching anything."""
    ctx = jsonld_context(base)
    nodes: dict[str, dict] = {}

    def ident(term: ox.NamedNode | ox.BlankNode) -> str:
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else _compact(term.value, ctx)

    for t in triples:
        node = nodes.setdefault(str(t.subject), {"@id": ident(t.subject)})
        o = t.object
        if t.predicate.value == TYPE and isinstance(o, ox.NamedNode):
            node.setdefault("@type", []).append(ident(o))
            continue
        if isinstance(o, ox.Literal):
            v: dict = {"@value": o.value}
            if o.language:
                v["@language"] = o.language
            elif o.datatype.value != XSD_STRING:
                v["@type"] = _compact(o.datatype.value, ctx)
        else:
            v = {"@id": ident(o)}
        node.setdefault(_compact(t.predicate.value, ctx), []).append(v)
    return {"@context": ctx, "@graph": list(nodes.values())}  # the entity first


def serialise(media: str, triples: list[ox.Triple], base: str) -> bytes:
    """Turtle (with the usual prefixes), N-Triples, or else JSON-LD."""
    if media == "text/turtle":
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    if media == "application/n-triples":
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return json.dumps(to_jsonld(triples, base), ensure_ascii=False, indent=1).encode("utf-8")
