"""The FastAPI application: wiring only. Each feature lives in its own module."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from policykg.search import SearchIndex
from policykg.store import OxigraphStore
from policykg_api import sparql
from policykg_api.pool import QueryPool
from policykg_api.settings import Settings


def _load_index(store: OxigraphStore) -> SearchIndex:
    from rdflib import Graph

    g = Graph()
    data = store.export("nt")
    if data:
        g.parse(data=data.decode("utf-8"), format="nt")
    return SearchIndex.from_graph(g)


class ServerTiming:
    """Adds `Server-Timing: app;dur=…` to every response (plain ASGI: no per-request task,
    unlike Starlette's BaseHTTPMiddleware)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.2f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    store = OxigraphStore(settings.store_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = QueryPool(settings.store_dir, settings.workers)
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

    app.add_middleware(ServerTiming)

    @app.get("/health", summary="Liveness and store figures")
    async def health() -> dict:
        return {"status": "ok", "triples": len(store), "documents": len(store.documents()),
                "queries_stopped_at_deadline": app.state.pool.killed}

    app.include_router(sparql.router)
    return app
