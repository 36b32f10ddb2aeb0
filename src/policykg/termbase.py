"""The termbase: organisations (national, and provincial templates), policy terms,
genres and named items, each with its English and where that English comes from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from policykg.tables import read_table, split_cell


@dataclass(frozen=True)
class OrgEntry:
    key: str
    zh: str
    en: str
    en_source: str  # official | glossary | curated
    aliases_zh: tuple[str, ...] = ()
    aliases_en: tuple[str, ...] = ()
    kind: str = ""
    status: str = "current"


@dataclass(frozen=True)
class Term:
    zh: str
    en: str
    type: str  # term | genre | zone | program | item | project | event | measure
    en_source: str
    aliases_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrgChange:
    """A former body's reorganisation (org_changes.tsv): to one successor or several."""

    former: str  # org id
    successors: tuple[str, ...]  # org ids
    year: str | None
    kind: str  # renamed | reorganised | merged | split


@dataclass
class Termbase:
    orgs: list[OrgEntry] = field(default_factory=list)
    provincial: list[dict[str, str]] = field(default_factory=list)  # raw template rows
    terms: dict[str, Term] = field(default_factory=dict)
    changes: dict[str, OrgChange] = field(default_factory=dict)  # former id → its change

    def org(self, key: str) -> OrgEntry | None:
        return next((o for o in self.orgs if o.key == key), None)

    def provincial_orgs(self, p_zh: str, p_en: str, p_slug: str,
                        full_zh: str | None = None) -> list[tuple[OrgEntry, bool]]:
        """Provincial bodies of one province (`full_zh` its full name: 四川省, 天津市,
        广西壮族自治区; the templates are written for a 省). Each with a flag: True when some
        of its aliases are relative (省委, 省政府) and so only valid inside that province's
        text. A special administrative region has none of these bodies."""
        full = full_zh or f"{p_zh}省"
        kind = provincial_kind(full)
        if kind is None:
            return []
        out = []
        for row in self.provincial:
            def fill(s: str) -> str:
                return provincial_form(s, kind, full).replace("{p}", p_zh)
            own = split_cell(row.get("municipal_zh", "")) if kind == "municipality" else []
            if own:  # the municipality's own name where the rule is wrong
                zh, aliases = own[0].replace("{p}", p_zh), tuple(a.replace("{p}", p_zh)
                                                                for a in own[1:])
                en = row["municipal_en"]
            else:
                zh = fill(row["zh_template"])
                aliases = tuple(dict.fromkeys(fill(a) for a in split_cell(row["aliases_zh"])))
                en = provincial_en(row["en_template"], kind, zh)
            out.append((OrgEntry(
                key=f"{row['id']}-{p_slug}", zh=zh, en=en.replace("{P}", p_en),
                en_source=row["en_source"] or "curated",
                aliases_zh=tuple(a for a in aliases if a != zh), kind="provincial"), True))
        return out

    def term(self, zh: str) -> Term | None:
        return self.terms.get(zh)


def provincial_kind(full_zh: str) -> str | None:
    """province | municipality | autonomous, from a province-level division's full name."""
    if full_zh.endswith("特别行政区"):
        return None
    if full_zh.endswith("自治区"):
        return "autonomous"
    return "municipality" if full_zh.endswith("市") else "province"


def provincial_form(template: str, kind: str, full: str) -> str:
    """A template written for a 省 ({p}省发展和改革委员会, 中共{p}省委, relative 省委) in the
    wording of a municipality (天津市发展和改革委员会, 中共天津市委, 市委; its departments are
    bureaus: 天津市财政局) or an autonomous region (广西壮族自治区发展和改革委员会,
    中共广西壮族自治区委员会, 自治区党委)."""
    if kind == "municipality":
        t = template.replace("{p}省", "{p}市")
        t = re.sub(r"^省", "市", t)
        return re.sub(r"(?<!办公)厅$", "局", t)
    if kind == "autonomous":
        t = template.replace("{p}省委员会", full + "委员会")
        t = t.replace("中共{p}省委", f"中共{full}委员会")
        t = t.replace("{p}省委", full + "党委").replace("{p}省", full)
        return re.sub(r"^省(委?)", lambda m: "自治区" + ("党委" if m.group(1) else ""), t)
    return template


def provincial_en(template: str, kind: str, zh: str) -> str:
    """The English of a provincial template for the kind of province (see provincial_form)."""
    if kind == "municipality":
        if zh.endswith("局") and (m := re.fullmatch(r"Department of (.+) of \{P\} Province",
                                                   template)):
            return f"{{P}} Municipal Bureau of {m.group(1)}"
        return template.replace("Provincial", "Municipal").replace("Province", "Municipality")
    if kind == "autonomous":
        return template.replace("Provincial", "Autonomous Regional").replace(
            "Province", "Autonomous Region")
    return template


@cache
def load_termbase() -> Termbase:
    tb = Termbase()
    for r in read_table("organizations.tsv"):
        tb.orgs.append(OrgEntry(
            key=r["id"], zh=r["zh"], en=r["en"], en_source=r["en_source"] or "curated",
            aliases_zh=tuple(split_cell(r.get("aliases_zh", ""))),
            aliases_en=tuple(split_cell(r.get("aliases_en", ""))),
            kind=r.get("kind", ""), status=r.get("status", "") or "current"))
    tb.provincial = list(read_table("provincial_bodies.tsv"))
    for r in read_table("org_changes.tsv"):
        tb.changes[r["former"]] = OrgChange(former=r["former"],
                                            successors=tuple(split_cell(r["successors"])),
                                            year=r["year"] or None, kind=r["kind"])
    for r in read_table("terms.tsv"):
        t = Term(zh=r["zh"], en=r["en"], type=r["type"], en_source=r["en_source"] or "curated",
                 aliases_zh=tuple(split_cell(r.get("aliases_zh", ""))))
        tb.terms.setdefault(t.zh, t)
        for a in t.aliases_zh:
            tb.terms.setdefault(a, t)
    return tb
