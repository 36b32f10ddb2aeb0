"""The SPARQL JSON results writer (api/policykg_api/results.py) against the W3C format, read
back with json: every kind of term, unbound values, repeated terms, truncation — and the
same bytes as pyoxigraph's own writer gives for the same solutions."""

from __future__ import annotations

import json

import pyoxigraph as ox

from policykg_api.results import write_select

DATA = """
<urn:a> <urn:p> "x"@en , "y" , 3 , "2025-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .
<urn:a> <urn:p> _:b1 , "引号 \\"quoted\\" {\\"" , "tab\\tand\\nline" .
<urn:b> <urn:p> "x"@en , <urn:a> .
"""


def _solutions():
    s = ox.Store()
    s.load(DATA, format=ox.RdfFormat.TURTLE)
    q = ("SELECT ?s ?o ?z WHERE { ?s <urn:p> ?o OPTIONAL { ?o <urn:q> ?z } } "
         "ORDER BY ?s STR(?o)")
    return s, q


def _expected(variables, rows, truncated=False):
    def term(t):
        if isinstance(t, ox.NamedNode):
            return {"type": "uri", "value": t.value}
        if isinstance(t, ox.BlankNode):
            return {"type": "bnode", "value": t.value}
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            d["datatype"] = t.datatype.value
        return d
    doc = {"head": {"vars": variables}, "results": {"bindings": [
        {v: term(t) for v, t in zip(variables, row, strict=True) if t is not None}
        for row in rows]}}
    if truncated:
        doc["results"]["truncated"] = True
    return doc


def test_json_results_read_back_as_written():
    s, q = _solutions()
    res = s.query(q)
    variables = [v.value for v in res.variables]
    rows = [tuple(sol) for sol in res]
    assert len(rows) == 9 and any(t is None for row in rows for t in row)
    for truncated in (False, True):
        body = write_select(variables, rows, "json", truncated)
        assert json.loads(body) == _expected(variables, rows, truncated)
    assert json.loads(write_select(variables, [], "json", False))["results"]["bindings"] == []


def test_json_results_equal_pyoxigraphs_own():
    s, q = _solutions()
    res = s.query(q)
    variables = [v.value for v in res.variables]
    ours = json.loads(write_select(variables, [tuple(sol) for sol in res], "json", False))
    theirs = json.loads(s.query(q).serialize(format=ox.QueryResultsFormat.JSON))
    assert ours == theirs
