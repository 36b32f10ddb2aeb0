"""The FastAPI application: wiring only. Each feature lives in its own module."""

from __future__ import annotations

import asyncio
import gc
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from policykg.store import open_store
from policykg_api import (
    entities,
    export_routes,
    ingest_routes,
    limits,
    search_routes,
    sparql,
    sparql_path,
)
from policykg_api.cache import DescriptionCache
from policykg_api.index_holder import IndexHolder
from policykg_api.indexing import load_index, refresh
from policykg_api.middleware import Observe
from policykg_api.pool import QueryPool
from policykg_api.response_cache import KeptResponses, ResponseCache
from policykg_api.settings import Settings


class PolicyKG(FastAPI):
    """The application; GET and POST /sparql go straight to `sparql_path`'s stack."""

    sparql_stack: ASGIApp | None = None

    async def __call__(self, scope, receive, send) -> None:
        if self.sparql_stack is not None and sparql_path.handles(scope):
            await self.sparql_stack(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    store = open_store(settings.store)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = QueryPool(settings.store, settings.workers, settings.max_workers,
                         generation=lambda: store.generation)
        await pool.start()
        app.state.pool = pool
        # served at once: the index is read in the background (index_holder.py)
        app.state.search.build_in_background(lambda: load_index(store), index_ready)
        try:
            yield
        finally:
            await pool.close()

    app = PolicyKG(title="policykg", version="0.1.0", lifespan=lifespan,
                   description="A bilingual knowledge graph of Chinese policy documents: "
                               "SPARQL 1.1, entity look-up and search in Chinese, English "
                               "and pinyin, Linked Data and export.")
    app.state.settings = settings
    app.state.store = store
    # rendered /data descriptions; a remote store may be written by others: short-lived
    ttl = None if isinstance(settings.store, Path) else 5.0
    app.state.descriptions = DescriptionCache(4096, ttl=ttl)
    app.state.index_epoch = 0
    app.state.search = IndexHolder()

    def index_changed() -> None:
        app.state.index_epoch += 1  # kept /search answers are of the index before

    def index_ready() -> None:
        index_changed()
        # the start-up index's millions of objects out of the collector's generations: a
        # full collection no longer walks them during requests. Once only: frozen objects
        # are never collected, so a freeze after each write would keep that write's cyclic
        # garbage (the soak measured +250 MB in 5 minutes of ingests); what the index
        # replaces later is freed by reference counting.
        gc.freeze()

    async def after_write(iris: set[str] | None = None) -> None:
        """Bring the search index up to date: the entities of the documents written, or
        (after an arbitrary SPARQL Update) the whole index."""
        loop = asyncio.get_running_loop()
        search = app.state.search
        if iris is None:
            search.index = await loop.run_in_executor(None, load_index, store)
        else:
            await loop.run_in_executor(None, refresh, search.require(), store, iris)
        index_changed()

    app.state.after_write = after_write
    app.add_middleware(limits.BodyLimit, settings=settings)
    app.add_middleware(CORSMiddleware, **sparql_path.cors_options(settings))

    # whole look-up responses, outside CORS (their headers are kept with them)
    app.state.responses = KeptResponses(ttl=ttl)
    app.add_middleware(ResponseCache, kept=app.state.responses,
                       version=lambda: (store.generation, app.state.index_epoch))
    app.add_middleware(Observe)
    app.sparql_stack = sparql_path.stack(app, settings)

    @app.get("/health", summary="Liveness and store figures")
    async def health() -> dict:
        """`status` is "starting" while the search index is built after start-up (search
        and writes answer 503 meanwhile), "ok" once it is ready, and "degraded" if its
        build failed (`search_index.error` says why)."""
        # the counts scan the store (seconds at 10M triples): off the event loop, and once
        # per generation (the cache's key)
        triples, documents = await asyncio.get_running_loop().run_in_executor(
            None, app.state.descriptions.get_or_make, (store.generation, "/health"),
            lambda: (len(store), len(store.documents())))
        search = app.state.search
        status = "ok" if search.index is not None else "degraded" if search.error else \
            "starting"
        return {"status": status, "triples": triples, "documents": documents,
                "search_index": search.figures(),
                "queries_stopped_at_deadline": app.state.pool.killed,
                "query_workers": app.state.pool.figures(),
                "response_cache": app.state.responses.figures()}

    app.include_router(sparql.router)
    app.include_router(ingest_routes.router)
    app.include_router(entities.router)
    app.include_router(search_routes.router)
    app.include_router(export_routes.router)
    return app
