"""SPARQL 1.1 Protocol at /sparql: query by GET, form POST or direct POST; update by POST
with a bearer token. Queries run in the worker pool with a deadline and a row cap."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from policykg_api.auth import write_denied
from policykg_api.negotiation import parse_accept
from policykg_api.pool import QueryRequest, QueryTimeout, WorkerDied
from policykg_api.results import FORMAT_ALIASES, format_accept
from policykg_api.ui import query_page, service_description

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


@router.api_route("/sparql", methods=["GET", "POST"], summary="SPARQL 1.1 query and update",
                  response_class=Response)
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
                       max_rows=settings.max_rows,
                       generation=request.app.state.store.generation)
    try:
        reply = await request.app.state.pool.run(req, timeout)
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
        return _error(reply.status, reply.body.decode("utf-8", errors="replace"))
    headers = {"PolicyKG-Rows": str(reply.rows)}
    if reply.truncated:
        headers["PolicyKG-Truncated"] = f"true; max-rows={settings.max_rows}"
    media = reply.media_type
    if media.startswith("text/") or media.endswith(("json", "xml")):
        media += "; charset=utf-8"
    return Response(reply.body, media_type=media, headers=headers)


async def _update(request: Request, update: str) -> Response:
    denied = write_denied(request, "SPARQL Update")
    if denied is not None:
        return denied
    store = request.app.state.store
    async with request.app.state.pool.exclusive():
        try:
            with store.writer() as db:
                db.update(update)
        except SyntaxError as e:
            return _error(400, f"SPARQL syntax error: {e}")
        except (ValueError, OSError) as e:
            return _error(400, f"update failed: {e}")
    await request.app.state.after_write()
    return Response(status_code=204)
