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
<urn:b> <urn:p> "x"@en , <urn:a> , <<( <urn:a> <urn:p> <urn:b> )>> , "a,{"@en , "b,{" .
<urn:c> <urn:p> "[{\\"v\\":{\\"w\\"},{" , "<result>" , "c}},{" , "d}},{"@en .
"""
QUERY = ("SELECT ?s ?o ?z WHERE { ?s <urn:p> ?o OPTIONAL { ?o <urn:q> ?z } } "
         "ORDER BY ?s STR(?o)")
ROWS = 17


class Runs:
    """The query as the writer runs it, counting its runs."""

    def __init__(self, store: ox.Store, query: str = QUERY) -> None:
        self.store, self.query, self.n = store, query, 0

    def __call__(self) -> ox.QuerySolutions:
        self.n += 1
        return self.store.query(self.query)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.load(DATA, format=ox.RdfFormat.TURTLE)
    return s


@pytest.mark.parametrize("fmt", list(NATIVE))
@pytest.mark.parametrize("cap", [ROWS, ROWS + 1, 10_000])
def test_under_the_cap_the_result_is_pyoxigraphs_own(store, fmt, cap):
    body, rows, truncated = write_select(lambda: store.query(QUERY), fmt, cap)
    assert (rows, truncated) == (ROWS, False)
    assert body == store.query(QUERY).serialize(format=NATIVE[fmt])


@pytest.mark.parametrize("cap", [0, 1, 4, ROWS - 1])
def test_over_the_cap_the_first_rows_are_kept_and_said_to_be_cut(store, cap):
    whole = json.loads(store.query(QUERY).serialize(format=ox.QueryResultsFormat.JSON))
    body, rows, truncated = write_select(lambda: store.query(QUERY), "json", cap)
    doc = json.loads(body)
    assert (rows, truncated) == (cap, True)
    assert doc["results"].pop("truncated") is True
    assert doc["head"] == whole["head"]
    assert doc["results"]["bindings"] == whole["results"]["bindings"][:cap]


@pytest.mark.parametrize("fmt", ["tsv", "csv", "xml"])
def test_other_formats_are_cut_at_the_same_row(store, fmt):
    body, rows, truncated = write_select(lambda: store.query(QUERY), fmt, 3)
    assert (rows, truncated) == (3, True)
    again = ox.parse_query_results(body, format=NATIVE[fmt]) if fmt != "csv" else None
    if again is not None:
        assert len(list(again)) == 3
    else:  # CSV: a header and three rows (a literal's line break is inside quotes)
        assert body.count(b"\r\n") == 4


def test_an_empty_result_and_one_without_variables(store):
    none = "SELECT ?x WHERE { ?x <urn:none> ?y }"
    body, rows, truncated = write_select(lambda: store.query(none), "json", 5)
    assert (rows, truncated) == (0, False)
    assert json.loads(body)["results"]["bindings"] == []
    body, rows, truncated = write_select(lambda: store.query("SELECT * WHERE {}"), "json", 5)
    assert (rows, truncated) == (1, False) and json.loads(body)["results"]["bindings"] == [{}]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_result_within_the_cap_is_written_once_straight_into_its_format(store, fmt):
    """Literals holding what a row's start looks like (`,{`, `[{`, `<result>`) neither
    miscount the rows nor send a result within the cap down the second, exact way."""
    runs = Runs(store)
    body, rows, truncated = write_select(runs, fmt, ROWS)
    assert (rows, truncated, runs.n) == (ROWS, False, 1)
    assert body == store.query(QUERY).serialize(format=NATIVE[fmt])


def test_a_result_over_the_cap_is_run_again_and_cut_exactly(store):
    runs = Runs(store)
    _, rows, truncated = write_select(runs, "json", ROWS - 1)
    assert (rows, truncated, runs.n) == (ROWS - 1, True, 2)


@pytest.mark.parametrize("n", [2_999, 3_000])
def test_rows_are_counted_across_the_writers_chunks(n):
    """Thousands of rows reach the sink in many chunks: the count stays exact at the cap."""
    s = ox.Store()
    s.extend([ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(f"v,{{{i}"))
              for i in range(3_000)])
    q = "SELECT ?s ?o WHERE { ?s <urn:p> ?o }"
    runs = Runs(s, q)
    body, rows, truncated = write_select(runs, "json", n)
    assert (rows, truncated) == (n, n < 3_000)
    assert runs.n == (1 if n == 3_000 else 2)
    assert len(json.loads(body)["results"]["bindings"]) == n


def test_a_literal_holding_an_empty_rows_text_is_counted_exactly(store):
    """`{}` in a value looks like a row without bindings: the rows are counted again the
    exact way, and the answer is still the whole, right result."""
    s = ox.Store()
    s.load(b'<urn:a> <urn:p> "x{}y" , "z" .', format=ox.RdfFormat.TURTLE)
    q = "SELECT ?o WHERE { ?s <urn:p> ?o } ORDER BY ?o"
    runs = Runs(s, q)
    body, rows, truncated = write_select(runs, "json", 2)
    assert (rows, truncated, runs.n) == (2, False, 2)
    assert body == s.query(q).serialize(format=ox.QueryResultsFormat.JSON)


MIXED = ("SELECT ?z WHERE { ?s <urn:p> ?o BIND(IF(isIRI(?o), ?o, 1/0) AS ?z) } "
         "ORDER BY STR(?o)")  # rows without values (`{}`, where ?o is not an IRI) among others


def test_the_count_never_falls_short_of_the_rows_and_says_when_it_is_exact(store):
    """Rows are counted from the text (to stop the writer at the cap, and for the answer's
    row count): the count may be more than the rows where the text holds `{}` (and then says
    it is not exact), never fewer — rows without values among rows with them, and literals
    that end like a row's start, included."""
    from policykg_api.results import _json_rows

    for query in (QUERY, MIXED, "SELECT ?z WHERE { ?s <urn:p> ?o }"):
        body = store.query(query).serialize(format=ox.QueryResultsFormat.JSON)
        rows = len(json.loads(body)["results"]["bindings"])
        count, exact = _json_rows(body)
        assert count >= rows and exact == (b"{}" not in body), query
        assert not exact or count == rows, query


@pytest.mark.parametrize("size", [1, 2, 3, 5, 13, 14, 15, 64, 8192])
def test_counted_in_chunks_the_rows_add_up_to_the_whole(store, size):
    """Counted chunk by chunk as the writer hands them over (each with the end of the one
    before), a result's rows come to what the whole text counts: a row's start, a literal's
    end or a `{}` split between two chunks is counted once."""
    from policykg_api.results import _JSON_KEEP, _json_rows, _Sink

    for query in (QUERY, MIXED):
        body = store.query(query).serialize(format=ox.QueryResultsFormat.JSON)
        sink = _Sink(_json_rows, _JSON_KEEP, limit=10**9, row_bytes=0)  # counts every chunk
        for i in range(0, len(body), size):
            sink.write(body[i:i + size])
        assert (sink.rows(), sink.exact) == _json_rows(body), query
        assert sink.body() == body
