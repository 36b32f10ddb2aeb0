"""Entity search and autocomplete by label — Chinese (simplified or traditional), English or
pinyin — answered from the in-memory `SearchIndex` (`app.state.search`), never a SPARQL scan."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from functools import cache

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from policykg.resources import ontology_path
from policykg.search import SearchIndex, normalise_lang
from policykg_api.index_holder import RETRY_AFTER_S, IndexNotReady
from policykg_api.vocabulary import PREFIXES

router = APIRouter(tags=["Search"])

LANGS = ("zh", "en", "pinyin")
MAX_QUERY = 200
_LOCAL = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"


@cache
def known_classes() -> frozenset[str]:
    """Local names of the ontology's classes (what `type=` may name without a prefix)."""
    ns = PREFIXES["pkg"]
    return frozenset(t.subject.value[len(ns):]
                     for t in ox.parse(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)
                     if t.predicate.value == PREFIXES["rdf"] + "type"
                     and t.object.value == OWL_CLASS and t.subject.value.startswith(ns))


def _bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def parse_lang(tag: str | None) -> str | None:
    """zh, zh-Hans, zh-CN, zh-Hant… → zh; en, en-GB → en; pinyin, zh-Latn(-pinyin) → pinyin."""
    if tag is None or not tag.strip():
        return None
    subtags = tag.strip().lower().replace("_", "-").split("-")
    if subtags[0] == "pinyin" or (subtags[0] == "zh" and ("latn" in subtags or
                                                          "pinyin" in subtags)):
        return "pinyin"
    lang = normalise_lang(tag.strip())
    if lang in ("zh", "en") and all(re.fullmatch(r"[a-z0-9]{1,8}", s) for s in subtags):
        return lang
    raise _bad(f"lang must be one of {', '.join(LANGS)} (or a zh-*/en-* tag), not {tag!r}")


def parse_int(name: str, raw: str | None, default: int, low: int, high: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"{name} must be an integer, not {raw!r}") from None
    if value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"≥ {low}"
        raise _bad(f"{name} must be {span}, not {value}")
    return value


def parse_types(values: Iterable[str]) -> list[str]:
    """Class local names (`County`), CURIEs (`pkg:County`) or IRIs → what the index filters
    by: a local name or a full IRI."""
    out = []
    for raw in values:
        t = raw.strip()
        if "://" in t:
            try:
                ox.NamedNode(t)
            except ValueError:
                raise _bad(f"type {raw!r} is not a valid IRI") from None
            out.append(t)
            continue
        prefix, _, local = t.rpartition(":")
        if prefix and prefix in PREFIXES and _LOCAL.match(local):
            out.append(PREFIXES[prefix] + local)
        elif not prefix and _LOCAL.match(local) and local in known_classes():
            out.append(local)
        else:
            raise _bad(f"unknown type {raw!r}; use a class IRI, a CURIE such as pkg:County, or "
                       f"one of {', '.join(sorted(known_classes()))}")
    return out


async def _yield_first() -> None:
    """Give the event loop one turn before a search's CPU work (~0.5–15 ms on the loop).
    Under uvloop, with every client waiting, answers already written went out late behind
    searches of requests read after them: the search p99 at 32 clients without the response
    cache was 180–200 ms at 1M triples, a mean of 28 ms; with this turn, 58 ms (and 350 ms
    instead of 1 s for a mix of 30 searches). The standard asyncio loop is fair without it,
    but added 0.7–4 ms to /sparql answers of ~100 KB."""
    await asyncio.sleep(0)


def ready_index(request: Request) -> SearchIndex:
    """The search index; 503 with Retry-After while it is built after start-up."""
    try:
        return request.app.state.search.require()
    except IndexNotReady as e:
        raise HTTPException(503, str(e), headers={"Retry-After": str(RETRY_AFTER_S)}) from None


def parse_query(name: str, raw: str | None) -> str:
    q = (raw or "").strip()
    if not q:
        raise _bad(f"{name} must not be empty")
    if len(q) > MAX_QUERY:
        raise _bad(f"{name} is longer than {MAX_QUERY} characters")
    return q


_NOT_READY = {503: {"description": "The search index is still being built after start-up "
                                  "(Retry-After)"}}


@router.get("/search", summary="Search entities by label in Chinese, English or pinyin",
            responses=_NOT_READY)
async def search(request: Request,
           q: str | None = Query(None, description="Words to find: 中文 (simplified or "
                                 "traditional), English, or pinyin with or without tones.",
                                 openapi_examples={"pinyin": {"value": "shifang"},
                                                   "zh": {"value": "城乡融合"}}),
           lang: str | None = Query(None, description="Only matches in this language count: "
                                    "zh (also zh-Hans, zh-CN…), en or pinyin."),
           types: list[str] | None = Query(None, alias="type", description="Class local name "
                                           "(County), CURIE (pkg:County) or IRI; repeatable."),
           limit: str | None = Query(None, description="Results per page, 1..100 (20)."),
           offset: str | None = Query(None, description="Results to skip, ≥ 0 (0).")) -> dict:
    """Ranked: exact label, then prefix, then all words, then substring; preferred labels
    before aliases, shorter labels first. Each result gives the label that matched (`label`,
    `lang`, `match`), the entity's types and its preferred Chinese and English labels.
    `total` counts every match; `limit` and `offset` page through them. Bad values → 400."""
    await _yield_first()
    query = parse_query("q", q)
    language = parse_lang(lang)
    wanted = parse_types(types or [])
    n = parse_int("limit", limit, 20, 1, 100)
    skip = parse_int("offset", offset, 0, 0, None)
    index = ready_index(request)
    total, hits = index.page(query, wanted, None if language is None else (language,), skip, n)
    results = []
    for h in hits:
        labels = index.pref_labels(h.iri)  # from the index: no store round trip per hit
        results.append({"iri": h.iri, "label": h.label, "lang": h.lang, "match": h.match,
                        "types": list(h.types), "label_zh": labels["zh"],
                        "label_en": labels["en"]})
    # a JSONResponse as is: FastAPI would otherwise re-encode the dict field by field
    return JSONResponse({"query": query, "lang": language, "types": wanted, "total": total,
                         "limit": n, "offset": skip, "results": results})


@router.get("/suggest", summary="Autocomplete: labels that start with what was typed",
            responses=_NOT_READY)
async def suggest(request: Request,
            prefix: str | None = Query(None, description="What has been typed so far."),
            limit: str | None = Query(None, description="Suggestions, 1..50 (10).")) -> dict:
    """Labels (Chinese, English, or Chinese labels reached by pinyin) equal to or starting
    with `prefix`, best first, one per entity."""
    await _yield_first()
    typed = parse_query("prefix", prefix)
    n = parse_int("limit", limit, 10, 1, 50)
    hits = ready_index(request).suggest(typed, limit=n)
    return JSONResponse({"prefix": typed, "suggestions": [
        {"label": h.label, "lang": h.lang, "iri": h.iri} for h in hits]})
