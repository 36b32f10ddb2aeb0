"""The FastAPI application: wiring only. Each feature lives in its own module."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from policykg.search import SearchIndex, normalise_lang
from policykg.store import GraphStore, open_store
from policykg_api import entities, export_routes, ingest_routes, search_routes, sparql
from policykg_api.middleware import Observe
from policykg_api.pool import QueryPool
from policykg_api.settings import Settings


def _load_index(store: GraphStore) -> SearchIndex:
    """The search index from the store's labels and types, read with two queries (no
    rdflib graph of the whole store)."""
    from collections import defaultdict

    labels: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    pref = "http://www.w3.org/2004/02/skos/core#prefLabel"
    for r in store.query(
            "SELECT DISTINCT ?s ?p ?l WHERE { GRAPH ?g { ?s ?p ?l } "
            "VALUES ?p { <http://www.w3.org/2004/02/skos/core#prefLabel> "
            "<http://www.w3.org/2004/02/skos/core#altLabel> "
            "<http://www.w3.org/2000/01/rdf-schema#label> } FILTER(isIRI(?s)) }"):
        lang = normalise_lang(r["l"].language if hasattr(r["l"], "language") else None)
        if lang in ("zh", "en"):
            labels[r["s"].value].append((r["l"].value, lang, r["p"].value == pref))
    types: dict[str, list[str]] = defaultdict(list)
    for r in store.query("SELECT DISTINCT ?s ?t WHERE { GRAPH ?g { ?s a ?t } }"):
        if r["s"].value in labels:
            types[r["s"].value].append(r["t"].value)
    return SearchIndex.from_labels(labels, {k: tuple(sorted(v)) for k, v in types.items()})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    store = open_store(settings.store)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = QueryPool(settings.store, settings.workers)
        await pool.start()
        app.state.pool = pool
        app.state.index = _load_index(store)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="policykg", version="0.1.0", lifespan=lifespan,
                  description="A bilingual knowledge graph of Chinese policy documents: "
                              "SPARQL 1.1, entity look-up and search in Chinese, English "
                              "and pinyin, Linked Data and export.")
    app.state.settings = settings
    app.state.store = store

    async def after_write() -> None:
        app.state.index = _load_index(store)

    app.state.after_write = after_write
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                       allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
                       allow_headers=["Accept", "Content-Type", "Authorization"],
                       expose_headers=["PolicyKG-Truncated", "PolicyKG-Rows",
                                       "Server-Timing"])

    app.add_middleware(Observe)

    @app.get("/health", summary="Liveness and store figures")
    async def health() -> dict:
        return {"status": "ok", "triples": len(store), "documents": len(store.documents()),
                "queries_stopped_at_deadline": app.state.pool.killed}

    app.include_router(sparql.router)
    app.include_router(ingest_routes.router)
    app.include_router(entities.router)
    app.include_router(search_routes.router)
    app.include_router(export_routes.router)
    return app
