"""Dumps: the whole store or one document's named graph in Turtle, N-Triples, N-Quads, TriG
or JSON-LD, streamed; and the dataset's VoID/DCAT description at /.well-known/void."""

from __future__ import annotations

import hashlib
import re

import pyoxigraph as ox
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD
from starlette.concurrency import run_in_threadpool

from policykg.store import FORMATS, GraphStore, iter_chunks
from policykg.union_graph import union_options
from policykg_api.errors import not_acceptable, text_error
from policykg_api.negotiation import negotiate
from policykg_api.vocabulary import PREFIXES, curie

router = APIRouter(tags=["Export"])

MEDIA = {  # format → media type; the first is the default
    "ttl": "text/turtle", "nt": "application/n-triples", "nq": "application/n-quads",
    "trig": "application/trig", "jsonld": "application/ld+json",
}
KEY = re.compile(r"^[A-Za-z0-9._-]+$")
PKG = Namespace(PREFIXES["pkg"])
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
_RESPONSES = {200: {"content": {m: {} for m in MEDIA.values()}},
              400: {"description": "unknown format"},
              406: {"description": "none of the offered media types is acceptable"}}


def _choose(request: Request, fmt: str | None) -> str | PlainTextResponse:
    """The format asked for by `format`, else by Accept (Turtle for */*)."""
    if fmt:
        key = fmt.lower().replace("json-ld", "jsonld").replace("turtle", "ttl")
        if key not in MEDIA:
            return text_error(400, f"unknown format {fmt!r}; use one of {', '.join(MEDIA)}")
        return key
    media = negotiate(request.headers.get("accept"), list(MEDIA.values()))
    if media is None:
        return not_acceptable(list(MEDIA.values()), " (or ?format=" + "|".join(MEDIA) + ")")
    return next(k for k, m in MEDIA.items() if m == media)


def serialise(store: GraphStore, fmt: str, graph: str | None) -> bytes:
    """Turtle and TriG with the usual prefixes; the rest as the store writes them."""
    if fmt not in ("ttl", "trig"):
        return store.export(fmt, graph)
    quads = store.quads(graph)
    if fmt == "trig":
        return ox.serialize(sorted(quads, key=str), format=FORMATS[fmt], prefixes=PREFIXES) or b""
    triples = sorted({q.triple for q in quads}, key=str)
    return ox.serialize(triples, format=FORMATS[fmt], prefixes=PREFIXES) or b""


async def _stream(request: Request, fmt: str, graph: str | None, name: str) -> Response:
    data = await run_in_threadpool(serialise, request.app.state.store, fmt, graph)
    media = MEDIA[fmt] + ("" if fmt == "jsonld" else "; charset=utf-8")
    return StreamingResponse(iter_chunks(data), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Vary": "Accept"})


@router.get("/export", summary="Download the whole graph", response_class=Response,
            responses=_RESPONSES)
async def export_all(request: Request, format: str | None = Query(
        None, description="ttl | nt | nq | trig | jsonld; else chosen by Accept "
                          "(Turtle for */*)")) -> Response:
    """Every triple in the store: Turtle and N-Triples give the union of all document graphs
    (each triple once); N-Quads, TriG and JSON-LD keep the named graphs."""
    fmt = _choose(request, format)
    if isinstance(fmt, Response):
        return fmt
    return await _stream(request, fmt, None, "policykg")


@router.get("/export/{doc_key}", summary="Download one document's named graph",
            response_class=Response,
            responses={**_RESPONSES, 400: {"description": "bad key or format"},
                       404: {"description": "no such document graph"}})
async def export_document(request: Request, doc_key: str = Path(
        description="The document graph's key", openapi_examples={
            "reply": {"value": "guobanhan-2004-71"}}), format: str | None = Query(
        None, description="ttl | nt | nq | trig | jsonld; else chosen by Accept")) -> Response:
    """The named graph `{base}graph/{doc_key}`: everything read from one source document.
    The key is letters, digits, '.', '_' and '-' only (e.g. `guobanfa-2018-128`)."""
    if not KEY.match(doc_key) or set(doc_key) == {"."}:
        return text_error(400, f"{doc_key!r} is not a document key: letters, digits, '.', '_' "
                               "and '-' only")
    graph = f"{request.app.state.settings.base}graph/{doc_key}"
    if not request.app.state.store.reader().contains_named_graph(ox.NamedNode(graph)):
        return text_error(404, f"no document graph {graph}")
    fmt = _choose(request, format)
    if isinstance(fmt, Response):
        return fmt
    return await _stream(request, fmt, graph, f"policykg-{doc_key}")


# --- VoID -------------------------------------------------------------------------------------
_COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
_COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def void_graph(store: GraphStore, base: str, root: str) -> Graph:
    """The dataset described with VoID and DCAT; `root` is this server's URL (for dumps)."""
    db = store.reader()
    ds = URIRef(base + "dataset")
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dct", DCTERMS), ("pkg", PKG),
                       ("xsd", XSD)):
        g.bind(prefix, ns)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("中国政策文件中英双语知识图谱", lang="zh")))
    g.add((ds, DCTERMS.title, Literal("PolicyKG: a bilingual knowledge graph of Chinese "
                                      "policy documents", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "政策文件、发文机关、行政区划、试点、清单条目和事件，每项事实附原文证据。", lang="zh")))
    g.add((ds, DCTERMS.description, Literal(
        "Policy documents, the bodies and places they name, pilot programmes, listed items "
        "and events, each fact with the text span it was read from.", lang="en")))
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, VOID.uriSpace, Literal(base + "id/")))
    g.add((ds, VOID.vocabulary, URIRef("https://w3id.org/policykg/ontology#")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(root + "sparql")))
    for feature in ("Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD"):
        g.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/" + feature)))
    # each distinct triple once, as in the Turtle and N-Triples dumps
    total = int(next(iter(db.query(_COUNT_TRIPLES, **union_options(db))))["n"]
                .value)
    g.add((ds, VOID.triples, Literal(total, datatype=XSD.integer)))
    for fmt, media in MEDIA.items():
        url = URIRef(f"{root}export?format={fmt}")
        dist = URIRef(f"{ds}/distribution/{fmt}")
        g.add((ds, VOID.dataDump, url))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType,
               URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        g.add((dist, DCTERMS.license, LICENSE))
    for cls, n in store.stats().items():
        name = curie(cls).replace(":", "-") if curie(cls) != cls else \
            hashlib.sha1(cls.encode()).hexdigest()[:12]
        part = URIRef(f"{ds}/class/{name}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    sizes = {r["g"].value: int(r["n"].value) for r in db.query(_COUNT_GRAPHS)}
    for doc in store.documents():
        sub = URIRef(doc.graph)
        key = doc.graph.rsplit("/", 1)[-1]
        g.add((ds, DCTERMS.source, URIRef(doc.document)))
        g.add((ds, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, RDF.type, PKG.DocumentGraph))
        g.add((sub, PKG.describes, URIRef(doc.document)))
        g.add((sub, PKG.contentHash, Literal(doc.content_hash)))
        if doc.source:
            g.add((sub, PKG.sourceFile, Literal(doc.source)))
        g.add((sub, VOID.triples, Literal(sizes.get(doc.graph, 0), datatype=XSD.integer)))
        if KEY.match(key):
            g.add((sub, VOID.dataDump, URIRef(f"{root}export/{key}?format=ttl")))
    return g


@router.get("/.well-known/void", summary="VoID/DCAT description of the dataset",
            response_class=Response, responses={200: {"content": {"text/turtle": {}}}})
def void(request: Request) -> Response:
    """Title (zh/en), licence (CC BY 4.0), triple count (each distinct triple once), entities
    per class (`void:classPartition`), the source documents (`dct:source`; each document
    graph is a `void:subset` with its content hash and size) and the dumps under /export."""
    root = str(request.base_url)
    body = void_graph(request.app.state.store, request.app.state.settings.base, root)
    return Response(body.serialize(format="turtle", encoding="utf-8"),
                    media_type="text/turtle; charset=utf-8")
