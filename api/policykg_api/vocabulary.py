"""The vocabularies the entity descriptions use: namespaces and prefixes, the few term IRIs
the service reads, and the Chinese and English labels of terms (from the ontology, and
given here for the terms of other vocabularies)."""

from __future__ import annotations

from functools import cache

import pyoxigraph as ox

from policykg.resources import ontology_path
from policykg.search import normalise_lang

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"
DCT = "http://purl.org/dc/terms/"
PKG = "https://w3id.org/policykg/ontology#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
PREFIXES = {"pkg": PKG, "skos": SKOS, "rdfs": RDFS, "rdf": RDF, "oa": OA,
            "xsd": "http://www.w3.org/2001/XMLSchema#", "prov": "http://www.w3.org/ns/prov#",
            "dct": DCT}
TYPE, PREF, ALT, LABEL = RDF + "type", SKOS + "prefLabel", SKOS + "altLabel", RDFS + "label"
METHOD, EVIDENCE = PKG + "labelMethod", PKG + "evidence"

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
