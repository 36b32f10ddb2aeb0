"""Organisations: every mention resolved to one entity per body, with aliases.

Names come from the termbase (national bodies) and its provincial templates, filled in
for every province. Relative short forms (省委, 省政府办公厅, 省领导小组) name a body of
the province the document is about, so they are only matched when that province is
known. Aliases a document defines itself (以下简称“X”) are added for that document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policykg.gazetteer import Gazetteer
from policykg.ids import slug
from policykg.matching import Match, NameMatcher
from policykg.segment import Segmentation
from policykg.termbase import OrgEntry, Termbase

_RELATIVE = re.compile(r"^(省|市|自治区|区|县)")
# What an organisation's name ends with, for bodies the termbase does not know.
ORG_SUFFIX = re.compile(
    r"(人民政府|政府|办公厅|办公室|领导小组|委员会|部|委|局|署|总局|总社|银行|院|会|办|中心|集团)$")


def relative(entry: OrgEntry, name: str) -> bool:
    """Whether `name` is a relative short form of a provincial body (省委, 市政府, 自治区党委),
    which names it only inside its own province's text and is no label of it. National names
    may begin the same way (市场监管总局); no national body's name begins with 省."""
    return name.startswith("省") or (entry.kind == "provincial" and bool(_RELATIVE.match(name)))


@dataclass
class OrgIndex:
    entries: dict[str, OrgEntry]  # key → entry
    matcher: NameMatcher[str]  # name → key

    def find(self, text: str, seg: Segmentation) -> list[Match[str]]:
        return [m for m in self.matcher.find(text) if seg.fits(m.start, m.end)]

    def resolve(self, name: str) -> OrgEntry | None:
        for m in self.matcher.find(name):
            if m.start == 0 and m.end == len(name):
                return self.entries[m.payload]
        return None


# The names of a province's documents, built once per process and province (~60 ms each
# time: every province's bodies from the termbase's templates, and the matcher over them).
# Each value holds its termbase and gazetteer too, so that their ids (the key) are not reused.
_BASES: dict[tuple[int, int, str | None], tuple[dict[str, OrgEntry], dict[str, str],
                                                NameMatcher[str], tuple]] = {}


def build_org_index(tb: Termbase, gz: Gazetteer, province: str | None,
                    defined: dict[str, str]) -> OrgIndex:
    """`province` is the code of the province the document is about (or None);
    `defined` maps aliases the text defines to the full names they stand for. The index is
    the document's own: extraction adds the bodies it meets that the termbase lacks."""
    key = (id(tb), id(gz), province)
    base = _BASES.get(key)
    if base is None:
        entries, names = _base_names(tb, gz, province)
        base = _BASES[key] = (entries, names, NameMatcher(names), (tb, gz))
    entries, names, matcher, _ = base
    if defined:  # most documents define none: the shared names and matcher then serve
        added = dict(names)
        for alias, full in defined.items():
            k = added.get(full)  # an alias may stand for an alias defined before it
            if k and alias not in added:
                added[alias] = k
        if len(added) > len(names):
            matcher = NameMatcher(added)
    return OrgIndex(dict(entries), matcher)


def _base_names(tb: Termbase, gz: Gazetteer, province: str | None,
                ) -> tuple[dict[str, OrgEntry], dict[str, str]]:
    entries: dict[str, OrgEntry] = {}
    names: dict[str, str] = {}

    province_names = tuple(n for code, d in gz.by_code.items() if d.level == "province"
                           for n in (d.zh, *d.short))

    def add(entry: OrgEntry, relative_ok: bool) -> None:
        entries[entry.key] = entry
        # 省委 / 省领导小组 name a body of some province; 市场监管总局 is national.
        provincial = entry.zh.startswith(province_names) or entry.zh.startswith("中共")
        for name in (entry.zh, *entry.aliases_zh):
            if provincial and _RELATIVE.match(name) and not relative_ok:
                continue
            names.setdefault(name, entry.key)

    context_zh = gz.province_short(province) if province else None
    for e in tb.orgs:
        add(e, relative_ok=bool(context_zh and context_zh in e.zh))
    for code, d in sorted(gz.by_code.items()):
        if d.level != "province":
            continue
        p_zh = gz.province_short(code)
        for e, _ in tb.provincial_orgs(p_zh, gz.province_en(code), slug(p_zh), d.zh):
            add(e, relative_ok=(code == province))
    return entries, names
