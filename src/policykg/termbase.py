"""The termbase: organisations (national, and provincial templates), policy terms,
genres and named items, each with its English and where that English comes from."""

from __future__ import annotations

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

    def provincial_orgs(self, p_zh: str, p_en: str, p_slug: str) -> list[tuple[OrgEntry, bool]]:
        """Provincial bodies of one province. Each with a flag: True when some of its
        aliases are relative (省委, 省政府) and so only valid inside that province's text."""
        out = []
        for row in self.provincial:
            fill = lambda s: s.replace("{p}", p_zh).replace("{P}", p_en)  # noqa: E731
            aliases = tuple(fill(a) for a in split_cell(row["aliases_zh"]))
            out.append((OrgEntry(
                key=f"{row['id']}-{p_slug}", zh=fill(row["zh_template"]),
                en=fill(row["en_template"]), en_source=row["en_source"] or "curated",
                aliases_zh=aliases, kind="provincial"), True))
        return out

    def term(self, zh: str) -> Term | None:
        return self.terms.get(zh)


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
