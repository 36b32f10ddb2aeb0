"""The remote store answers a deadlock the way the SQL state asks: a serializable server
(Virtuoso: "40001 Error SR172: Transaction deadlocked") rolled the statement back, so it is
sent again, not split as if it were too large and not reported as a failure — checked on the
requests themselves, against a server played by httpx's MockTransport. (Against a real
Virtuoso under contention: test_store.py::test_a_reader_never_sees_half_a_document.)"""

from __future__ import annotations

from urllib.parse import unquote_plus

import httpx
import pytest

from policykg.remote_config import remote_config
from policykg.remote_store import RemoteStore
from policykg.store import StoreError

URL = "sparql+http://127.0.0.1:9/sparql"
DEADLOCK = "Virtuoso 40001 Error SR172: Transaction deadlocked"
LINES = [f"<urn:s{i}> <urn:p> <urn:o> .\n" for i in range(120)]


def _store(handler) -> RemoteStore:
    store = RemoteStore(remote_config(URL, env={}))
    store._client = httpx.Client(transport=httpx.MockTransport(handler))
    return store


def _deadlocking(times: int, bodies: list[str]):
    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content.decode())
        if len(bodies) <= times:
            return httpx.Response(500, text=DEADLOCK)
        return httpx.Response(204)
    return handler


def test_an_upload_picked_as_deadlock_victim_is_sent_again_whole():
    bodies: list[str] = []
    store = _store(_deadlocking(2, bodies))
    store._upload("urn:g", LINES)
    assert len(bodies) == 3
    assert len(set(bodies)) == 1  # the same whole batch each time, never halved
    assert store._batch == store.config.batch_triples


def test_an_update_picked_as_deadlock_victim_is_sent_again():
    bodies: list[str] = []
    store = _store(_deadlocking(3, bodies))
    store._update("DROP SILENT GRAPH <urn:g>")
    assert len(bodies) == 4


def test_a_deadlock_that_never_clears_is_a_clear_error(monkeypatch):
    bodies: list[str] = []
    pauses: list[float] = []
    store = _store(_deadlocking(1000, bodies))
    monkeypatch.setattr(store, "_sleep", pauses.append)
    with pytest.raises(StoreError, match="deadlocked"):
        store._upload("urn:g", LINES)
    # bounded by time spent waiting, not by a count: ~20 s of pauses, none over a second
    assert store.DEADLOCK_RETRY_S <= sum(pauses) < store.DEADLOCK_RETRY_S + 1
    assert max(pauses) <= 1.0 and pauses[0] <= 0.05
    assert len(bodies) == len(pauses) + 1 < 100
    assert len(set(pauses)) > len(pauses) // 2  # jittered: clients do not retry in step


def test_a_refusal_that_is_not_a_deadlock_still_splits_the_batch():
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        n = unquote_plus(request.content.decode()).count("<urn:p>")
        sizes.append(n)
        return httpx.Response(500, text="SR...: too large") if n > 60 else httpx.Response(204)

    store = _store(handler)
    store._upload("urn:g", LINES)
    assert sizes == [120, 60, 60]


def test_booleans_are_read_back_as_the_embedded_store_writes_them():
    """Virtuoso answers xsd:boolean as "1"/"0"; Oxigraph as "true"/"false"."""
    from policykg.remote_store import canonical_booleans

    b = "http://www.w3.org/2001/XMLSchema#boolean"
    nt = f'<a> <b> "1"^^<{b}> .\n<a> <b> "0"^^<{b}> .\n<a> <b> "1" .\n<a> <b> "10"^^<{b}> .\n'
    assert canonical_booleans(nt.encode()).decode() == (
        f'<a> <b> "true"^^<{b}> .\n<a> <b> "false"^^<{b}> .\n<a> <b> "1" .\n'
        f'<a> <b> "10"^^<{b}> .\n')
    js = (f'[{{"type": "typed-literal", "datatype": "{b}", "value": "1"}}, '
          f'{{"value":"0","datatype":"{b}"}}, {{"type": "literal", "value": "1"}}]')
    assert canonical_booleans(js.encode()).decode() == (
        f'[{{"type": "typed-literal", "datatype": "{b}", "value": "true"}}, '
        f'{{"value":"false","datatype":"{b}"}}, {{"type": "literal", "value": "1"}}]')
