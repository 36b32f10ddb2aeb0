"""Linked Data for the entity IRIs under the base: `/id/…` answers 303 See Other to the
HTML page (`/page/…`) or the data (`/data/…`) by content negotiation; `/data/…` describes
the entity in Turtle, JSON-LD, N-Triples or plain JSON; `/page/…` renders it as HTML.

The routes only: the description is read in `describe`, written in `rdf_formats` and
rendered in `pages`; the IRIs are made in `entity_iris`.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from policykg_api.describe import describe, entity_json, exists
from policykg_api.entity_iris import BadPath, entity_iri, page_path
from policykg_api.errors import not_acceptable, text_error
from policykg_api.negotiation import negotiate, parse_accept, quality
from policykg_api.offload import off_loop_if_remote
from policykg_api.pages import PAGE_HEADERS, render_not_found, render_page
from policykg_api.rdf_formats import FORMATS, SUFFIXES, jsonld_context, serialise

router = APIRouter(tags=["Linked Data"])
_PATH = Path(description="The entity's path under `{base}id/`",
             openapi_examples={"county": {"value": "place/510682"},
                               "document": {"value": "doc/guobanhan-2004-71"}})


def _exists(request: Request, iri: str) -> bool:
    """Whether the store has the entity, remembered like the descriptions (a remote store
    answers it with two round trips)."""
    state = request.app.state
    return state.descriptions.get_or_make((state.store.generation, iri, "exists"),
                                          lambda: exists(state.store.reader(), iri))


def _not_found(iri: str) -> PlainTextResponse:
    return text_error(404, f"no entity {iri} in this graph")


@router.get("/id/{path:path}", summary="Entity IRI: 303 See Other to its page or its data",
            status_code=303, response_class=Response,
            responses={303: {"description": "See /page/{path} or /data/{path}"},
                       400: {"description": "not a valid entity IRI"},
                       404: {"description": "no such entity"}})
def entity_id(request: Request, path: str = _PATH) -> Response:
    """The IRI `{base}id/{path}` names a thing, not a document, so it redirects (303): to the
    HTML page when the client prefers `text/html` (browsers), else to the data."""
    try:
        iri = entity_iri(request, path)
    except BadPath as e:
        return text_error(400, str(e))
    if not _exists(request, iri):
        return _not_found(iri)
    accept = parse_accept(request.headers.get("accept"))
    html = max(quality(m, accept, wildcard=False) for m in ("text/html", "application/xhtml+xml"))
    data = max(quality(m, accept) for m in FORMATS)
    target = "page" if html > data else "data"
    return Response(status_code=303, headers={"Location": f"/{target}/{quote(path, safe='/')}",
                                              "Vary": "Accept"})


@router.get("/data/{path:path}", summary="An entity's description as RDF or JSON",
            response_class=Response,
            responses={200: {"content": {m: {} for m in FORMATS}},
                       400: {"description": "not a valid entity IRI"},
                       404: {"description": "no such entity"},
                       406: {"description": "none of the offered media types is acceptable"}})
async def entity_data(request: Request, path: str = _PATH) -> Response:
    """The triples with the entity as subject (union of all document graphs), the types and
    labels of the IRIs it links to, and its evidence nodes with their quote and position
    selectors. The format is chosen by a suffix (`.ttl`, `.jsonld`, `.nt`, `.json`) or else
    by Accept (q-values): `text/turtle` (the default), `application/ld+json` (context at
    `/context.jsonld`, given inline), `application/n-triples`, or `application/json` — a
    plain view with `types`, `labels`, `label_method`, `outgoing`, `incoming` and
    `evidence`."""
    return await off_loop_if_remote(request, _data, path, request)


def _data(path: str, request: Request) -> Response:
    store = request.app.state.store.reader()
    media = None
    try:
        for suffix, m in SUFFIXES.items():
            if path.endswith(suffix) and len(path) > len(suffix):
                if _exists(request, entity_iri(request, path[: -len(suffix)])):
                    path, media = path[: -len(suffix)], m
                break
        iri = entity_iri(request, path)
    except BadPath as e:
        return text_error(400, str(e))
    if not _exists(request, iri):
        return _not_found(iri)
    headers = {"Link": f'<{page_path(request, iri)}>; rel="alternate"; type="text/html"'}
    if media is None:
        headers["Vary"] = "Accept"
        media = negotiate(request.headers.get("accept"), list(FORMATS))
        if media is None:
            return not_acceptable(list(FORMATS), headers={"Vary": "Accept"})
    def render() -> bytes:
        triples = describe(store, iri)
        if media == "application/json":
            return json.dumps(entity_json(store, iri, triples), ensure_ascii=False,
                              separators=(",", ":")).encode("utf-8")
        return serialise(media, triples, request.app.state.settings.base)

    state = request.app.state
    body = state.descriptions.get_or_make((state.store.generation, iri, media), render)
    charset = "" if media == "application/ld+json" else "; charset=utf-8"
    return Response(body, media_type=media + charset, headers=headers)


@router.get("/context.jsonld", summary="The JSON-LD @context of the /data descriptions",
            response_class=Response,
            responses={200: {"content": {"application/ld+json": {}}}})
def context(request: Request) -> Response:
    """Maps the prefixes `pkg`, `skos`, `rdfs`, `rdf`, `oa`, `xsd`, `prov`, `dct`, and `id` /
    `graph` for this server's entity and graph IRIs."""
    body = {"@context": jsonld_context(request.app.state.settings.base)}
    return Response(json.dumps(body, indent=1), media_type="application/ld+json",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/page/{path:path}", summary="An entity as an HTML page",
            response_class=HTMLResponse,
            responses={400: {"description": "not a valid entity IRI"},
                       404: {"description": "no such entity"}})
def entity_page(request: Request, path: str = _PATH) -> Response:
    """A server-rendered page: Chinese and English labels side by side, type and label
    method, properties with linked neighbours, incoming links, and the evidence sentences
    with the quoted span marked. No scripts and no external assets."""
    try:
        iri = entity_iri(request, path)
    except BadPath as e:
        return text_error(400, str(e))
    store = request.app.state.store.reader()
    if not _exists(request, iri):
        return HTMLResponse(render_not_found(iri), status_code=404, headers=PAGE_HEADERS)
    view = entity_json(store, iri, describe(store, iri))
    return HTMLResponse(render_page(request, path, view), headers=PAGE_HEADERS)
