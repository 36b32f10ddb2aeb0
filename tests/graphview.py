"""Test helpers: look entities up in a built graph by label, class and property."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from policykg.vocab import OA, PKG


class View:
    def __init__(self, g: Graph) -> None:
        self.g = g

    def of_class(self, cls: URIRef) -> set[URIRef]:
        return set(self.g.subjects(RDF.type, cls))

    def zh_labels(self, s: URIRef) -> set[str]:
        return {str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in self.g.objects(s, p)
                if isinstance(o, Literal) and o.language == "zh"}

    def pref(self, s: URIRef, lang: str) -> list[str]:
        return [str(o) for o in self.g.objects(s, SKOS.prefLabel)
                if isinstance(o, Literal) and o.language == lang]

    def by_label(self, cls: URIRef, zh: str) -> list[URIRef]:
        return sorted(s for s in self.of_class(cls) if zh in self.zh_labels(s))

    def one(self, cls: URIRef, zh: str) -> URIRef:
        found = self.by_label(cls, zh)
        assert len(found) == 1, f"expected one {cls} labelled {zh!r}, found {found}"
        return found[0]

    def value(self, s: URIRef, p: URIRef):
        vals = list(self.g.objects(s, p))
        assert len(vals) <= 1, f"{s} has several {p}: {vals}"
        return vals[0] if vals else None

    def objects(self, s: URIRef, p: URIRef) -> set:
        return set(self.g.objects(s, p))

    def items(self, lst: URIRef) -> dict[int | None, str]:
        out: dict[int | None, str] = {}
        for i in self.g.subjects(PKG.inList, lst):
            o = self.value(i, PKG.ordinal)
            out[int(o) if o is not None else len(out) + 1000] = self.pref(i, "zh")[0]
        return out

    def evidence_quotes(self, s: URIRef) -> set[str]:
        out = set()
        for ev in self.g.objects(s, PKG.evidence):
            for sel in self.g.objects(ev, OA.hasSelector):
                for q in self.g.objects(sel, OA.exact):
                    out.add(str(q))
        return out
