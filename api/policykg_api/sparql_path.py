"""GET and POST /sparql served around FastAPI's per-request machinery, through the same
middleware as every other route (access log and Server-Timing, CORS, body limit).

Each /sparql request cost the server about 0.45 ms of CPU when requests came back to back,
and over twice that when the server had idled between them (its CPU caches cold: measured
by bench/handoff.py) — which is how a researcher's queries arrive. FastAPI's routing,
dependency solving and its own middleware took ~55 µs of it (an in-process loop over one
request, the query workers left out), for nothing /sparql uses: the route reads its
parameters from the request itself. The FastAPI routes for /sparql stay declared: they
describe it in the OpenAPI document, and answer its other methods (405) and HEAD."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request

from policykg_api import handover, limits, sparql
from policykg_api.middleware import Observe
from policykg_api.settings import Settings

PATH = "/sparql"
METHODS = ("GET", "POST")


def cors_options(settings: Settings) -> dict:
    """CORS for every route, this path's and the application's alike."""
    return {"allow_origins": settings.cors_origins,
            "allow_methods": ["GET", "POST", "HEAD", "OPTIONS"],
            "allow_headers": ["Accept", "Content-Type", "Authorization"],
            "expose_headers": ["PolicyKG-Truncated", "PolicyKG-Rows", "Server-Timing"]}


def handles(scope) -> bool:
    return (scope["type"] == "http" and scope["path"] == PATH
            and scope["method"] in METHODS)


def stack(app: FastAPI, settings: Settings):
    """The ASGI application for `handles` requests: the route in the same middleware, in
    the same order, as `app` puts around its routes."""

    async def endpoint(scope, receive, send) -> None:
        scope["app"] = app  # what `request.app` reads
        response = await sparql.sparql(Request(scope, receive))
        await response(scope, receive, send)

    # outermost, as in `app`: an error becomes a 500 (and is raised on, for the server to
    # log), after the body limit has turned an oversized upload into its 413
    # outermost of all: a response a query worker wrote is finished here (handover.py)
    return handover.outermost(ServerErrorMiddleware(Observe(CORSMiddleware(
        limits.BodyLimit(endpoint, settings=settings), **cors_options(settings)))))
