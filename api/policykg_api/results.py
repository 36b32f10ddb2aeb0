"""Serialising query results with a row cap, and the media types each result form offers.

SELECT results are capped at the row limit here (the capped result saying it was truncated)
and written by pyoxigraph, as are graphs (CONSTRUCT/DESCRIBE)."""

from __future__ import annotations

import json

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


# Results formats as pyoxigraph names them.
NATIVE = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
          "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}


class _Full(Exception):
    """Raised into pyoxigraph's writer to stop it (and the query) at the row cap."""


class _FirstLines:
    """A file for pyoxigraph's TSV writer that keeps the first `limit` lines and stops the
    writer as soon as anything follows them."""

    def __init__(self, limit: int) -> None:
        self.limit, self.lines, self.over = limit, 0, False
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        data = bytes(data)
        n = data.count(b"\n")
        if self.lines + n < self.limit:
            self.parts.append(data)
            self.lines += n
            return len(data)
        end = -1
        for _ in range(self.limit - self.lines):
            end = data.index(b"\n", end + 1)
        self.parts.append(data[:end + 1])
        self.lines = self.limit
        if end + 1 < len(data):
            self.over = True
            raise _Full
        return len(data)

    def flush(self) -> None:
        pass


def write_select(res: ox.QuerySolutions, fmt: str, max_rows: int) -> tuple[bytes, int, bool]:
    """SELECT results in `fmt` ("json", "xml", "csv", "tsv"), at most `max_rows` of them:
    (body, rows, truncated). Written by pyoxigraph, never row by row in Python (which cost
    ~2.4 ms per 1,000 rows): its TSV (one line per row, so the cap is a count of lines) is
    cut at the cap, stopping the query there, and read back into the format asked for.
    A truncated JSON result says so in a `truncated` field too."""
    sink = _FirstLines(max_rows + 1)  # the header, then the rows
    try:
        res.serialize(sink, format=ox.QueryResultsFormat.TSV)
    except _Full:
        pass
    tsv = b"".join(sink.parts)
    rows, truncated = sink.lines - 1, sink.over
    if fmt == "tsv":
        return tsv, rows, truncated
    body = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(
        format=NATIVE[fmt])
    if truncated and fmt == "json":
        if body.endswith(b"]}}"):
            body = body[:-2] + b',"truncated":true}}'
        else:  # not laid out as expected: the slow, sure way
            doc = json.loads(body)
            doc["results"]["truncated"] = True
            body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return body, rows, truncated


def write_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>").encode()
    return (("true" if value else "false") + "\n").encode()
