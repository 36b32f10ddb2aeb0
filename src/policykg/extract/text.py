"""Small text helpers shared by the extractors: sentences, evidence, numbers, dates, money."""

from __future__ import annotations

import re
from bisect import bisect_right
from decimal import Decimal
from functools import cached_property

import cn2an

from policykg.records import DateValue, Evidence

# Sentence ends: full and half width, and line breaks (headings, list lines).
_SENT_END = re.compile(r"[。！？!?；;]|\n")
CONTEXT = 24  # characters of prefix/suffix kept with a quote
MAX_SENTENCE = 2000  # characters; the longest sentence of the bundled corpus has 325


class Text:
    """The normalised text with sentence boundaries, for making evidence."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def _bounds(self) -> list[int]:
        starts = [0]
        for m in _SENT_END.finditer(self.text):
            starts.append(m.end())
        return starts

    def sentence_span(self, pos: int) -> tuple[int, int]:
        """Start and end of the sentence holding character `pos`; of a "sentence" longer
        than MAX_SENTENCE (text without sentence ends: a 100 KB line of names), the
        MAX_SENTENCE characters around `pos`. Every reader looks at the sentence of each
        of its matches: unbounded, one such line made reading it quadratic."""
        i = bisect_right(self._bounds, pos) - 1
        start = self._bounds[i]
        end = self._bounds[i + 1] if i + 1 < len(self._bounds) else len(self.text)
        if end - start > MAX_SENTENCE:
            start = max(start, min(pos - MAX_SENTENCE // 2, end - MAX_SENTENCE))
            end = start + MAX_SENTENCE
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1] == "\n":
            end -= 1
        return start, end

    def evidence(self, start: int, end: int) -> Evidence:
        s0, s1 = self.sentence_span(start)
        s1 = max(s1, min(end, len(self.text)))
        return Evidence(
            start=start,
            end=end,
            quote=self.text[start:end],
            sentence=self.text[s0:s1].strip(),
            prefix=self.text[max(0, start - CONTEXT):start],
            suffix=self.text[end:end + CONTEXT],
        )

    def sentences(self) -> list[tuple[int, int]]:
        out = []
        b = self._bounds
        for i, s in enumerate(b):
            e = b[i + 1] if i + 1 < len(b) else len(self.text)
            if self.text[s:e].strip():
                out.append((s, e))
        return out


# --- numbers -------------------------------------------------------------------------------

CN_NUM = "〇零一二两三四五六七八九十百千万"
NUM = rf"(?:\d+|[{CN_NUM}]+)"


def to_int(s: str) -> int | None:
    """'16' → 16, '十六' → 16, '两' → 2; None when it is not a whole number."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    try:
        v = cn2an.cn2an(s.replace("两", "二"), "smart")
    except (ValueError, KeyError):
        return None
    return int(v) if float(v).is_integer() else None


# --- dates ---------------------------------------------------------------------------------

DATE_RE = re.compile(r"(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?)?")


def date_from_match(m: re.Match[str]) -> DateValue:
    y, mo, d = m.group(1), m.group(2), m.group(3)
    if d:
        return DateValue(f"{int(y):04d}-{int(mo):02d}-{int(d):02d}", "day")
    if mo:
        return DateValue(f"{int(y):04d}-{int(mo):02d}", "month")
    return DateValue(f"{int(y):04d}", "year")


def parse_date(s: str) -> DateValue | None:
    s = s.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})", s):
        return DateValue(s, "datetime")
    m = DATE_RE.search(s)
    return date_from_match(m) if m and m.group(2) else (date_from_match(m) if m else None)


# --- money ---------------------------------------------------------------------------------

MONEY_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万亿|亿|千万|百万|万)?元")
SCALE = {None: 1, "万": 10**4, "百万": 10**6, "千万": 10**7, "亿": 10**8, "万亿": 10**12}


# 1000万—2000万元, 1000—2000万元 (the first number takes the second's unit), 5亿至8亿元
MONEY_RANGE_RE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(万亿|亿|千万|百万|万)?元?\s*(?:[—–\-－~～]+|至|到)\s*"
    r"(\d+(?:\.\d+)?)\s*(万亿|亿|千万|百万|万)?元")


def money(m: re.Match[str]) -> Decimal:
    """'1025.2亿元' → Decimal('102520000000'); exact, no float."""
    return money_value(m.group(1), m.group(2))


def money_value(number: str, unit: str | None) -> Decimal:
    v = Decimal(number) * SCALE[unit]
    return v.quantize(Decimal(1)) if v == v.to_integral_value() else v.normalize()
