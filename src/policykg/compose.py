"""Compose English from known parts: '四川试验区实施方案' → 'Sichuan Pilot Zone
Implementation Plan'. A phrase is composed only when every part of it is known (termbase
terms, bodies, places); otherwise the caller falls back to a marked transliteration.

Chinese noun compounds keep their order in English (modifier before head), which is what
titles and headings mostly are. '…关于X的通知' becomes 'Notice on X' (issuer first)."""

from __future__ import annotations

import re
from functools import cache

from policykg.gazetteer import load_gazetteer
from policykg.termbase import load_termbase

_SMALL = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}
_JOIN = {"和": "and", "与": "and", "及": "and", "暨": "and", "、": ","}
_SKIP = {"的", "“", "”", '"', " "}
_ABOUT = re.compile(r"^(?P<issuer>.*?)关于(?P<topic>.+?)的(?P<genre>[^的]{1,4})$")


@cache
def _pieces() -> dict[str, str]:
    """Chinese → English for every known part, longest names win in segmentation."""
    out: dict[str, str] = {}
    gz = load_gazetteer()
    for code, d in gz.by_code.items():
        out.setdefault(d.zh, d.en)
        for short in d.short:
            base = gz.province_en(code) if d.level == "province" else d.en
            out.setdefault(short, base)
    tb = load_termbase()
    for o in tb.orgs:
        for name in (o.zh, *o.aliases_zh):
            out.setdefault(name, o.en)
    for zh, t in tb.terms.items():
        out.setdefault(zh, t.en)
    return out


def _segment(zh: str) -> list[str] | None:
    """Fewest known pieces covering `zh` (dynamic programming), or None."""
    pieces = _pieces()
    n = len(zh)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        ch = zh[i]
        if ch in _SKIP or ch in _JOIN:
            cand = [*best[i], _JOIN.get(ch, "")]
            if best[i + 1] is None or len(cand) < len(best[i + 1]):
                best[i + 1] = cand
        for j in range(min(n, i + 24), i, -1):
            en = pieces.get(zh[i:j])
            if en is None:
                continue
            cand = [*best[i], en]
            if best[j] is None or len(cand) < len(best[j]):
                best[j] = cand
    return best[n]


def _cap(w: str) -> str:
    return "-".join(p[:1].upper() + p[1:] if p[:1].islower() else p for p in w.split("-"))


def title_case(s: str) -> str:
    """Headline style: every word capitalised (both halves of urban-rural) but small
    function words inside the title."""
    words = s.split(" ")
    return " ".join(w if i and w.lower() in _SMALL else _cap(w) for i, w in enumerate(words))


def _join(parts: list[str]) -> str:
    text = " ".join(p for p in parts if p)
    return re.sub(r"\s+,", ",", text).strip()


def compose(zh: str) -> str | None:
    """English composed from known parts, title-cased; None when a part is unknown."""
    zh = zh.strip()
    m = _ABOUT.match(zh)
    if m:
        genre = _pieces().get(m.group("genre"))
        topic = _segment(m.group("topic"))
        issuer = _segment(m.group("issuer").strip()) if m.group("issuer").strip() else []
        if genre and topic is not None and issuer is not None:
            lead = f"{_join(issuer)} " if issuer else ""
            return title_case(f"{lead}{genre} on {_join(topic)}")
        return None
    parts = _segment(zh)
    if not parts or len([p for p in parts if p]) < 2:
        return None  # a single known piece is the termbase's own entry, not a composition
    return title_case(_join(parts))
