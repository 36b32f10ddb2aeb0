"""The remote store's login, as the server asks for it: HTTP Basic or Digest learnt from the
401 challenge, or a bearer token sent up front — checked on the requests themselves, against
a server played by httpx's MockTransport. (Digest against a real Virtuoso: test_store.py.)"""

from __future__ import annotations

import base64

import httpx
import pytest

from policykg.remote_config import remote_config
from policykg.remote_store import RemoteStore
from policykg.store import StoreError

URL = "sparql+http://127.0.0.1:9/sparql"
ASK = b'{"head":{},"boolean":true}'


def _store(env: dict, handler) -> RemoteStore:
    store = RemoteStore(remote_config(URL, env=env))
    store._client = httpx.Client(transport=httpx.MockTransport(handler),
                                 auth=store.client.auth)
    return store


def test_basic_when_the_server_asks_for_basic():
    seen: list[str | None] = []
    good = "Basic " + base64.b64encode(b"reader:s3cret").decode()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        if request.headers.get("authorization") != good:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="sparql"'})
        return httpx.Response(200, content=ASK,
                              headers={"Content-Type": "application/sparql-results+json"})

    store = _store({"POLICYKG_STORE_USER": "reader", "POLICYKG_STORE_PASSWORD": "s3cret"},
                   handler)
    store.check()
    store.check()
    assert seen == [None, good, good]  # challenged once, then Basic from the start


def test_bearer_token_is_sent_up_front_and_a_refusal_is_a_clear_error():
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(403, text="forbidden")

    store = _store({"POLICYKG_STORE_TOKEN": "tok-123"}, handler)
    with pytest.raises(StoreError, match="refused the credentials") as e:
        store.check()
    assert seen == ["Bearer tok-123"]
    assert "tok-123" not in str(e.value)
