"""SPARQL 1.1 Protocol at /sparql: query by GET, form POST or direct POST; update by POST
with a bearer token. Queries run in the worker pool with a deadline and a row cap."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from policykg_api.auth import write_denied
from policykg_api.handover import EXTENSION, SENT
from policykg_api.index_holder import write_unavailable
from policykg_api.negotiation import parse_accept
from policykg_api.pool import QueryRequest, QueryTimeout, ResponseBegun, WorkerDied
from policykg_api.results import FORMAT_ALIASES, GRAPH_TYPES, SELECT_TYPES, format_accept
from policykg_api.ui import query_page, service_description
from policykg_api.worker_response import HeadSpec, answer_headers, content_type

router = APIRouter()


def _error(status: int, message: str, headers: dict | None = None) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


async def _params(request: Request) -> tuple[dict[str, list[str]], str | None]:
    """Protocol parameters from the query string and the body, and a direct-POST body."""
    params: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        params.setdefault(k, []).append(v)
    direct = None
    if request.method == "POST":
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if len(body) > request.app.state.settings.max_query_bytes:
            raise _TooLarge
        if ctype == "application/x-www-form-urlencoded":
            # parsed here: the form body is small and this needs no multipart library
            for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                params.setdefault(k, []).append(v)
        elif ctype in ("application/sparql-query", "application/sparql-update"):
            direct = body.decode("utf-8", errors="strict")
            params.setdefault("__direct_type", []).append(ctype)
        else:
            raise _BadType(ctype)
    return params, direct


class _TooLarge(Exception):
    pass


class _BadType(Exception):
    pass


# The protocol's parameters, read from the request by `_params` (repeatable, in the query
# string or a form body), described here for the OpenAPI document.
def _param(name: str, description: str, many: bool = False, example: str | None = None) -> dict:
    schema: dict = {"type": "array", "items": {"type": "string"}} if many else {"type": "string"}
    out = {"name": name, "in": "query", "required": False, "description": description,
           "schema": schema}
    if example is not None:
        out["example"] = [example] if many else example
    return out


_EXAMPLE = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5"
_PROTOCOL = [
    _param("default-graph-uri", "Graph IRI making up the default graph (repeatable); "
           "otherwise the union of all document graphs", many=True),
    _param("named-graph-uri", "Graph IRI the query may name with GRAPH (repeatable)", many=True),
    _param("format", "Result format instead of Accept: json, xml, csv, tsv, ttl, nt, nq, "
           "trig, jsonld, rdfxml, or a media type"),
    _param("timeout", "Seconds the query may run, at most the server's deadline"),
]
_QUERY = _param("query", "A SPARQL 1.1 query", example=_EXAMPLE)
_RESPONSES = {
    200: {"description": "Results (SELECT/ASK) or a graph (CONSTRUCT/DESCRIBE); the service "
                         "description (Turtle) without a query",
          "content": {m: {} for m in (*SELECT_TYPES, *GRAPH_TYPES)}},
    204: {"description": "Update done"},
    400: {"description": "Syntax error (with its position) or a bad parameter"},
    401: {"description": "Update without a bearer token"},
    403: {"description": "Update with a wrong token, or updates disabled"},
    406: {"description": "None of the accepted media types can carry the result"},
    413: {"description": "Query or body over the configured size"},
    415: {"description": "POST body of another content type"},
    503: {"description": "Query stopped at its deadline, or no worker free in time; an "
                         "update while the search index is built after start-up"},
}
_FORM = {"type": "object", "properties": {
    "query": {"type": "string", "example": _EXAMPLE}, "update": {"type": "string"},
    "default-graph-uri": {"type": "array", "items": {"type": "string"}},
    "named-graph-uri": {"type": "array", "items": {"type": "string"}},
    "format": {"type": "string"}, "timeout": {"type": "string"}}}
_GET_API = {"parameters": [_QUERY, *_PROTOCOL], "responses": _RESPONSES}
_POST_API = {"parameters": _PROTOCOL, "responses": _RESPONSES, "requestBody": {
    "required": False, "content": {
        "application/x-www-form-urlencoded": {"schema": _FORM},
        "application/sparql-query": {"schema": {"type": "string", "example": _EXAMPLE}},
        "application/sparql-update": {"schema": {"type": "string"}}}}}


@router.get("/sparql", summary="SPARQL 1.1 query", response_class=Response,
            openapi_extra=_GET_API)
@router.post("/sparql", summary="SPARQL 1.1 query and update", response_class=Response,
             openapi_extra=_POST_API)
async def sparql(request: Request) -> Response:
    """SPARQL 1.1 Protocol. Query: `query` (GET or form POST) or a body of type
    application/sparql-query; `default-graph-uri`, `named-graph-uri`; result format by Accept
    (q-values) or `format`; `timeout` (seconds, at most the server's). Update: `update`
    (form) or application/sparql-update, with `Authorization: Bearer <token>`.
    Without parameters: the service description (or a query form for a browser)."""
    settings = request.app.state.settings
    try:
        params, direct = await _params(request)
    except _TooLarge:
        return _error(413, f"request body over {settings.max_query_bytes} bytes")
    except _BadType as e:
        return _error(415, f"unsupported content type {e.args[0]!r}: use "
                           "application/x-www-form-urlencoded, application/sparql-query or "
                           "application/sparql-update")
    except UnicodeDecodeError:
        return _error(400, "the request body is not UTF-8")
    direct_type = (params.pop("__direct_type", [None]))[0]
    queries = params.get("query", [])
    updates = params.get("update", [])
    if direct is not None:
        (updates if direct_type == "application/sparql-update" else queries).append(direct)
    if len(queries) + len(updates) > 1:
        return _error(400, "give exactly one query or one update")
    if updates:
        if request.method != "POST":
            return _error(400, "SPARQL Update must be sent with POST")
        return await _update(request, updates[0])
    if not queries:
        accept = request.headers.get("accept", "")
        if "text/html" in accept:
            return HTMLResponse(query_page(settings))
        return Response(service_description(settings, str(request.url)),
                        media_type="text/turtle")
    query = queries[0]
    if len(query.encode("utf-8")) > settings.max_query_bytes:
        return _error(413, f"query over {settings.max_query_bytes} bytes")
    timeout = settings.query_timeout
    if "timeout" in params:
        try:
            timeout = min(timeout, float(params["timeout"][0]))
        except ValueError:
            return _error(400, "timeout must be a number of seconds")
        if timeout <= 0:
            return _error(400, "timeout must be positive")
    if params.get("format"):
        accept = format_accept(params["format"])
        if accept is None:
            return _error(400, f"unknown format {params['format'][0]!r}; use one of "
                               f"{', '.join(sorted(FORMAT_ALIASES))} or a media type")
    else:
        accept = parse_accept(request.headers.get("accept"))
    req = QueryRequest(query=query, accept=accept,
                       default_graph_uris=params.get("default-graph-uri", []),
                       named_graph_uris=params.get("named-graph-uri", []),
                       max_rows=settings.max_rows)
    client = _hand_over(request, req, timeout)
    try:
        reply = await request.app.state.pool.run(req, timeout, client)
    except ResponseBegun:
        return SentByWorker(503, None)
    except QueryTimeout:
        return _error(503, f"query stopped: it ran past its deadline of {timeout:g} s "
                           "(server limit or the timeout parameter)",
                      {"Retry-After": "1"})
    except TimeoutError:
        return _error(503, "server busy: no query worker became free before the deadline",
                      {"Retry-After": "1"})
    except WorkerDied:
        return _error(500, "the query worker stopped unexpectedly; the query was not answered")
    if reply.status == 406:
        return _error(406, "none of the accepted media types can carry this result; offered: "
                           + ", ".join(reply.offered))
    if reply.status != 200:
        return _error(reply.status, bytes(reply.body).decode("utf-8", errors="replace"))
    if reply.sent is not None:  # written to the client by the worker, all but `body`
        return SentByWorker(200, reply.body if reply.sent >= 0 else None)
    headers = dict(answer_headers(reply.rows, reply.truncated, reply.ms, settings.max_rows))
    # the buffer the worker's reply was read into, sent as it is (bytes(…) would copy it)
    return Response(memoryview(reply.body), media_type=content_type(reply.media_type),
                    headers=headers)


def _hand_over(request: Request, req: QueryRequest, timeout: float) -> int | None:
    """The client's socket, for the query's worker to write the response to itself, when
    the connection may be handed over (handover.py) and the response needs nothing the
    server's middleware would add (a CORS request has an Origin); `req` then says how."""
    handover = request.scope.get("extensions", {}).get(EXTENSION)
    if (handover is None or not request.app.state.pool.may_hand_over()
            or "origin" in request.headers):
        return None
    client = handover.descriptor()
    if client is not None:
        started = request.scope.get("policykg.started") or time.perf_counter()
        req.head = HeadSpec(handover.default_headers(), started,
                            time.perf_counter() + timeout, req.max_rows)
    return client


class SentByWorker(Response):
    """A response the query worker wrote to the client itself: `rest` is what it could not
    write (None: it was stopped partway, and the connection must be closed). Sent as the
    handover's `SENT` message (handover.py), which tells the access log its status too."""

    def __init__(self, status: int, rest: bytes | bytearray | memoryview | None) -> None:
        super().__init__(status_code=status)
        self.rest = rest

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": SENT, "status": self.status_code, "rest": self.rest})


async def _update(request: Request, update: str) -> Response:
    denied = write_denied(request, "SPARQL Update") or write_unavailable(request,
                                                                          "SPARQL Update")
    if denied is not None:
        return denied
    store = request.app.state.store
    async with request.app.state.pool.exclusive():
        try:
            store.user_update(update)
        except SyntaxError as e:
            return _error(400, f"SPARQL syntax error: {e}")
        except (ValueError, OSError) as e:
            return _error(400, f"update failed: {e}")
    await request.app.state.after_write()
    return Response(status_code=204)
