"""Pinyin of Chinese names for search, with the place-name reading overrides applied
(什邡 is Shifang, not Shenfang): for each override the per-character reading is chosen
among pypinyin's heteronyms so that the syllables spell the curated reading."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import product

from pypinyin import Style, lazy_pinyin, load_phrases_dict, pinyin

from policykg.tables import read_table


def _letters(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.replace("ü", "v").replace("Ü", "v"))
    return re.sub(r"[^a-z]", "", "".join(c for c in s if not unicodedata.combining(c)).lower())


@cache
def _install_overrides() -> int:
    phrases: dict[str, list[list[str]]] = {}
    for row in read_table("place_readings.tsv"):
        name, target = row["name_zh"], _letters(row["pinyin"])
        options = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
        if len(options) != len(name) or len(name) > 8:
            continue
        for combo in product(*options):
            if "".join(combo).replace("ü", "v") == target:
                phrases[name] = [[c] for c in combo]
                break
    load_phrases_dict(phrases)
    return len(phrases)


def syllables(zh: str) -> list[str]:
    """'什邡市' → ['shi', 'fang', 'shi'] (toneless, ü as v); non-Chinese kept as words."""
    _install_overrides()
    out = []
    for s in lazy_pinyin(zh, style=Style.NORMAL, errors=lambda x: re.findall(r"[A-Za-z0-9]+", x)):
        s = _letters(s) if not s.isdigit() else s
        if s:
            out.append(s)
    return out


def fold_pinyin(text: str) -> str:
    """A typed pinyin query as letters only: 'Shí Fāng' → 'shifang', "Xi'an" → 'xian'."""
    return _letters(text)
