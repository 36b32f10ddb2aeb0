"""Linked Data for the entity IRIs under the base: `/id/…` answers 303 See Other to the
HTML page (`/page/…`) or the data (`/data/…`) by content negotiation; `/data/…` describes
the entity in Turtle, JSON-LD, N-Triples or plain JSON; `/page/…` renders it as HTML.

Every store access binds the entity through `substitutions`: no user text is ever pasted
into a query string.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from html import escape
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from policykg.resources import ontology_path
from policykg.search import normalise_lang

router = APIRouter(tags=["Linked Data"])

# --- vocabulary -------------------------------------------------------------------------------
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"
DCT = "http://purl.org/dc/terms/"
PKG = "https://w3id.org/policykg/ontology#"
PREFIXES = {"pkg": PKG, "skos": SKOS, "rdfs": RDFS, "rdf": RDF, "oa": OA,
            "xsd": "http://www.w3.org/2001/XMLSchema#", "prov": "http://www.w3.org/ns/prov#",
            "dct": DCT}
TYPE, PREF, ALT, LABEL = RDF + "type", SKOS + "prefLabel", SKOS + "altLabel", RDFS + "label"
METHOD, EVIDENCE = PKG + "labelMethod", PKG + "evidence"
# shown in their own fields, not among "outgoing"
SUMMARISED = {TYPE, PREF, ALT, LABEL, METHOD, EVIDENCE}
INCOMING_MAX = 1000

# Labels for the terms of other vocabularies the graph uses (the ontology labels its own).
_OTHER_LABELS = {
    TYPE: ("类型", "type"), PREF: ("首选标签", "preferred label"),
    ALT: ("别名", "alternative label"), LABEL: ("标签", "label"), DCT + "title": ("标题", "title"),
    OA + "hasSource": ("来源", "source"), OA + "hasSelector": ("选择器", "selector"),
    OA + "exact": ("引文", "exact quote"), OA + "prefix": ("前文", "prefix"),
    OA + "suffix": ("后文", "suffix"), OA + "start": ("起点", "start"), OA + "end": ("终点", "end"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": ("来源于", "derived from"),
    RDF + "subject": ("主语", "subject"), RDF + "predicate": ("谓语", "predicate"),
    RDF + "object": ("宾语", "object"),
}


@cache
def term_labels() -> dict[str, tuple[str, str]]:
    """IRI → (Chinese, English) label for the ontology's terms and a few common others."""
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    for t in ox.parse(path=str(ontology_path()), format=ox.RdfFormat.TURTLE):
        if t.predicate.value == PREF and isinstance(t.subject, ox.NamedNode):
            lang = normalise_lang(t.object.language)
            if lang == "zh":
                zh[t.subject.value] = t.object.value
            elif lang == "en":
                en[t.subject.value] = t.object.value
    out = dict(_OTHER_LABELS)
    for iri in zh.keys() | en.keys():
        out[iri] = (zh.get(iri, ""), en.get(iri, ""))
    return out


def curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def term_label(iri: str) -> tuple[str, str]:
    """(Chinese, English) label of a vocabulary term; its CURIE where it has none."""
    zh, en = term_labels().get(iri, ("", ""))
    return zh or curie(iri), en or curie(iri)


def _term_html(iri: str) -> str:
    zh, en = term_labels().get(iri, ("", ""))
    return _both(zh, en) or f"<code>{escape(curie(iri))}</code>"


# --- content negotiation (RFC 9110 §12.5.1) ---------------------------------------------------
def _ranges(header: str | None) -> list[tuple[str, str, float]]:
    out = []
    for part in (header or "*/*").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            media = "*/*" if media == "*" else ""
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = min(max(float(f[2:]), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        major, minor = media.split("/", 1)
        out.append((major, minor, q))
    return out


def quality(media: str, ranges: list[tuple[str, str, float]], wildcard: bool = True) -> float:
    """The q the client gives `media`: that of the most specific range matching it."""
    major, minor = media.split("/", 1)
    best, specificity = 0.0, -1
    for r_major, r_minor, q in ranges:
        if (r_major, r_minor) == (major, minor):
            s = 2
        elif r_major == major and r_minor == "*":
            s = 1
        elif r_major == "*" and wildcard:
            s = 0
        else:
            continue
        if s > specificity:
            best, specificity = q, s
    return best


def negotiate(header: str | None, offered: list[str]) -> str | None:
    """The offered type with the highest q (first offered wins ties), None if none fits."""
    ranges = _ranges(header)
    best, best_q = None, 0.0
    for media in offered:
        q = quality(media, ranges)
        if q > best_q:
            best, best_q = media, q
    return best


# --- entity IRIs ------------------------------------------------------------------------------
_NOT_IN_IRI = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f-\x9f?#]")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
MAX_PATH = 1024


class BadPath(ValueError):
    """A path that cannot make an entity IRI (answered with 400)."""


def entity_iri(request: Request, path: str) -> str:
    """`{base}id/{path}`, or BadPath when the path cannot make a valid entity IRI."""
    if not path or len(path) > MAX_PATH:
        raise BadPath(f"an entity path must have 1 to {MAX_PATH} characters")
    if any(seg in ("", ".", "..") for seg in path.split("/")):
        raise BadPath("an entity path has no empty, '.' or '..' segments")
    if _NOT_IN_IRI.search(path) or _PERCENT.search(path):
        raise BadPath(f"{path!r} contains characters that cannot appear in an IRI")
    iri = f"{request.app.state.settings.base}id/{path}"
    try:
        ox.NamedNode(iri)
    except ValueError as e:
        raise BadPath(f"{path!r} does not make a valid IRI: {e}") from None
    return iri


def exists(store: ox.Store, iri: str) -> bool:
    node = ox.NamedNode(iri)
    return (next(iter(store.quads_for_pattern(node, None, None, None)), None) is not None or
            next(iter(store.quads_for_pattern(None, None, node, None)), None) is not None)


def page_path(request: Request, iri: str) -> str | None:
    """`/page/…` for an entity IRI under the base, None for any other IRI."""
    prefix = request.app.state.settings.base + "id/"
    if iri.startswith(prefix) and len(iri) > len(prefix):
        return "/page/" + quote(iri[len(prefix):], safe="/")
    return None


def _error(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status)


def _not_found(iri: str) -> PlainTextResponse:
    return _error(404, f"no entity {iri} in this graph")


# --- reading an entity ------------------------------------------------------------------------
_SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

# The entity's own triples, the types and labels of what it links to, its evidence nodes
# with their selectors, and the titles of the documents the evidence is from.
DESCRIBE = _SPARQL_PREFIXES + """
CONSTRUCT {
  ?s ?p ?o . ?n a ?t ; skos:prefLabel ?l ; rdfs:label ?rl ; dct:title ?title .
  ?ev ?ep ?eo . ?sel ?sp ?so .
}
WHERE {
  { ?s ?p ?o }
  UNION { ?s ?p0 ?n . FILTER(isIRI(?n))
          { ?n a ?t } UNION { ?n skos:prefLabel ?l } UNION { ?n rdfs:label ?rl } }
  UNION { ?s pkg:evidence ?ev . ?ev ?ep ?eo }
  UNION { ?s pkg:evidence/oa:hasSelector ?sel . ?sel ?sp ?so }
  UNION { ?s pkg:evidence/oa:hasSource ?n .
          { ?n skos:prefLabel ?l } UNION { ?n dct:title ?title } }
}"""

INCOMING = _SPARQL_PREFIXES + """
SELECT ?s ?x ?p (SAMPLE(?zh0) AS ?zh) (SAMPLE(?en0) AS ?en) WHERE {
  ?x ?p ?s .
  OPTIONAL { ?x skos:prefLabel ?zh0 FILTER(langMatches(lang(?zh0), "zh")) }
  OPTIONAL { ?x skos:prefLabel ?en0 FILTER(langMatches(lang(?en0), "en")) }
} GROUP BY ?s ?x ?p ORDER BY ?p ?x LIMIT """ + str(INCOMING_MAX + 1)


def describe(store: ox.Store, iri: str) -> list[ox.Triple]:
    triples = store.query(DESCRIBE, use_default_graph_as_union=True,
                          substitutions={ox.Variable("s"): ox.NamedNode(iri)})
    # the entity first, then what it links to
    return sorted(set(triples), key=lambda t: (t.subject.value != iri, str(t)))


@dataclass
class _Graph:
    """The description indexed by subject and predicate."""

    triples: list[ox.Triple]
    by: dict[str, dict[str, list]] = field(default_factory=lambda: defaultdict(
        lambda: defaultdict(list)))

    def __post_init__(self) -> None:
        for t in self.triples:
            self.by[t.subject.value][t.predicate.value].append(t.object)

    def objects(self, s: str, p: str) -> list:
        return self.by.get(s, {}).get(p, [])

    def value(self, s: str, p: str) -> str | None:
        objs = self.objects(s, p)
        return objs[0].value if objs else None

    def label(self, s: str, lang: str, p: str = PREF) -> str | None:
        for o in self.objects(s, p):
            if isinstance(o, ox.Literal) and normalise_lang(o.language) == lang:
                return o.value
        return None

    def labels(self, s: str, p: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"zh": [], "en": []}
        for o in self.objects(s, p):
            lang = normalise_lang(o.language) if isinstance(o, ox.Literal) else None
            if lang in out:
                out[lang].append(o.value)
        return {k: sorted(v) for k, v in out.items()}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def entity_json(store: ox.Store, iri: str, triples: list[ox.Triple]) -> dict:
    """The plain JSON view of an entity."""
    g = _Graph(triples)
    out: dict = {
        "iri": iri,
        "types": sorted(o.value for o in g.objects(iri, TYPE)),
        "labels": g.labels(iri, PREF),
        "aliases": g.labels(iri, ALT),
        "label_method": g.value(iri, METHOD),
    }
    outgoing = []
    for p, objs in sorted(g.by.get(iri, {}).items()):
        if p in SUMMARISED:
            continue
        zh, en = term_label(p)
        for o in objs:
            row = {"property": p, "property_label": en, "property_label_zh": zh}
            if isinstance(o, ox.Literal):
                row["value"] = o.value
                if o.language:
                    row["lang"] = o.language
                elif o.datatype.value != PREFIXES["xsd"] + "string":
                    row["datatype"] = o.datatype.value
            else:
                row.update(iri=o.value, label_zh=g.label(o.value, "zh"),
                           label_en=g.label(o.value, "en"),
                           types=sorted(t.value for t in g.objects(o.value, TYPE)))
            outgoing.append(row)
    out["outgoing"] = sorted(outgoing, key=lambda r: (r["property"], r.get("iri") or "",
                                                      r.get("value") or ""))
    rows = list(store.query(INCOMING, use_default_graph_as_union=True,
                            substitutions={ox.Variable("s"): ox.NamedNode(iri)}))
    out["incoming"] = [{"property": r["p"].value, "property_label": term_label(r["p"].value)[1],
                        "iri": r["x"].value,
                        "label_zh": r["zh"].value if r["zh"] else None,
                        "label_en": r["en"].value if r["en"] else None}
                       for r in rows[:INCOMING_MAX]]
    out["incoming_truncated"] = len(rows) > INCOMING_MAX
    evidence = []
    for ev in g.objects(iri, EVIDENCE):
        e = ev.value
        row: dict = {"iri": e, "quote": None, "prefix": None, "suffix": None,
                     "sentence": g.value(e, PKG + "sentence"), "start": None, "end": None,
                     "document": g.value(e, OA + "hasSource")}
        for sel in g.objects(e, OA + "hasSelector"):
            kinds = {t.value for t in g.objects(sel.value, TYPE)}
            if OA + "TextQuoteSelector" in kinds:
                row.update(quote=g.value(sel.value, OA + "exact"),
                           prefix=g.value(sel.value, OA + "prefix"),
                           suffix=g.value(sel.value, OA + "suffix"))
            if OA + "TextPositionSelector" in kinds:
                row.update(start=_int(g.value(sel.value, OA + "start")),
                           end=_int(g.value(sel.value, OA + "end")))
        doc = row["document"]
        row["document_title"] = doc and (g.label(doc, "zh", DCT + "title") or
                                         g.value(doc, DCT + "title") or g.label(doc, "zh"))
        evidence.append(row)
    out["evidence"] = sorted(evidence, key=lambda r: (r["document"] or "", r["start"] or 0,
                                                      r["iri"]))
    return out


# --- RDF serialisations -----------------------------------------------------------------------
def jsonld_context(base: str) -> dict:
    """The published @context: the vocabulary prefixes, and `id:` / `graph:` for our IRIs."""
    return {**PREFIXES, "id": base + "id/", "graph": base + "graph/"}


def _compact(iri: str, context: dict) -> str:
    for prefix, ns in sorted(context.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def to_jsonld(triples: list[ox.Triple], base: str) -> dict:
    """Compacted JSON-LD with the context inline (the same as /context.jsonld), so the
    document reads without fetching anything."""
    ctx = jsonld_context(base)
    nodes: dict[str, dict] = {}

    def ident(term: ox.NamedNode | ox.BlankNode) -> str:
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else _compact(term.value, ctx)

    for t in triples:
        node = nodes.setdefault(str(t.subject), {"@id": ident(t.subject)})
        o = t.object
        if t.predicate.value == TYPE and isinstance(o, ox.NamedNode):
            node.setdefault("@type", []).append(ident(o))
            continue
        if isinstance(o, ox.Literal):
            v: dict = {"@value": o.value}
            if o.language:
                v["@language"] = o.language
            elif o.datatype.value != PREFIXES["xsd"] + "string":
                v["@type"] = _compact(o.datatype.value, ctx)
        else:
            v = {"@id": ident(o)}
        node.setdefault(_compact(t.predicate.value, ctx), []).append(v)
    return {"@context": ctx, "@graph": list(nodes.values())}  # the entity first


FORMATS = {  # media type → suffix
    "text/turtle": "ttl", "application/ld+json": "jsonld", "application/n-triples": "nt",
    "application/json": "json",
}
SUFFIXES = {f".{s}": m for m, s in FORMATS.items()}


def serialise(media: str, triples: list[ox.Triple], base: str) -> bytes:
    if media == "text/turtle":
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    if media == "application/n-triples":
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return json.dumps(to_jsonld(triples, base), ensure_ascii=False, indent=1).encode("utf-8")


# --- routes -----------------------------------------------------------------------------------
@router.get("/id/{path:path}", summary="Entity IRI: 303 See Other to its page or its data",
            status_code=303, response_class=Response,
            responses={303: {"description": "See /page/{path} or /data/{path}"},
                       400: {"description": "not a valid entity IRI"},
                       404: {"description": "no such entity"}})
def entity_id(path: str, request: Request) -> Response:
    """The IRI `{base}id/{path}` names a thing, not a document, so it redirects (303): to the
    HTML page when the client prefers `text/html` (browsers), else to the data."""
    try:
        iri = entity_iri(request, path)
    except BadPath as e:
        return _error(400, str(e))
    if not exists(request.app.state.store.reader(), iri):
        return _not_found(iri)
    ranges = _ranges(request.headers.get("accept"))
    html = max(quality(m, ranges, wildcard=False) for m in ("text/html", "application/xhtml+xml"))
    data = max(quality(m, ranges) for m in FORMATS)
    target = "page" if html > data else "data"
    return Response(status_code=303, headers={"Location": f"/{target}/{quote(path, safe='/')}",
                                              "Vary": "Accept"})


@router.get("/data/{path:path}", summary="An entity's description as RDF or JSON",
            response_class=Response,
            responses={200: {"content": {m: {} for m in FORMATS}},
                       400: {"description": "not a valid entity IRI"},
                       404: {"description": "no such entity"},
                       406: {"description": "none of the offered media types is acceptable"}})
def entity_data(path: str, request: Request) -> Response:
    """The triples with the entity as subject (union of all document graphs), the types and
    labels of the IRIs it links to, and its evidence nodes with their quote and position
    selectors. The format is chosen by a suffix (`.ttl`, `.jsonld`, `.nt`, `.json`) or else
    by Accept (q-values): `text/turtle` (the default), `application/ld+json` (context at
    `/context.jsonld`, given inline), `application/n-triples`, or `application/json` — a
    plain view with `types`, `labels`, `label_method`, `outgoing`, `incoming` and
    `evidence`."""
    store = request.app.state.store.reader()
    media = None
    try:
        for suffix, m in SUFFIXES.items():
            if path.endswith(suffix) and len(path) > len(suffix):
                if exists(store, entity_iri(request, path[: -len(suffix)])):
                    path, media = path[: -len(suffix)], m
                break
        iri = entity_iri(request, path)
    except BadPath as e:
        return _error(400, str(e))
    if not exists(store, iri):
        return _not_found(iri)
    headers = {"Link": f'<{page_path(request, iri)}>; rel="alternate"; type="text/html"'}
    if media is None:
        headers["Vary"] = "Accept"
        media = negotiate(request.headers.get("accept"), list(FORMATS))
        if media is None:
            return PlainTextResponse("none of the accepted media types is offered; offered: "
                                     + ", ".join(FORMATS) + "\n", status_code=406,
                                     headers={"Vary": "Accept"})
    triples = describe(store, iri)
    if media == "application/json":
        return JSONResponse(entity_json(store, iri, triples), headers=headers)
    body = serialise(media, triples, request.app.state.settings.base)
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
def entity_page(path: str, request: Request) -> Response:
    """A server-rendered page: Chinese and English labels side by side, type and label
    method, properties with linked neighbours, incoming links, and the evidence sentences
    with the quoted span marked. No scripts and no external assets."""
    try:
        iri = entity_iri(request, path)
    except BadPath as e:
        return _error(400, str(e))
    store = request.app.state.store.reader()
    if not exists(store, iri):
        return HTMLResponse(_page_shell("404", f"<h1>404</h1><p>No entity <code>{escape(iri)}"
                                               "</code> in this graph.</p>"), status_code=404,
                            headers=_PAGE_HEADERS)
    view = entity_json(store, iri, describe(store, iri))
    return HTMLResponse(render_page(request, path, view), headers=_PAGE_HEADERS)


# --- HTML -------------------------------------------------------------------------------------
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                 "Vary": "Accept"}
_CSS = """
body{font:15px/1.55 system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:0 auto;max-width:64rem;padding:1rem 1.5rem;color:#1d1d1f}
h1{font-size:1.6rem;margin:.2rem 0}h1 .en{color:#555;font-weight:500;margin-left:.6rem}
h2{font-size:1.1rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:1.8rem}
code{font-size:.85em;color:#555;word-break:break-all}
table{border-collapse:collapse;width:100%}td,th{text-align:left;vertical-align:top;
padding:.3rem .5rem;border-bottom:1px solid #eee}th{font-weight:600;width:14rem}
.labels td,.labels th{width:50%}.muted{color:#777;font-size:.9em}
mark{background:#ffe58f;padding:0 .1em}blockquote{margin:.3rem 0;padding:.3rem .8rem;
border-left:3px solid #e0c050;background:#fafafa}li{margin-bottom:.8rem}
a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}
nav a{margin-right:.8rem}
"""


def _page_shell(title: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="zh"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
            f'<body><nav class="muted"><a href="/docs">policykg API</a>'
            f'<a href="/sparql">SPARQL</a></nav>\n{body}\n</body></html>\n')


def _both(zh: str | None, en: str | None) -> str:
    parts = []
    if zh:
        parts.append(f'<span lang="zh">{escape(zh)}</span>')
    if en:
        parts.append(f'<span lang="en">{escape(en)}</span>')
    return " / ".join(parts)


def _link(request: Request, iri: str, zh: str | None = None, en: str | None = None) -> str:
    """A neighbour: linked to its page when it is ours, else its labels or its IRI as text."""
    href = page_path(request, iri)
    if not (zh or en):
        zh, en = term_labels().get(iri, (None, None))
    text = _both(zh, en) or f"<code>{escape(curie(iri))}</code>"
    if href:
        return f'<a href="{escape(href)}">{text}</a>'
    return f'{text} <code>{escape(curie(iri))}</code>' if (zh or en) else text


def _locate(sentence: str, quote_: str, prefix: str, suffix: str) -> int:
    """Where the quote sits in its sentence: the occurrence whose context agrees most with
    the stored prefix and suffix; -1 when it is not in the sentence."""
    best, best_score = -1, -1
    i = sentence.find(quote_)
    while i >= 0 and quote_:
        before, after = sentence[:i], sentence[i + len(quote_):]
        score = 0
        while score < min(len(before), len(prefix)) and before[-1 - score] == prefix[-1 - score]:
            score += 1
        n = 0
        while n < min(len(after), len(suffix)) and after[n] == suffix[n]:
            n += 1
        if score + n > best_score:
            best, best_score = i, score + n
        i = sentence.find(quote_, i + 1)
    return best


def _evidence_html(request: Request, ev: dict) -> str:
    sentence, q = ev["sentence"] or "", ev["quote"] or ""
    at = _locate(sentence, q, ev["prefix"] or "", ev["suffix"] or "")
    if at >= 0:
        text = (escape(sentence[:at]) + f"<mark>{escape(q)}</mark>" +
                escape(sentence[at + len(q):]))
    else:
        text = escape(sentence) + (f" … <mark>{escape(q)}</mark>" if q else "")
    doc = ev["document"]
    source = ""
    if doc:
        title = escape(ev["document_title"] or curie(doc))
        href = page_path(request, doc)
        source = f'<a href="{escape(href)}" lang="zh">{title}</a>' if href else title
    where = (f" · 字符 chars {ev['start']}–{ev['end']}" if ev["start"] is not None else "")
    return (f'<li><blockquote lang="zh">{text}</blockquote>'
            f'<span class="muted">来源 Source: {source}{where}</span></li>')


def render_page(request: Request, path: str, v: dict) -> str:
    zh = (v["labels"]["zh"] or [None])[0]
    en = (v["labels"]["en"] or [None])[0]
    data = "/data/" + quote(path, safe="/")
    out = [f'<h1><span lang="zh">{escape(zh or "")}</span>'
           f'<span class="en" lang="en">{escape(en or "")}</span></h1>',
           f'<p><code>{escape(v["iri"])}</code></p>',
           '<p class="muted">数据 Data: ' + " · ".join(
               f'<a href="{escape(data)}.{s}">{n}</a>' for s, n in
               (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("json", "JSON")))
           + "</p>",
           '<table class="labels"><tr><th>中文</th><th>English</th></tr>']
    for key, name in (("labels", "首选 preferred"), ("aliases", "别名 aliases")):
        z, e = v[key]["zh"], v[key]["en"]
        if z or e:
            out.append(f'<tr><td lang="zh">{"<br>".join(escape(x) for x in z)}</td>'
                       f'<td lang="en">{"<br>".join(escape(x) for x in e)}</td></tr>'
                       if key == "labels" else
                       f'<tr><td lang="zh"><span class="muted">{name}:</span> '
                       f'{"、".join(escape(x) for x in z)}</td><td lang="en">'
                       f'<span class="muted">{name}:</span> {"; ".join(escape(x) for x in e)}'
                       "</td></tr>")
    out.append("</table><table>")
    types = ", ".join(_link(request, t) for t in v["types"]) or "—"
    out.append(f"<tr><th>类型 Type</th><td>{types}</td></tr>")
    if v["label_method"]:
        out.append("<tr><th>英文标签来源 Label method</th><td>"
                   f"{_link(request, v['label_method'])}"
                   "</td></tr>")
    out.append("</table>")
    out.append("<h2>属性 Properties</h2><table>")
    by_prop: dict[str, list[str]] = defaultdict(list)
    for row in v["outgoing"]:
        if "iri" in row:
            by_prop[row["property"]].append(_link(request, row["iri"], row["label_zh"],
                                                  row["label_en"]))
        else:
            lang = f' lang="{escape(row["lang"])}"' if row.get("lang") else ""
            by_prop[row["property"]].append(f"<span{lang}>{escape(row['value'])}</span>")
    for p, values in by_prop.items():
        out.append(f"<tr><th>{_term_html(p)}</th><td>{'<br>'.join(values)}</td></tr>")
    if not by_prop:
        out.append('<tr><td class="muted">—</td></tr>')
    out.append("</table>")
    if v["incoming"]:
        out.append("<h2>被引用 Incoming links</h2><table>")
        inc: dict[str, list[str]] = defaultdict(list)
        for row in v["incoming"]:
            inc[row["property"]].append(_link(request, row["iri"], row["label_zh"],
                                              row["label_en"]))
        for p, values in inc.items():
            cell = "<br>".join(values)
            if len(values) > 12:
                cell = f"<details><summary>{len(values)}</summary>{cell}</details>"
            out.append(f"<tr><th>{_term_html(p)}</th><td>{cell}</td></tr>")
        out.append("</table>")
        if v["incoming_truncated"]:
            out.append(f'<p class="muted">first {INCOMING_MAX} links shown</p>')
    if v["evidence"]:
        out.append("<h2>证据 Evidence</h2><ol>")
        out.extend(_evidence_html(request, ev) for ev in v["evidence"])
        out.append("</ol>")
    title = " · ".join(x for x in (zh, en) if x) or v["iri"]
    return _page_shell(f"{title} — policykg", "\n".join(out))
