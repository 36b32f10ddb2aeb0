"""Reports over a built graph for the people who curate the termbase."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Dataset, Graph, Literal
from rdflib.namespace import SKOS

from policykg.vocab import LABEL_METHOD, PKG

_CURATED = {LABEL_METHOD["official"], LABEL_METHOD["curated"]}


@dataclass(frozen=True)
class LabelRow:
    zh: str
    en: str
    method: str  # composed | transliterated
    mentions: int  # evidence nodes: how often the text names it


def uncurated_labels(data: Graph | Dataset) -> list[LabelRow]:
    """Entities whose English was composed or transliterated, most mentioned first."""
    methods = {v: k for k, v in LABEL_METHOD.items()}
    rows = []
    for s, method in set(data.subject_objects(PKG.labelMethod)):
        if method in _CURATED:
            continue
        zh = [o for o in data.objects(s, SKOS.prefLabel) if isinstance(o, Literal)
              and o.language == "zh"]
        en = [o for o in data.objects(s, SKOS.prefLabel) if isinstance(o, Literal)
              and o.language == "en"]
        mentions = len(set(data.objects(s, PKG.evidence)))
        rows.append(LabelRow(str(zh[0]) if zh else "", str(en[0]) if en else "",
                             methods.get(method, str(method)), mentions))
    rows.sort(key=lambda r: (-r.mentions, r.zh))
    return rows
