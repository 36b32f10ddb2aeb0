"""Serialising query results with a row cap, and the media types each result form offers.

SELECT results are written here (JSON, XML, CSV, TSV) so that a capped result can say it
was truncated; graphs (CONSTRUCT/DESCRIBE) are written by pyoxigraph."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

SELECT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
# ?format= values. A name may stand for a results format and a graph format: which one
# applies depends on the query form (SPARQLWrapper sends format=xml for CONSTRUCT too).
FORMAT_ALIASES: dict[str, tuple[str, ...]] = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv",), "tsv": ("text/tab-separated-values",),
    "ttl": ("text/turtle",), "turtle": ("text/turtle",), "n3": ("text/turtle",),
    "nt": ("application/n-triples",), "ntriples": ("application/n-triples",),
    "nq": ("application/n-quads",), "trig": ("application/trig",),
    "jsonld": ("application/ld+json",), "json-ld": ("application/ld+json",),
    "rdfxml": ("application/rdf+xml",), "rdf+xml": ("application/rdf+xml",),
    "rdf": ("application/rdf+xml",),
}


def format_accept(values: list[str]) -> list[tuple[str, float]] | None:
    """The first known ?format= value as an accept list; None when none is known."""
    for v in values:
        v = v.strip().lower()
        if v in FORMAT_ALIASES:
            return [(m, 1.0) for m in FORMAT_ALIASES[v]]
        if v in SELECT_TYPES or v in GRAPH_TYPES:
            return [(v, 1.0)]
    return None


def _term_json(t: object) -> dict:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            d["datatype"] = t.datatype.value
        return d
    return {"type": "triple", "value": str(t)}


def _term_xml(t: object) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, ox.Literal):
        if t.language:
            return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
        if t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
        return f"<literal>{escape(t.value)}</literal>"
    return f"<literal>{escape(str(t))}</literal>"


def _term_tsv(t: object) -> str:
    return "" if t is None else str(t)  # pyoxigraph's str() is N-Triples/Turtle syntax


def _term_csv(t: object) -> str:
    """CSV results: IRIs and literals as their plain value, blank nodes as _:label."""
    if t is None:
        return ""
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    return getattr(t, "value", str(t))


def write_select(variables: list[str], rows: list[tuple[object, ...]], fmt: str,
                 truncated: bool) -> bytes:
    if fmt == "json":
        doc: dict = {"head": {"vars": variables}, "results": {"bindings": [
            {v: _term_json(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows]}}
        if truncated:
            doc["results"]["truncated"] = True  # an extension field; the header says it too
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
               "<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
               + "</head>", "<results>"]
        for row in rows:
            out.append("<result>" + "".join(
                f"<binding name={quoteattr(v)}>{_term_xml(t)}</binding>"
                for v, t in zip(variables, row, strict=True) if t is not None) + "</result>")
        out.append("</results></sparql>")
        return "\n".join(out).encode("utf-8")
    buf = io.StringIO()
    if fmt == "csv":
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(variables)
        for row in rows:
            w.writerow([_term_csv(t) for t in row])
    else:
        buf.write("\t".join("?" + v for v in variables) + "\n")
        for row in rows:
            buf.write("\t".join(_term_tsv(t) for t in row) + "\n")
    return buf.getvalue().encode("utf-8")


def write_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>").encode()
    return (("true" if value else "false") + "\n").encode()
