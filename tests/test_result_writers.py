"""The capped SELECT results writer (api/policykg_api/results.py): every kind of term,
unbound values, quotes, braces, tabs and line breaks in literals, in each format — the same
document as pyoxigraph writes for the whole result when nothing is cut, and exactly the
first rows, said to be truncated, when the cap cuts it."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from policykg_api.results import NATIVE, write_select

DATA = """
<urn:a> <urn:p> "x"@en , "y" , 3 , "2025-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .
<urn:a> <urn:p> _:b1 , "引号 \\"quoted\\" {\\"" , "tab\\tand\\nline" , "]}}" .
<urn:b> <urn:p> "x"@en , <urn:a> , <<( <urn:a> <urn:p> <urn:b> )>> .
"""
QUERY = ("SELECT ?s ?o ?z WHERE { ?s <urn:p> ?o OPTIONAL { ?o <urn:q> ?z } } "
         "ORDER BY ?s STR(?o)")
ROWS = 11


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.load(DATA, format=ox.RdfFormat.TURTLE)
    return s


@pytest.mark.parametrize("fmt", list(NATIVE))
@pytest.mark.parametrize("cap", [ROWS, ROWS + 1, 10_000])
def test_under_the_cap_the_result_is_pyoxigraphs_own(store, fmt, cap):
    body, rows, truncated = write_select(store.query(QUERY), fmt, cap)
    assert (rows, truncated) == (ROWS, False)
    assert body == store.query(QUERY).serialize(format=NATIVE[fmt])


@pytest.mark.parametrize("cap", [0, 1, 4, ROWS - 1])
def test_over_the_cap_the_first_rows_are_kept_and_said_to_be_cut(store, cap):
    whole = json.loads(store.query(QUERY).serialize(format=ox.QueryResultsFormat.JSON))
    body, rows, truncated = write_select(store.query(QUERY), "json", cap)
    doc = json.loads(body)
    assert (rows, truncated) == (cap, True)
    assert doc["results"].pop("truncated") is True
    assert doc["head"] == whole["head"]
    assert doc["results"]["bindings"] == whole["results"]["bindings"][:cap]


@pytest.mark.parametrize("fmt", ["tsv", "csv", "xml"])
def test_other_formats_are_cut_at_the_same_row(store, fmt):
    body, rows, truncated = write_select(store.query(QUERY), fmt, 3)
    assert (rows, truncated) == (3, True)
    again = ox.parse_query_results(body, format=NATIVE[fmt]) if fmt != "csv" else None
    if again is not None:
        assert len(list(again)) == 3
    else:  # CSV: a header and three rows (a literal's line break is inside quotes)
        assert body.count(b"\r\n") == 4


def test_an_empty_result_and_one_without_variables(store):
    body, rows, truncated = write_select(store.query("SELECT ?x WHERE { ?x <urn:none> ?y }"),
                                         "json", 5)
    assert (rows, truncated) == (0, False)
    assert json.loads(body)["results"]["bindings"] == []
    body, rows, truncated = write_select(store.query("SELECT * WHERE {}"), "json", 5)
    assert (rows, truncated) == (1, False) and json.loads(body)["results"]["bindings"] == [{}]
