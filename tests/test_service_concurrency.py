"""Ingest through a running server while 32 clients read: no request fails, no query sees
part of a document (every document graph counts 0 triples or all of them), and the final
store equals a sequential ingest of the same documents, quad for quad."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pyoxigraph as ox
import pytest
from conftest import TOKEN, stop_server
from state import SMALL, seeded_server
from variants import expected_graphs, write_variants

from policykg.build import build_one
from policykg.store import OxigraphStore

CLIENTS = 32
DOCUMENTS = 8
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
WORDS = ("四川", "sichuan", "乙烯项目")
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    s = seeded_server(tmp_path_factory.mktemp("concurrent") / "store", "--token", TOKEN,
                      "--query-timeout", "60", env={"POLICYKG_QUERY_WORKERS": "2"})
    yield s
    stop_server(s)


def test_ingest_while_32_clients_query(busy, tmp_path, capsys):
    paths = write_variants(tmp_path / "documents", DOCUMENTS)
    expected = expected_graphs(paths)
    seed = build_one(SMALL).graph
    full = {g: len(graph) for g, graph in expected.items()} | {str(seed.identifier): len(seed)}
    doc_paths = [g.replace("/graph/", "/id/doc/").split("/id/", 1)[1] for g in expected]

    stop = threading.Event()
    sent: Counter = Counter()
    errors: list[str] = []
    partial: list[str] = []
    seen_counts: Counter = Counter()  # documents visible, per answer
    lock = threading.Lock()

    def client(i: int) -> None:
        with httpx.Client(base_url=busy.url, timeout=120) as http:
            k = 0
            while not stop.is_set():
                k += 1
                kind = ("sparql", "search", "data")[(i + k) % 3]
                try:
                    if kind == "sparql":
                        r = http.get("/sparql", params={"query": PER_GRAPH}, headers=JSON)
                        ok = r.status_code == 200
                        if ok:
                            counts = {b["g"]["value"]: int(b["n"]["value"])
                                      for b in r.json()["results"]["bindings"]}
                            bad = [f"{g}: {n} of {full.get(g)}" for g, n in counts.items()
                                   if n != full.get(g)]
                            with lock:
                                partial.extend(bad)
                                seen_counts[len(counts)] += 1
                    elif kind == "search":
                        r = http.get("/search", params={"q": WORDS[k % len(WORDS)]})
                        ok = r.status_code == 200 and r.json()["total"] > 0
                    else:
                        r = http.get(f"/data/{doc_paths[(i + k) % len(doc_paths)]}",
                                     headers={"Accept": "application/n-triples"})
                        ok = r.status_code in (200, 404)
                        if r.status_code == 200:
                            ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)
                except (httpx.HTTPError, SyntaxError, ValueError) as e:
                    ok, r = False, None
                    with lock:
                        errors.append(f"{kind}: {type(e).__name__}: {e}")
                with lock:
                    sent[kind] += 1
                    if not ok and r is not None:
                        errors.append(f"{kind}: {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # the readers are running before the first write
    start = time.monotonic()
    outcomes = Counter()
    with httpx.Client(base_url=busy.url, timeout=300,
                      headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        for path in paths:
            r = http.post("/ingest", params={"name": path.name}, content=path.read_bytes())
            assert r.status_code == 201, r.text
            outcomes[r.json()["outcome"]] += 1
            sent["ingest"] += 1
    ingest_s = time.monotonic() - start
    time.sleep(1.0)  # and keep reading the finished store for a moment
    stop.set()
    for t in threads:
        t.join(180)

    clean = OxigraphStore(tmp_path / "sequential")
    clean.put_document(seed)
    for graph in expected.values():
        clean.put_document(graph)
    served = httpx.get(busy.url + "/export", params={"format": "nq"}, timeout=120)
    final = {str(q) for q in ox.parse(served.content, format=ox.RdfFormat.N_QUADS)}
    sequential = {str(q) for q in clean.quads(None)}  # its document graphs

    with capsys.disabled():
        print(f"\nconcurrency: {DOCUMENTS} documents ingested in {ingest_s:.1f} s while "
              f"{CLIENTS} clients sent {sum(sent.values()) - sent['ingest']} requests ("
              + ", ".join(f"{k} {n}" for k, n in sorted(sent.items()) if k != "ingest")
              + f"); documents visible per SPARQL answer: {dict(sorted(seen_counts.items()))}"
              f"; errors {len(errors)}; partial documents seen {len(partial)}; final store "
              f"{'equals' if final == sequential else 'DIFFERS FROM'} a sequential ingest "
              f"({len(final)} quads)")
    assert not errors, errors[:10]
    assert not partial, partial[:10]
    assert outcomes == {"added": DOCUMENTS}
    assert final == sequential
    # the readers did overlap the writes: answers with some but not all documents
    assert any(1 < n < DOCUMENTS + 1 for n in seen_counts), seen_counts
    assert sent["sparql"] > CLIENTS and sent["search"] > CLIENTS and sent["data"] > CLIENTS
