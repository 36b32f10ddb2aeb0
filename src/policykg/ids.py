"""Deterministic identifiers: the same input gives the same IRIs on any machine."""

from __future__ import annotations

import hashlib
import re

from policykg.normalise import fold

DEFAULT_BASE = "https://w3id.org/policykg/"


def short_hash(*parts: str, n: int = 12) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:n]


def slug(text: str) -> str:
    """ASCII slug: pinyin for Chinese, lower case, hyphens."""
    from pypinyin import lazy_pinyin  # (~0.2 s to import: not for commands that never slug)

    out = []
    for piece in lazy_pinyin(text, errors=lambda s: list(s)):
        piece = re.sub(r"[^a-z0-9]+", "-", piece.lower()).strip("-")
        if piece:
            out.append(piece)
    return "-".join(out) or short_hash(text)


_DOCNO = re.compile(r"^(?P<prefix>.+?)[〔\[［(（](?P<year>\d{4})[〕\]］)）](?P<num>\d+)号$")


def document_key(title: str | None, number: str | None) -> str:
    """By document number (国办函〔2004〕71号 → guobanhan-2004-71), else by title."""
    if number and (m := _DOCNO.match(fold(number).replace("（", "(").replace("）", ")"))):
        return f"{slug(m.group('prefix')).replace('-', '')}-{m.group('year')}-{m.group('num')}"
    return "t-" + short_hash(fold(title or ""))
