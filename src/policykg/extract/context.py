"""State shared by the extractors while they read one document."""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from policykg.extract.orgs import OrgIndex, relative
from policykg.extract.text import Text
from policykg.gazetteer import Gazetteer
from policykg.ids import document_key
from policykg.normalise import fold
from policykg.records import (
    Citation,
    DocumentRecord,
    Evidence,
    Extraction,
    OrgRecord,
    PlaceRecord,
)
from policykg.segment import Segmentation

ALIAS_RE = re.compile(r"[(（]以下简称[“\"《]([^”\"》]{1,30})[”\"》][)）]")

T = TypeVar("T")


class StartIndex(Generic[T]):
    """Which records of a growing list start in [lo, hi), in list order, without scanning
    the list: readers ask this once per citation or match, and a scan each time made a
    long document quadratic. Records appended since the last question are indexed then."""

    def __init__(self, items: list[T], start: Callable[[T], int]) -> None:
        self.items, self.start = items, start
        self._sorted: list[tuple[int, int]] = []  # (start, position in items)

    def between(self, lo: int, hi: int) -> list[T]:
        for i in range(len(self._sorted), len(self.items)):
            insort(self._sorted, (self.start(self.items[i]), i))
        a = bisect_left(self._sorted, (lo, -1))
        b = bisect_left(self._sorted, (hi, -1))
        return [self.items[i] for i in sorted(i for _, i in self._sorted[a:b])]


@dataclass
class Context:
    text: Text
    seg: Segmentation
    orgs: OrgIndex
    gz: Gazetteer
    province: str | None
    out: Extraction
    aliases: dict[str, str] = field(default_factory=dict)  # short → full, as the text defines
    org_mentions: list[tuple[int, int, str]] = field(default_factory=list)  # (s, e, key)
    place_mentions: list[tuple[int, int, str]] = field(default_factory=list)  # (s, e, code)
    # id(list) → (the list, the evidence in it, how much of it the set has seen): see add_ev
    _ev_seen: dict[int, tuple[list[Evidence], set[Evidence], list[int]]] = field(
        default_factory=dict, repr=False)
    _indexes: dict[str, StartIndex] = field(default_factory=dict, repr=False)
    # documents by folded title or alias, by number, and in the order they were met
    _doc_names: dict[str, DocumentRecord] = field(default_factory=dict, repr=False)
    _doc_numbers: dict[str, DocumentRecord] = field(default_factory=dict, repr=False)
    _doc_order: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._register(self.out.document)  # a citation may name the document being read

    def _index(self, name: str, items: list[T], start: Callable[[T], int]) -> StartIndex[T]:
        ix = self._indexes.get(name)
        if ix is None or ix.items is not items:
            ix = self._indexes[name] = StartIndex(items, start)
        return ix

    @property
    def raw(self) -> str:
        return self.text.text

    def ev(self, start: int, end: int) -> Evidence:
        return self.text.evidence(start, end)

    def add_ev(self, evs: list[Evidence], ev: Evidence) -> None:
        """Append `ev` to a record's evidence unless it is there already, in constant time:
        a long document names one body tens of thousands of times, and scanning the list
        for each mention made reading it quadratic. Lists only grow; what other code
        appended directly is taken into the set on the next call."""
        entry = self._ev_seen.get(id(evs))
        if entry is None:
            entry = self._ev_seen[id(evs)] = (evs, set(), [0])  # holding evs keeps its id
        _, seen, synced = entry
        if synced[0] < len(evs):
            seen.update(evs[synced[0]:])
        if ev not in seen:
            evs.append(ev)
            seen.add(ev)
        synced[0] = len(evs)

    def org(self, key: str, written: str | None, ev: Evidence | None) -> str:
        e = self.orgs.entries[key]
        rec = self.out.orgs.get(key)
        if rec is None:
            method = "official" if e.en_source == "official" else "curated"
            rec = OrgRecord(key=key, zh=e.zh, en=e.en, en_method=method,
                            aliases_zh={a for a in e.aliases_zh if not relative(e, a)},
                            aliases_en=set(e.aliases_en), group=e.kind == "collective")
            self.out.orgs[key] = rec
        if written and written != e.zh:
            rec.aliases_zh.add(written)
        if ev:
            self.add_ev(rec.evidence, ev)
        return key

    def place(self, code: str, written: str | None, ev: Evidence | None) -> str:
        rec = self.out.places.setdefault(code, PlaceRecord(code=code))
        if written:
            rec.written.add(written)
        if ev:
            self.add_ev(rec.evidence, ev)
        return code

    def orgs_in(self, start: int, end: int) -> list[tuple[int, int, str]]:
        """Organisation mentions inside [start, end), in the order they were found."""
        found = self._index("orgs", self.org_mentions, lambda m: m[0]).between(start, end)
        return [m for m in found if m[1] <= end]

    def places_in(self, start: int, end: int) -> list[tuple[int, int, str]]:
        found = self._index("places", self.place_mentions, lambda m: m[0]).between(start, end)
        return [m for m in found if m[1] <= end]

    def citations_in(self, start: int, end: int) -> list[Citation]:
        """Citations whose evidence starts in [start, end), in the order they were read."""
        return self._index("citations", self.out.citations,
                           lambda c: c.evidence.start).between(start, end)

    def document(self, title: str, number: str | None = None) -> DocumentRecord:
        """The cited document with this title (or alias), or this number, created on first
        sight; where the title names one and the number another, the one met first."""
        found = [d for d in (self._doc_names.get(fold(title)),
                             self._doc_numbers.get(number) if number else None) if d]
        if found:
            return min(found, key=lambda d: self._doc_order[id(d)])
        key = document_key(title, number)
        d = DocumentRecord(key=key, title=title, number=number)
        self.out.documents[key] = d
        self._register(d)
        return d

    def document_alias(self, d: DocumentRecord, alias: str) -> None:
        """Another name of a document (以下简称《决定》, a name written without 《》)."""
        d.aliases.add(alias)
        self._doc_names.setdefault(fold(alias), d)

    def _register(self, d: DocumentRecord) -> None:
        """Index a document by its title, aliases and number: looking each citation up by
        scanning every document read so far made a text citing thousands quadratic."""
        self._doc_order[id(d)] = len(self._doc_order)
        for name in (d.title, *d.aliases):
            self._doc_names.setdefault(fold(name), d)
        if d.number:
            self._doc_numbers.setdefault(d.number, d)

    def expand(self, s: str) -> str:
        """Replace the aliases the text defined by what they stand for."""
        for short, full in sorted(self.aliases.items(), key=lambda kv: -len(kv[0])):
            if short in s and full not in s:
                s = s.replace(short, full)
        return s
