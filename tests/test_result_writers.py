"""The SPARQL JSON results writer (api/policykg_api/results.py), read back with json: every
kind of term, unbound values, quotes, braces and tabs in literals, truncation — the same
document as pyoxigraph's own writer gives for the same solutions."""

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


def test_json_results_read_back_as_written():
    """Checked against pyoxigraph's own writer on the same solutions (an independent
    implementation of the W3C format), with and without the truncation field."""
    s, q = _solutions()
    res = s.query(q)
    variables = [v.value for v in res.variables]
    rows = [tuple(sol) for sol in res]
    assert len(rows) == 9 and any(t is None for row in rows for t in row)
    theirs = json.loads(s.query(q).serialize(format=ox.QueryResultsFormat.JSON))
    assert json.loads(write_select(variables, rows, "json", False)) == theirs
    truncated = json.loads(write_select(variables, rows, "json", True))
    assert truncated["results"].pop("truncated") is True and truncated == theirs
    assert json.loads(write_select(variables, [], "json", False))["results"]["bindings"] == []

