"""Adding documents to a running server: POST /ingest (token required), GET /documents."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from rdflib import URIRef

from policykg.build import DocumentBuild, build_data
from policykg.store import DocumentData
from policykg.validate import ValidationReport, validate
from policykg_api.auth import write_denied
from policykg_api.index_holder import write_unavailable
from policykg_api.indexing import subjects_of

router = APIRouter()
_NAME = re.compile(r"^[^/\\\x00]{1,200}$")


def _build(data: bytes, name: str, base: str) -> tuple[DocumentBuild, ValidationReport | None]:
    doc = build_data(data, Path(name), base)
    # from the mapper's N-Triples: an rdflib Graph is built only if pySHACL reports
    return doc, (validate(doc.mapped) if doc.mapped is not None else None)


_BODY = {"requestBody": {"required": True, "description": "The document's bytes", "content": {
    m: {"schema": {"type": "string", "format": "binary"}}
    for m in ("text/plain", "text/html", "application/octet-stream")}}}


@router.post("/ingest", summary="Add or replace one document (token required)",
             openapi_extra=_BODY,
             responses={200: {"description": "Replaced or unchanged"},
                        201: {"description": "Added"},
                        400: {"description": "Unreadable document or bad name"},
                        401: {"description": "No bearer token"},
                        403: {"description": "Wrong token, or writes disabled"},
                        413: {"description": "Document over the configured size"},
                        422: {"description": "The document fails the shapes; nothing stored"},
                        503: {"description": "The search index is still being built after "
                                             "start-up (Retry-After)"}})
async def ingest(request: Request, name: str) -> Response:
    """The request body is one document (text or HTML; UTF-8 or GB18030). It is read,
    validated against the shapes and stored as its own named graph in one transaction:
    `added`, `replaced` (changed content) or `unchanged`. A document failing the shapes is
    refused with 422 and the list of violations; nothing of it is stored."""
    denied = write_denied(request, "Ingest") or write_unavailable(request, "Ingest")
    if denied is not None:
        return denied
    if not _NAME.match(name):
        return PlainTextResponse("name must be a plain file name\n", status_code=400)
    data = await request.body()  # limits.BodyLimit stops an oversized body as it arrives
    limit = request.app.state.settings.max_document_bytes
    if len(data) > limit:
        return PlainTextResponse(f"document over {limit} bytes\n", status_code=413)
    loop = asyncio.get_running_loop()
    # reading a document is CPU work: off the event loop
    doc, report = await loop.run_in_executor(None, _build, data, name,
                                             request.app.state.settings.base)
    mapped = doc.mapped
    if mapped is None or report is None:
        return PlainTextResponse(f"{doc.error}\n", status_code=400 if doc.unreadable else 500)
    if not report.conforms:
        return JSONResponse(status_code=422, content={
            "error": f"{name}: {len(report.violations())} SHACL violations; nothing stored",
            "violations": [v.line() for v in report.violations()][:100]})
    store = request.app.state.store
    gid = str(mapped.identifier)
    to_store = DocumentData.of_mapped(mapped)
    async with request.app.state.pool.exclusive():
        # what the old version described: entities it alone named leave the index
        before = await loop.run_in_executor(None, subjects_of, store, gid)
        outcome = await loop.run_in_executor(None, store.put, to_store)
    if outcome != "unchanged":
        described = {str(s) for s, _, _ in mapped.triples if isinstance(s, URIRef)}
        await request.app.state.after_write(before | described)
    return JSONResponse(status_code=201 if outcome == "added" else 200, content={
        "outcome": outcome, "graph": gid, "triples": len(mapped)})


@router.get("/documents", summary="The documents in the store")
async def documents(request: Request) -> list[dict]:
    """One entry per stored document: its named graph, IRI, content hash and source file."""
    return [d.__dict__ for d in request.app.state.store.documents()]
