"""Compare the graph built from a document with what a careful reader extracts from it (a gold
file, as in tests/gold/): precision and recall per fact type.

Gold keys → fact types. Keys not listed here are ignored (genre, not_content, traps, counts,
percentages, projects, pilots_and_zones, geographic_features, other_document_mentions,
time_references, counts_summary, notes…). A type is "n/a" when the gold has none of its keys.

| gold key                                  | fact type   | one gold fact: the graph has …        |
|-------------------------------------------|-------------|---------------------------------------|
| document.title_zh                         | documents   | the document, labelled so (zh)        |
| document.doc_number                       | documents   | its pkg:documentNumber (null: none)   |
| document.issued / .written                | documents,  | its pkg:issued, same value and        |
|                                           |   dates     |   precision (xsd type)                |
| document.posted                           | docs, dates | its pkg:posted (null: none)           |
| document.issuer / .issuers[]              | documents   | each pkg:issuedBy, by zh label        |
| document.addressees[]                     | documents   | each pkg:addressee, by zh label       |
| document.published_by / .editor           | documents   | pkg:publishedBy (label) / pkg:editor  |
| document.answers_proposal.number          | documents   | pkg:answers → proposal of that number |
| document.embedded_plan_title / .attachment | documents  | pkg:attachment → a document so titled |
| cited_documents[].title_zh (+ alias[es])  | documents   | a pkg:PolicyDocument of that title    |
| cited_documents[].issuers[]               | documents   | its pkg:issuedBy, by zh label         |
| cited_documents[].issued                  | docs, dates | its pkg:issued                        |
| cited_documents[].title_zh                | citations   | pkg:cites from the document to it     |
| cited_documents[].doc_number              | citations   | that cited document's documentNumber  |
| organizations[].label_zh (+ aliases)      | organisations | a pkg:Organization so labelled      |
| places[].adcode                           | places      | a division with that pkg:adminCode    |
| places[].label_zh (+ aliases), no adcode  | places      | a region or town so labelled          |
| numbered_lists.<key>.items[]              | list_items  | each item, one list, ordinal = place  |
| numbered_lists[] / unnumbered_lists[]:    | list_items  | those items in one list (ordinals     |
|   .first_item, .last_item                 |             |   from numbers_present/count_listed,  |
|                                           |             |   numbered lists only)                |
|   .count_listed                           | list_items  | that many items in the list           |
|   .count_stated (any list above/below)    | list_items  | pkg:statedCount / statedCountText     |
| trial_tasks.named[], .count_stated        | list_items  | each item (no ordinal); the count     |
| trial_zone.examples_of_experiences[],     | list_items  | each item (no ordinal); the count     |
|   .experiences_promoted_nationwide        |             |   text                                |
| pilot_programs[].example_action           | list_items  | the item, in a list                   |
| measures_next_steps[].label_zh, .ordinal  | list_items  | each item with its ordinal            |
| measures_next_steps[].deadline            | dates       | that date literal (pkg:deadline)      |
| amounts[].yuan (× .occurrences)           | amounts     | a pkg:amount of that value            |
| events[].total_investment_cny             | amounts     | a pkg:amount of that value            |
| events[].date                             | dates       | that date literal (pkg:date)          |
| dated_targets[].text                      | dates       | a date literal of the year (month,    |
|                                           |             |   day) the text writes                |

Graph facts (the precision denominators): documents — the document's own properties for the
keys the gold gives, and every other pkg:PolicyDocument (with issuers/issued where the gold
entry gives them); citations — pkg:cites (and pkg:legalBasis) objects of the document;
organisations — every pkg:Organization read from the text (not a successor added from the
table of reorganisations); places — every division, region or town carrying pkg:evidence
(not gazetteer parents); list_items — every pkg:ReformItem/TrialTask/Project/Measure/Section;
amounts — every pkg:amount triple; dates — every triple with an xsd:date/gYear/gYearMonth/
dateTime object, except on nodes described only from reference tables (the year of a
reorganisation). Amounts and dates are matched as multisets of (value, datatype). Labels are
compared through `normalise.fold` (full/half-width punctuation alike, no spaces). Where the
gold gives only the first and last items of a list, the graph's other items of that list
count as matching when their ordinal is within the gold's numbering (or, unnumbered, within
its count).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD

from policykg.build import build_one
from policykg.normalise import fold
from policykg.resources import corpus_dir
from policykg.vocab import PKG

TYPES = ("documents", "citations", "organisations", "places", "list_items", "amounts", "dates")
ITEM_CLASSES = (PKG.ReformItem, PKG.TrialTask, PKG.Project, PKG.Measure, PKG.Section)
DATE_TYPES = (XSD.date, XSD.gYear, XSD.gYearMonth, XSD.dateTime)


class EvaluationError(Exception):
    """A gold file that cannot be read, or a source document that cannot be found or built."""


# --- results ------------------------------------------------------------------------------

@dataclass
class FactResult:
    type: str
    gold: int = 0          # gold facts
    matched: int = 0       # gold facts found in the graph
    graph_total: int = 0   # graph facts of this type
    misses: list[str] = field(default_factory=list)  # gold facts not found
    extras: list[str] = field(default_factory=list)  # graph facts matching no gold fact

    @property
    def precision(self) -> float | None:
        if not self.graph_total:
            return None
        return (self.graph_total - len(self.extras)) / self.graph_total

    @property
    def recall(self) -> float | None:
        return self.matched / self.gold if self.gold else None

    def expect(self, found: bool, what: str) -> None:
        """One gold fact."""
        self.gold += 1
        if found:
            self.matched += 1
        else:
            self.misses.append(what)

    def saw(self, matched: bool, what: str) -> None:
        """One graph fact."""
        self.graph_total += 1
        if not matched:
            self.extras.append(what)

    def add(self, other: FactResult) -> None:
        self.gold += other.gold
        self.matched += other.matched
        self.graph_total += other.graph_total
        self.misses += other.misses
        self.extras += other.extras

    def summary(self, with_lists: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"gold": self.gold, "matched": self.matched,
                               "graph_total": self.graph_total, "extra": len(self.extras),
                               "precision": self.precision, "recall": self.recall}
        if with_lists:
            out |= {"misses": self.misses, "extras": self.extras}
        return out


@dataclass
class DocumentResult:
    gold_path: Path
    source: Path
    document: str                              # IRI of the evaluated document
    types: dict[str, FactResult | None]        # None: the gold has no such section ("n/a")

    def overall(self) -> FactResult:
        total = FactResult("overall")
        for r in self.types.values():
            if r is not None:
                total.add(r)
        return total


# --- reading gold files and finding their sources ------------------------------------------

def load_gold(path: Path) -> dict[str, Any]:
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvaluationError(f"{path}: no such gold file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EvaluationError(f"{path}: cannot read gold file: {e}") from None
    if not isinstance(gold, dict) or not isinstance(gold.get("source"), str):
        raise EvaluationError(f"{path}: not a gold file (a JSON object with a 'source' field)")
    return gold


def resolve_source(source: str, gold_path: Path, corpus: Path | None = None) -> Path:
    """The gold's `source` (e.g. "corpus/x.txt"): in --corpus if given (only there); else in
    the bundled corpus, then relative to the gold file's folder or a folder above it."""
    rel = Path(source)
    if rel.is_absolute():
        candidates = [rel]
    else:
        inner = Path(*rel.parts[1:]) if len(rel.parts) > 1 and rel.parts[0] == "corpus" else rel
        folder = corpus if corpus is not None else corpus_dir()
        candidates = [folder / inner, folder / rel.name]
        if corpus is None:
            candidates += [d / rel for d in gold_path.resolve().parents]
    for c in candidates:
        if c.is_file():
            return c
    where = f"in {corpus}" if corpus is not None else "in the bundled corpus or near the gold"
    raise EvaluationError(f"{gold_path}: source document {source!r} not found {where}")


# --- a read-only view of one document's graph ---------------------------------------------

class _View:
    def __init__(self, g: Graph) -> None:
        self.g = g
        self._zh: dict[URIRef, set[str]] = {}

    def of_class(self, cls: URIRef) -> list[URIRef]:
        return sorted(set(self.g.subjects(RDF.type, cls)))

    def objects(self, s: URIRef, p: URIRef) -> list:
        return sorted(set(self.g.objects(s, p)))

    def reference_only(self, s: URIRef) -> bool:
        """Described from the project's reference tables (a gazetteer parent, a successor
        body, a reorganisation), not read from the text: no fact of the document."""
        return (s, PROV.wasDerivedFrom, None) in self.g and (s, PKG.evidence, None) not in self.g

    def zh(self, s: URIRef) -> set[str]:
        """Folded zh pref and alt labels."""
        if s not in self._zh:
            self._zh[s] = {fold(str(o)) for p in (SKOS.prefLabel, SKOS.altLabel)
                           for o in self.g.objects(s, p)
                           if isinstance(o, Literal) and o.language == "zh"}
        return self._zh[s]

    def has_label(self, s: URIRef, names: set[str]) -> bool:
        return bool(self.zh(s) & names)

    def find(self, nodes: list[URIRef], names: set[str]) -> URIRef | None:
        return next((s for s in nodes if self.has_label(s, names)), None)

    def pref(self, s: URIRef) -> str:
        return next((str(o) for o in self.g.objects(s, SKOS.prefLabel)
                     if isinstance(o, Literal) and o.language == "zh"), "")

    def describe(self, s: URIRef) -> str:
        short = str(s).split("/id/", 1)[-1]
        label = self.pref(s)
        return f"{label} <{short}>" if label else f"<{short}>"

    def strings(self, s: URIRef, p: URIRef) -> list[str]:
        return [str(o) for o in self.objects(s, p)]


def _names(entry: dict, *keys: str) -> set[str]:
    """Folded names of a gold entry: label_zh/title_zh and aliases (list) or alias (string)."""
    out: set[str] = set()
    for k in (*keys, "label_zh", "title_zh", "aliases", "alias"):
        v = entry.get(k)
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, str) and x:
                out.add(fold(x))
    return out


def _list(gold: dict, key: str) -> list[dict]:
    v = gold.get(key)
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _str_list(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v] if v else []
    return [x for x in v if isinstance(x, str) and x] if isinstance(v, list) else []


def _count(v: Any) -> int | str | None:
    """A stated count as the gold gives it: a number or a text such as "10余条"."""
    return v if isinstance(v, int | str) and not isinstance(v, bool) and v != "" else None


def _org_names(gold: dict) -> dict[str, set[str]]:
    """A name → every name of that gold organisation, so an issuer written as 人民银行
    also matches an entity labelled 中国人民银行 when the gold says they are one body."""
    out: dict[str, set[str]] = {}
    for o in _list(gold, "organizations"):
        names = _names(o)
        for n in names:
            out.setdefault(n, set()).update(names)
    return out


# --- dates and amounts: values with a precision -------------------------------------------

_ISO = [(re.compile(r"\d{4}"), XSD.gYear), (re.compile(r"\d{4}-\d{2}"), XSD.gYearMonth),
        (re.compile(r"\d{4}-\d{2}-\d{2}"), XSD.date),
        (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?"),
         XSD.dateTime)]
_ZH_DATE = re.compile(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?")

DateKey = tuple[str, str]  # (xsd datatype, canonical value)


def _canon_datetime(v: str) -> str:
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(.*)", v)
    return f"{m[1]}{m[2] or ':00'}{m[3]}" if m else v


def date_key(text: str) -> DateKey | None:
    """"2019-05" → (gYearMonth, "2019-05"); "2019年6月底前" → (gYearMonth, "2019-06");
    "到2020年" → (gYear, "2020"); None when no date is written."""
    text = text.strip()
    for pattern, dt in _ISO:
        if pattern.fullmatch(text):
            return (str(dt), _canon_datetime(text) if dt == XSD.dateTime else text)
    m = _ZH_DATE.search(text)
    if not m:
        return None
    if m[3]:
        return (str(XSD.date), f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}")
    if m[2]:
        return (str(XSD.gYearMonth), f"{m[1]}-{int(m[2]):02d}")
    return (str(XSD.gYear), m[1])


def _literal_date_key(o: Any) -> DateKey | None:
    if not isinstance(o, Literal) or o.datatype not in DATE_TYPES:
        return None
    v = str(o)
    return (str(o.datatype), _canon_datetime(v) if o.datatype == XSD.dateTime else v)


def _show_date(k: DateKey) -> str:
    return f"{k[1]} (xsd:{k[0].rsplit('#', 1)[-1]})"


def _decimal(v: Any) -> Decimal | None:
    try:
        return Decimal(str(v).replace(",", "")) if v is not None else None
    except InvalidOperation:
        return None


def _multiset(r: FactResult, gold: list[tuple[Any, str]], graph: list[tuple[Any, str]]) -> None:
    """Gold and graph facts as (key, description), matched by key, each used once."""
    available = Counter(k for k, _ in graph)
    for k, what in gold:
        r.expect(available[k] > 0, what)
        if available[k] > 0:
            available[k] -= 1
    wanted = Counter(k for k, _ in gold)
    for k, what in graph:
        r.saw(wanted[k] > 0, what)
        if wanted[k] > 0:
            wanted[k] -= 1


# --- documents ----------------------------------------------------------------------------

def _related(r: FactResult, v: _View, s: URIRef, p: URIRef, names: list[str],
             aliases: dict[str, set[str]], what: str) -> None:
    """Gold names vs the labelled objects of s p: each name found, each object expected."""
    objs = v.objects(s, p)
    wanted = [aliases.get(fold(n), {fold(n)}) for n in names]
    for n, ns in zip(names, wanted, strict=True):
        r.expect(any(v.has_label(o, ns) for o in objs), f"{what} {n}")
    for o in objs:
        r.saw(any(v.has_label(o, ns) for ns in wanted), f"{what} {v.describe(o)}")


def _values(r: FactResult, gold: list[str], graph: list[str], what: str) -> None:
    """Gold strings vs graph strings (compared folded)."""
    gold_keys, graph_keys = {fold(x) for x in gold}, {fold(x) for x in graph}
    for x in gold:
        r.expect(fold(x) in graph_keys, f"{what} {x}")
    for x in graph:
        r.saw(fold(x) in gold_keys, f"{what} {x} (graph)")


def _dates_of(v: _View, s: URIRef, p: URIRef) -> list[DateKey]:
    return [k for o in v.objects(s, p) if (k := _literal_date_key(o))]


def _date_values(r: FactResult, gold_text: Any, v: _View, s: URIRef, p: URIRef,
                 what: str) -> None:
    """A gold date (None: the gold says there is none) vs the dates of s p."""
    gold = [k for k in [date_key(gold_text)] if k] if isinstance(gold_text, str) else []
    graph = _dates_of(v, s, p)
    for k in gold:
        r.expect(k in graph, f"{what} {_show_date(k)}")
    for k in graph:
        r.saw(k in gold, f"{what} {_show_date(k)} (graph)")


def match_documents(gold: dict, v: _View, doc: URIRef) -> FactResult | None:
    meta, cited = gold.get("document"), _list(gold, "cited_documents")
    if not isinstance(meta, dict) and not isinstance(gold.get("cited_documents"), list):
        return None
    r = FactResult("documents")
    orgs = _org_names(gold)
    answered: set[URIRef] = set()
    if isinstance(meta, dict):
        if isinstance(meta.get("title_zh"), str):
            title = meta["title_zh"]
            r.expect(fold(title) in v.zh(doc), f"title {title}")
            r.saw(fold(title) in v.zh(doc), f"title {v.pref(doc)} (graph)")
        if "doc_number" in meta:
            _values(r, _str_list(meta["doc_number"]), v.strings(doc, PKG.documentNumber),
                    "number")
        for key in ("issued", "written"):
            if key in meta:
                _date_values(r, meta[key], v, doc, PKG.issued, "issued")
                break
        if "posted" in meta:
            _date_values(r, meta["posted"], v, doc, PKG.posted, "posted")
        for key, prop, what in (("issuer", PKG.issuedBy, "issued by"),
                                ("issuers", PKG.issuedBy, "issued by"),
                                ("addressees", PKG.addressee, "addressed to"),
                                ("published_by", PKG.publishedBy, "published by")):
            if key in meta:
                _related(r, v, doc, prop, _str_list(meta[key]), orgs, what)
        if "editor" in meta:
            _values(r, _str_list(meta["editor"]), v.strings(doc, PKG.editor), "editor")
        if "answers_proposal" in meta:
            answered = set(v.objects(doc, PKG.answers))
            p = meta["answers_proposal"]
            number = p.get("number") if isinstance(p, dict) else None
            if number:
                r.expect(any(number in v.strings(a, PKG.proposalNumber) for a in answered),
                         f"answers proposal {number}")
            for a in answered:
                r.saw(bool(number) and number in v.strings(a, PKG.proposalNumber),
                      f"answers {v.describe(a)}")
    # every other document: present by title; its issuers and date where the gold gives them
    others = [d for d in v.of_class(PKG.PolicyDocument) if d != doc and d not in answered]
    found: dict[URIRef, dict] = {}
    # a document carried in this one (the plan a cover notice issues, an attachment)
    carried = v.objects(doc, PKG.attachment)
    for key in ("embedded_plan_title", "attachment"):
        title = meta.get(key) if isinstance(meta, dict) else None
        if isinstance(title, str) and title:
            node = v.find(carried, {fold(title)})
            r.expect(node is not None, f"attaches 《{title}》")
            if node is not None:
                found.setdefault(node, {})
    for a in carried:
        r.saw(a in found, f"attaches {v.describe(a)}")
    for c in cited:
        node = v.find(others, _names(c))
        title = c.get("title_zh") or "?"
        r.expect(node is not None, f"document 《{title}》")
        if node is None:
            continue
        found.setdefault(node, c)
        if "issuers" in c:
            _related(r, v, node, PKG.issuedBy, _str_list(c["issuers"]), orgs,
                     f"《{title}》 issued by")
        if "issued" in c:
            _date_values(r, c["issued"], v, node, PKG.issued, f"《{title}》 issued")
    for d in others:
        r.saw(d in found, f"document {v.describe(d)}")
    return r


# --- citations ----------------------------------------------------------------------------

def match_citations(gold: dict, v: _View, doc: URIRef) -> FactResult | None:
    if not isinstance(gold.get("cited_documents"), list):
        return None
    r = FactResult("citations")
    cited = sorted(set(v.objects(doc, PKG.cites)) | set(v.objects(doc, PKG.legalBasis)))
    matched: set[URIRef] = set()
    for c in _list(gold, "cited_documents"):
        title, number = c.get("title_zh") or "?", c.get("doc_number")
        node = v.find(cited, _names(c)) or next(
            (d for d in cited if number and number in v.strings(d, PKG.documentNumber)), None)
        r.expect(node is not None, f"cites 《{title}》")
        if isinstance(number, str) and number:
            r.expect(node is not None and number in v.strings(node, PKG.documentNumber),
                     f"number {number} of cited 《{title}》")
        if node is not None:
            matched.add(node)
    for d in cited:
        r.saw(d in matched, f"cites {v.describe(d)}")
    return r


# --- organisations and places --------------------------------------------------------------

def match_organisations(gold: dict, v: _View) -> FactResult | None:
    if not isinstance(gold.get("organizations"), list):
        return None
    r = FactResult("organisations")
    orgs = v.of_class(PKG.Organization)
    wanted = [(o.get("label_zh") or "?", _names(o)) for o in _list(gold, "organizations")]
    for label, names in wanted:
        r.expect(v.find(orgs, names) is not None, f"organisation {label}")
    for s in orgs:
        if v.reference_only(s):
            continue  # a successor added from the table of reorganisations, not read
        r.saw(any(v.has_label(s, names) for _, names in wanted), f"pkg:Organization "
              f"{v.describe(s)}")
    return r


def match_places(gold: dict, v: _View) -> FactResult | None:
    if not isinstance(gold.get("places"), list):
        return None
    r = FactResult("places")
    # coded divisions, and named regions (京津冀) and towns for gold places without a code
    divisions = (v.of_class(PKG.AdministrativeDivision) + v.of_class(PKG.Region)
                 + v.of_class(PKG.Town))
    codes = {s: set(v.strings(s, PKG.adminCode)) for s in divisions}
    gold_codes: set[str] = set()
    label_only: set[str] = set()  # names of gold places without a code
    for p in _list(gold, "places"):
        label, code = p.get("label_zh") or "?", p.get("adcode")
        code = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
        if isinstance(code, str) and code:
            gold_codes.add(code)
            r.expect(any(code in c for c in codes.values()), f"place {label} ({code})")
        else:
            names = _names(p)
            label_only |= names
            r.expect(v.find(divisions, names) is not None, f"place {label} (no code)")
    for s in divisions:
        if v.objects(s, PKG.evidence):  # mentioned, not only a gazetteer parent
            r.saw(bool(codes[s] & gold_codes) or v.has_label(s, label_only),
                  f"division {v.describe(s)}")
    return r


# --- list items ---------------------------------------------------------------------------

@dataclass
class GoldList:
    name: str                                 # where in the gold file
    items: list[tuple[str, int | None]]       # (label, ordinal) the gold spells out
    complete: bool                            # every item of the list is spelled out
    ordinals: set[int] | None = None          # the list's numbering, when known
    listed: int | None = None                 # count_listed: how many items it has
    stated: int | str | None = None           # the count the text states


def _partial_list(name: str, e: dict, numbered: bool) -> GoldList:
    """A list the gold gives by its first and last items and counts."""
    listed = e.get("count_listed") if isinstance(e.get("count_listed"), int) else None
    present = [n for n in e.get("numbers_present") or [] if isinstance(n, int)]
    ordinals = set(present) or (set(range(1, listed + 1)) if listed else None)
    first, last = e.get("first_item"), e.get("last_item")
    items: list[tuple[str, int | None]] = []
    if isinstance(first, str) and first:
        items.append((first, min(ordinals) if numbered and ordinals else 1 if numbered
                      else None))
    if isinstance(last, str) and last and last != first:
        items.append((last, max(ordinals) if numbered and ordinals else None))
    return GoldList(name, items, complete=listed == len(items),
                    ordinals=ordinals if numbered else None, listed=listed,
                    stated=_count(e.get("count_stated")))


def gold_lists(gold: dict) -> list[GoldList] | None:
    """Every list the gold describes, whatever its shape; None if it describes none."""
    out: list[GoldList] = []
    seen = False
    for key, numbered in (("numbered_lists", True), ("unnumbered_lists", False)):
        lists = gold.get(key)
        if lists is None:
            continue
        seen = True
        entries = lists.items() if isinstance(lists, dict) else \
            enumerate(lists) if isinstance(lists, list) else []
        for k, e in entries:
            name = f"{key}.{k}" if isinstance(k, str) else f"{key}[{k}]"
            if not isinstance(e, dict):
                continue
            if isinstance(e.get("items"), list):
                labels = _str_list(e["items"])
                out.append(GoldList(name, [(t, i + 1 if numbered else None)
                                           for i, t in enumerate(labels)], complete=True,
                                    ordinals=set(range(1, len(labels) + 1)) if numbered
                                    else None, stated=_count(e.get("count_stated"))))
            elif "first_item" in e or "last_item" in e:
                out.append(_partial_list(name, e, numbered))
    tasks = gold.get("trial_tasks")
    if isinstance(tasks, dict) and "named" in tasks:
        seen = True
        out.append(GoldList("trial_tasks", [(t, None) for t in _str_list(tasks["named"])],
                            complete=True, stated=_count(tasks.get("count_stated"))))
    zone = gold.get("trial_zone")
    if isinstance(zone, dict) and "examples_of_experiences" in zone:
        seen = True
        out.append(GoldList("trial_zone.examples_of_experiences",
                            [(t, None) for t in _str_list(zone["examples_of_experiences"])],
                            complete=True,
                            stated=_count(zone.get("experiences_promoted_nationwide"))))
    for i, p in enumerate(_list(gold, "pilot_programs")):
        if isinstance(p.get("example_action"), str):
            seen = True
            out.append(GoldList(f"pilot_programs[{i}].example_action",
                                [(p["example_action"], None)], complete=True))
    steps = _list(gold, "measures_next_steps")
    if steps:
        seen = True
        items = [(m["label_zh"], m.get("ordinal") if isinstance(m.get("ordinal"), int)
                  else None) for m in steps if isinstance(m.get("label_zh"), str)]
        out.append(GoldList("measures_next_steps", items, complete=True,
                            ordinals={o for _, o in items if o} or None))
    return out if seen else None


def _ordinal(v: _View, item: URIRef) -> int | None:
    o = next(iter(v.objects(item, PKG.ordinal)), None)
    try:
        return int(o) if o is not None else None
    except ValueError:
        return None


def _item_matches(v: _View, item: URIRef, label: str, ordinal: int | None) -> bool:
    return fold(label) in v.zh(item) and (ordinal is None or _ordinal(v, item) == ordinal)


def _assign_lists(golds: list[GoldList], v: _View,
                  members: dict[URIRef, list[URIRef]]) -> dict[int, URIRef]:
    """Each gold list → the graph list sharing most of its items (2 per item with the right
    ordinal, 1 per label only), one to one, best pairs first."""
    pairs = []
    for gi, gl in enumerate(golds):
        for lst, items in members.items():
            score = sum(max((2 if _item_matches(v, i, t, o) else
                             1 if fold(t) in v.zh(i) else 0) for i in items) if items else 0
                        for t, o in gl.items)
            if score:
                pairs.append((-score, gi, str(lst), lst))
    out: dict[int, URIRef] = {}
    for _, gi, _, lst in sorted(pairs):
        if gi not in out and lst not in out.values():
            out[gi] = lst
    return out


def _count_matches(stated: int | str, v: _View, lst: URIRef) -> bool:
    counts = [int(x) for x in v.strings(lst, PKG.statedCount) if x.isdigit()]
    texts = [fold(x) for x in v.strings(lst, PKG.statedCountText)]
    if isinstance(stated, int):
        return stated in counts
    s = fold(stated)
    if any(t and (t in s or s in t) for t in texts):
        return True
    exact = re.fullmatch(r"共?(\d+)[项个条件]?", s)  # "共23项" states exactly 23
    return bool(exact) and int(exact[1]) in counts


def match_list_items(gold: dict, v: _View) -> FactResult | None:
    golds = gold_lists(gold)
    if golds is None:
        return None
    r = FactResult("list_items")
    items = sorted({i for c in ITEM_CLASSES for i in v.of_class(c)})
    members: dict[URIRef, list[URIRef]] = {lst: [] for lst in v.of_class(PKG.ItemList)}
    for i in items:
        for lst in v.objects(i, PKG.inList):
            members.setdefault(lst, []).append(i)
    assigned = _assign_lists(golds, v, members)
    ok: set[URIRef] = set()  # graph items that match the gold
    for gi, gl in enumerate(golds):
        lst = assigned.get(gi)
        got = members.get(lst, []) if lst is not None else []
        for label, ordinal in gl.items:
            hit = next((i for i in got if _item_matches(v, i, label, ordinal)), None)
            at = f"item {ordinal} " if ordinal else "item "
            what = f"{gl.name}: {at}{label}"
            if lst is None:
                what += " (no list has it)"
            elif hit is None:
                there = [v.pref(i) for i in got if ordinal and _ordinal(v, i) == ordinal]
                what += f" (graph has: {there[0]})" if there else ""
            r.expect(hit is not None, what)
            if hit is not None:
                ok.add(hit)
        if gl.stated is not None:
            r.expect(lst is not None and _count_matches(gl.stated, v, lst),
                     f"{gl.name}: stated count {gl.stated}")
        if gl.listed is not None:
            r.expect(len(got) == gl.listed,
                     f"{gl.name}: {gl.listed} items listed (graph: {len(got)})")
        if not gl.complete:  # items the gold does not spell out, within its numbering
            spelled = {o for _, o in gl.items if o}
            room = (gl.listed or 0) - len(gl.items)
            for i in got:
                if i in ok:
                    continue
                o = _ordinal(v, i)
                if gl.ordinals is not None and o in gl.ordinals and o not in spelled:
                    ok.add(i)
                elif gl.ordinals is None and o is None and room > 0:
                    ok.add(i)
                    room -= 1
    for i in items:
        cls = next((c for c in ITEM_CLASSES if (i, RDF.type, c) in v.g), PKG.Measure)
        o = _ordinal(v, i)
        lists = ", ".join(v.pref(lst)[:30] for lst in v.objects(i, PKG.inList))
        r.saw(i in ok, f"pkg:{cls.fragment} {f'{o} ' if o else ''}{v.pref(i)} "
                       f"(list: {lists or 'none'})")
    return r


# --- amounts and dates --------------------------------------------------------------------

def match_amounts(gold: dict, v: _View) -> FactResult | None:
    if not isinstance(gold.get("amounts"), list) and not isinstance(gold.get("events"), list):
        return None
    r = FactResult("amounts")
    wanted: list[tuple[Any, str]] = []
    for a in _list(gold, "amounts"):
        if (x := _decimal(a.get("yuan"))) is not None:
            # an amount written twice ("occurrences": 2) is two facts
            for _ in range(int(a.get("occurrences") or 1)):
                wanted.append((x, f"{a.get('text') or x} = {x} yuan ({a.get('about', '')})"))
    for e in _list(gold, "events"):
        if (x := _decimal(e.get("total_investment_cny"))) is not None:
            wanted.append((x, f"{e.get('total_investment_zh') or x} = {x} yuan "
                              f"({e.get('what', 'event')})"))
    graph = [(x, f"{x} yuan of {v.describe(s)}") for s, o in
             sorted(v.g.subject_objects(PKG.amount)) if (x := _decimal(o)) is not None]
    _multiset(r, wanted, graph)
    return r


def _gold_dates(gold: dict) -> list[tuple[DateKey, str]] | None:
    out: list[tuple[DateKey, str]] = []
    seen = False

    def add(text: Any, what: str) -> None:
        if isinstance(text, str) and (k := date_key(text)):
            out.append((k, f"{what}: {_show_date(k)}"))

    meta = gold.get("document")
    if isinstance(meta, dict):
        for key in ("issued", "written", "posted"):
            if key in meta:
                seen = True
                add(meta[key], f"document {'posted' if key == 'posted' else 'issued'}")
    for c in _list(gold, "cited_documents"):
        if "issued" in c:
            seen = True
            add(c["issued"], f"《{c.get('title_zh', '?')}》 issued")
    for e in _list(gold, "events"):
        seen = True
        add(e.get("date"), f"event {e.get('what', '')}")
    for m in _list(gold, "measures_next_steps"):
        seen = True
        add(m.get("deadline"), f"deadline of {m.get('label_zh', '?')}")
    if isinstance(gold.get("dated_targets"), list):
        seen = True
        for t in _list(gold, "dated_targets"):
            add(t.get("text"), f"target “{t.get('text')}” ({t.get('about', '')})")
    return out if seen else None


def match_dates(gold: dict, v: _View) -> FactResult | None:
    wanted = _gold_dates(gold)
    if wanted is None:
        return None
    r = FactResult("dates")
    graph = [(k, f"{p.split('#')[-1]} of {v.describe(s)}: {_show_date(k)}")
             for s, p, o in sorted(v.g) if (k := _literal_date_key(o))
             and not v.reference_only(s)]
    _multiset(r, wanted, graph)
    return r


# --- one gold file ------------------------------------------------------------------------

def evaluate_gold(gold_path: Path, corpus: Path | None = None) -> DocumentResult:
    """Build the gold file's source document and compare its graph with the gold."""
    gold = load_gold(gold_path)
    source = resolve_source(gold["source"], gold_path, corpus)
    built = build_one(source)
    if built.error or built.graph is None:
        raise EvaluationError(f"{gold_path}: cannot build {source}: {built.error}")
    v = _View(built.graph)
    doc = next(iter(v.objects(v.g.identifier, PKG.describes)), None)
    if doc is None:
        raise EvaluationError(f"{source}: the graph does not say which document it describes")
    types = {
        "documents": match_documents(gold, v, doc),
        "citations": match_citations(gold, v, doc),
        "organisations": match_organisations(gold, v),
        "places": match_places(gold, v),
        "list_items": match_list_items(gold, v),
        "amounts": match_amounts(gold, v),
        "dates": match_dates(gold, v),
    }
    return DocumentResult(gold_path, source, str(doc), types)


def overall(results: list[DocumentResult]) -> dict[str, FactResult]:
    """Per fact type summed over the documents where it applies, and "overall"."""
    out = {t: FactResult(t) for t in (*TYPES, "overall")}
    for d in results:
        for t, r in d.types.items():
            if r is not None:
                out[t].add(r)
                out["overall"].add(r)
    return out


# --- output -------------------------------------------------------------------------------

def to_json(results: list[DocumentResult]) -> str:
    """One JSON object: per document, per type (or "n/a"), and over all documents."""
    total = overall(results)
    applies = {t for d in results for t, r in d.types.items() if r is not None}
    return json.dumps({
        "documents": [{
            "gold": str(d.gold_path), "source": str(d.source), "document": d.document,
            "types": {t: r.summary() if r is not None else "n/a" for t, r in d.types.items()},
            "overall": d.overall().summary(with_lists=False),
        } for d in results],
        "overall": {t: r.summary(with_lists=False) if t in applies or t == "overall"
                    else "n/a" for t, r in total.items()},
    }, ensure_ascii=False, indent=1)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _table(rows: dict[str, FactResult | None]):
    from rich.table import Table

    table = Table("fact type", "gold", "found", "graph", "extra", "precision", "recall")
    for t, r in rows.items():
        if t == "overall":
            table.add_section()
        if r is None:
            table.add_row(t, "", "", "", "", "n/a", "n/a", style="dim")
        else:
            table.add_row(t, str(r.gold), str(r.matched), str(r.graph_total),
                          str(len(r.extras)), _pct(r.precision), _pct(r.recall),
                          style="bold" if t == "overall" else None)
    return table


def _shown(path: Path) -> str:
    """A path relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def render(results: list[DocumentResult], console, limit: int = 10) -> None:
    """A table per document with its misses and extras (the first `limit` of each per type),
    then, for several documents, a table over all of them."""
    from rich.markup import escape

    for d in results:
        console.print(f"[bold]{escape(d.gold_path.name)}[/bold] → {escape(_shown(d.source))}",
                      highlight=False)
        console.print(_table({**d.types, "overall": d.overall()}))
        for t, r in d.types.items():
            if r is None:
                continue
            for kind, facts in (("missed", r.misses), ("extra", r.extras)):
                if not facts:
                    continue
                console.print(f"  [bold]{t}[/bold] {kind} ({len(facts)}):")
                for f in facts[:limit]:
                    console.print(f"    - {f}", markup=False, highlight=False)
                if len(facts) > limit:
                    console.print(f"    … and {len(facts) - limit} more", highlight=False)
        console.print()
    if len(results) > 1:
        total = overall(results)
        applies = {t for d in results for t, r in d.types.items() if r is not None}
        console.print(f"[bold]all {len(results)} documents[/bold]", highlight=False)
        console.print(_table({t: r if t in applies or t == "overall" else None
                              for t, r in total.items()}))
