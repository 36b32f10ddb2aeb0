"""An entity's description, read from the store: its own triples with the types and labels
of what it links to and its evidence (`describe`), the links to it, and the plain JSON view
of it all (`entity_json`) that /data/….json gives and the HTML page is rendered from.

No user text is ever pasted into a query: the entity is written into it as a term serialised
by pyoxigraph from a checked IRI (`ox.NamedNode` refuses anything that is not one)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from policykg.search import normalise_lang
from policykg.union_graph import union_options
from policykg_api.vocabulary import (
    ALT,
    DCT,
    EVIDENCE,
    LABEL,
    METHOD,
    OA,
    PKG,
    PREF,
    PREFIXES,
    TYPE,
    XSD_STRING,
    term_label,
)

# shown in their own fields, not among "outgoing"
SUMMARISED = {TYPE, PREF, ALT, LABEL, METHOD, EVIDENCE}
INCOMING_MAX = 1000

_SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

# The description: the entity's own triples; for each IRI it links to, its types and
# labels; for each evidence node, its triples and its selectors' triples; for each document
# the evidence is from, its labels and title. One CONSTRUCT whose every branch starts from
# the entity written as a constant, so each is a chain of index look-ups. (A `substitutions`
# binding is not pushed into UNION branches: that form scanned the whole store, 2 s at 1M
# triples; a look-up per node from Python took 65 ms for a county named in ~240 places and
# 14 ms for a document, this query 37 and 1.7 ms, and one request, not hundreds, to a remote
# store.) The fixed properties are bound in UNION branches, not VALUES, which pyoxigraph
# joined before the subject and so scanned.
DESCRIPTION = _SPARQL_PREFIXES + """
CONSTRUCT { ?s ?p ?o } WHERE {
  { $ENTITY ?p ?o BIND($ENTITY AS ?s) }
  UNION { $ENTITY pkg:evidence ?s FILTER(isIRI(?s)) ?s ?p ?o }
  UNION { $ENTITY pkg:evidence ?e FILTER(isIRI(?e)) ?e oa:hasSelector ?s . ?s ?p ?o }
  UNION { $ENTITY pkg:evidence ?e FILTER(isIRI(?e)) ?e oa:hasSource ?s .
          { ?s skos:prefLabel ?o BIND(skos:prefLabel AS ?p) }
          UNION { ?s dct:title ?o BIND(dct:title AS ?p) } }
  UNION { $ENTITY ?q ?s FILTER(isIRI(?s) && ?q != pkg:evidence)
          { ?s rdf:type ?o BIND(rdf:type AS ?p) }
          UNION { ?s skos:prefLabel ?o BIND(skos:prefLabel AS ?p) }
          UNION { ?s rdfs:label ?o BIND(rdfs:label AS ?p) } }
}"""

INCOMING = _SPARQL_PREFIXES + """
SELECT ?s ?x ?p (SAMPLE(?zh0) AS ?zh) (SAMPLE(?en0) AS ?en) WHERE {
  VALUES ?s { $ENTITY }
  ?x ?p ?s .
  OPTIONAL { ?x skos:prefLabel ?zh0 FILTER(langMatches(lang(?zh0), "zh")) }
  OPTIONAL { ?x skos:prefLabel ?en0 FILTER(langMatches(lang(?en0), "en")) }
} GROUP BY ?s ?x ?p ORDER BY ?p ?x LIMIT """ + str(INCOMING_MAX + 1)


def exists(store: ox.Store, iri: str) -> bool:
    """Whether the IRI is the subject or the object of any triple in any graph."""
    node = ox.NamedNode(iri)
    return (next(iter(store.quads_for_pattern(node, None, None, None)), None) is not None or
            next(iter(store.quads_for_pattern(None, None, node, None)), None) is not None)


def incoming_query(iri: str) -> str:
    """INCOMING for one entity. The VALUES clause sits inside the pattern (a remote server
    applies a trailing one after LIMIT); the term is pyoxigraph's serialisation of a
    NamedNode, which refuses anything that is not an IRI."""
    return INCOMING.replace("$ENTITY", str(ox.NamedNode(iri)))


def describe(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The description's triples (union of all graphs): the entity's first."""
    query = DESCRIPTION.replace("$ENTITY", str(ox.NamedNode(iri)))  # a checked IRI term
    out = set(store.query(query, **union_options(store)))
    return sorted(out, key=lambda t: (t.subject.value != iri, str(t)))


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

    def types(self, s: str) -> list[str]:
        return sorted(o.value for o in self.objects(s, TYPE))


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def entity_json(store: ox.Store, iri: str, triples: list[ox.Triple]) -> dict:
    """The plain JSON view of an entity described by `triples` (from `describe`)."""
    g = _Graph(triples)
    out: dict = {
        "iri": iri,
        "types": g.types(iri),
        "labels": g.labels(iri, PREF),
        "aliases": g.labels(iri, ALT),
        "label_method": g.value(iri, METHOD),
    }
    out["outgoing"] = _outgoing(g, iri)
    rows = list(store.query(incoming_query(iri), **union_options(store)))
    out["incoming"] = [{"property": r["p"].value, "property_label": term_label(r["p"].value)[1],
                        "iri": r["x"].value,
                        "label_zh": r["zh"].value if r["zh"] else None,
                        "label_en": r["en"].value if r["en"] else None}
                       for r in rows[:INCOMING_MAX]]
    out["incoming_truncated"] = len(rows) > INCOMING_MAX
    out["evidence"] = _evidence(g, iri)
    return out


def _outgoing(g: _Graph, iri: str) -> list[dict]:
    """A row per property value, the summarised properties left out."""
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
                elif o.datatype.value != XSD_STRING:
                    row["datatype"] = o.datatype.value
            else:
                row.update(iri=o.value, label_zh=g.label(o.value, "zh"),
                           label_en=g.label(o.value, "en"), types=g.types(o.value))
            outgoing.append(row)
    return sorted(outgoing, key=lambda r: (r["property"], r.get("iri") or "",
                                           r.get("value") or ""))


def _evidence(g: _Graph, iri: str) -> list[dict]:
    """A row per evidence node: the quote, its context and position, and the document."""
    evidence = []
    for ev in g.objects(iri, EVIDENCE):
        e = ev.value
        row: dict = {"iri": e, "quote": None, "prefix": None, "suffix": None,
                     "sentence": g.value(e, PKG + "sentence"), "start": None, "end": None,
                     "document": g.value(e, OA + "hasSource")}
        for sel in g.objects(e, OA + "hasSelector"):
            kinds = set(g.types(sel.value))
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
    return sorted(evidence, key=lambda r: (r["document"] or "", r["start"] or 0, r["iri"]))
