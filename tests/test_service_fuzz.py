"""The service against requests generated from its own OpenAPI document (schemathesis): no
request, however malformed, gets a 5xx. Reads and refused writes go to the shared server,
which must be unchanged afterwards; writes with the token go to a server of their own."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from conftest import TOKEN, stop_server
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from state import seeded_server, store_state


# the SPARQL Protocol's own body types go on the wire as they are
@schemathesis.serializer("application/sparql-query", "application/sparql-update")
def _sparql_text(ctx, value) -> bytes | None:
    if value is None:
        return None
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


SENT: Counter = Counter()  # (fixture, status class) → requests
BOUNDED = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def shared_before(server):
    return store_state(server.url)


@pytest.fixture(scope="module")
def read_api(server, shared_before):
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


@pytest.fixture(scope="module")
def write_server(tmp_path_factory):
    s = seeded_server(tmp_path_factory.mktemp("fuzzed") / "store", "--token", TOKEN)
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def write_api(write_server):
    return schemathesis.openapi.from_url(write_server.url + "/openapi.json")


def _call(case, label: str, headers: dict | None = None):
    response = case.call(headers=headers, timeout=60)
    SENT[label, f"{response.status_code // 100}xx"] += 1
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: "
        f"{response.text[:500]}\nreproduce: {case.as_curl_command()}")
    return response


def _fuzz(schema, label: str, headers: dict | None = None, method: str | None = None) -> int:
    """Each operation: the schema's examples, then requests that fit the schema and requests
    that do not (hypothesis, bounded and seeded). Returns the operations tried."""
    tried = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if method and op.method.upper() != method:
            continue
        tried += 1
        strategies = [*schema.get_strategies_from_examples(op),
                      op.as_strategy(GenerationMode.POSITIVE),
                      op.as_strategy(GenerationMode.NEGATIVE)]
        for strategy in strategies:
            @BOUNDED
            @given(case=strategy)
            def run(case):
                _call(case, label, headers)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (an operation without inputs)
                assert strategy is strategies[-1], op.label
    return tried


def _backend(server) -> str:
    return "embedded" if isinstance(server.store, Path) else "virtuoso"


def _figures(label: str) -> str:
    mine = {status: n for (who, status), n in SENT.items() if who == label}
    return (f"{sum(mine.values())} generated requests ("
            + ", ".join(f"{status} {n}" for status, n in sorted(mine.items()))
            + f"), server errors {mine.get('5xx', 0)}")


def test_no_generated_request_gets_a_server_error(server, read_api, shared_before, capsys):
    """Every operation, no token: writes are refused, reads answered or refused with 4xx;
    the store is the same afterwards."""
    label = f"anonymous on {_backend(server)}"
    assert _fuzz(read_api, label) >= 14
    assert store_state(server.url) == shared_before
    with capsys.disabled():
        print(f"\nschemathesis, {label}: {_figures(label)}; store unchanged "
              f"({shared_before[0]} triples, export sha256 {shared_before[1][:12]}…)")
    assert sum(n for (who, _), n in SENT.items() if who == label) > 100


def test_no_generated_write_gets_a_server_error(write_api, capsys):
    """POST /ingest and /sparql with the token: random documents, queries and updates."""
    label = "with the token"
    assert _fuzz(write_api, label, {"Authorization": f"Bearer {TOKEN}"}, "POST") == 2
    with capsys.disabled():
        print(f"\nschemathesis, {label}: {_figures(label)}")
    assert sum(n for (who, _), n in SENT.items() if who == label) > 20
