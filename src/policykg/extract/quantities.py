"""Percentages and ranges: 95%, 95%以上, 60%—70%, 百分之九十五, 1000万—2000万元.

Each is a quantity with its unit, a value or its bounds (以上/不低于 = at least, 以下/不超过 =
at most), placed in its section and tied to the dated target stated in the same sentence
(到2020年，…综合利用率达到75%以上). A single amount of money is not read here: it is a stated
amount (sections.stated); a range of money is read here instead of as two amounts.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from decimal import Decimal, InvalidOperation

import cn2an

from policykg.extract.context import Context
from policykg.extract.sections import clause_span
from policykg.extract.text import MONEY_RANGE_RE, money_value
from policykg.records import QuantityRecord

_N = r"\d+(?:\.\d+)?"
_DASH = r"\s*(?:[—–\-－~～]+|至|到)\s*"
PERCENT_RANGE = re.compile(rf"({_N})\s*[%％]?{_DASH}({_N})\s*[%％]")
PERCENT = re.compile(rf"({_N})\s*[%％]")
PERCENT_ZH = re.compile(r"百分之([零〇一二两三四五六七八九十百点]+)")
AT_LEAST_AFTER = re.compile(r"^(?:及|或)?以上")
AT_MOST_AFTER = re.compile(r"^(?:及|或)?(?:以下|以内)")
AT_LEAST_BEFORE = re.compile(r"(?:不低于|不少于|至少|(?<!不)(?:高于|超过|大于))$")
AT_MOST_BEFORE = re.compile(r"(?:不超过|不高于|不多于|控制在|(?<!不)(?:低于|少于|小于))$")


def _cn_decimal(s: str) -> Decimal | None:
    try:
        return Decimal(str(cn2an.cn2an(s.replace("两", "二"), "smart")))
    except (ValueError, KeyError, InvalidOperation):
        return None


def _bounds(text: str, start: int, end: int, v: Decimal) -> tuple[int, tuple]:
    """The end of the quantity (with 以上 / 以下 after it) and its (value, min, max)."""
    after, before = text[end:end + 4], text[max(0, start - 4):start]
    if m := AT_LEAST_AFTER.match(after):
        return end + m.end(), (None, v, None)
    if m := AT_MOST_AFTER.match(after):
        return end + m.end(), (None, None, v)
    if AT_LEAST_BEFORE.search(before):
        return end, (None, v, None)
    if AT_MOST_BEFORE.search(before):
        return end, (None, None, v)
    return end, (v, None, None)


def quantities(ctx: Context, starts: list[tuple[int, tuple[str, int]]]) -> None:
    text = ctx.raw
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, str, tuple]] = []  # (start, end, unit, (value, min, max))

    def free(s: int, e: int) -> bool:
        return not any(a < e and s < b for a, b in taken)

    for m in PERCENT_RANGE.finditer(text):
        found.append((m.start(), m.end(), "%", (None, Decimal(m[1]), Decimal(m[2]))))
        taken.append(m.span())
    for m in MONEY_RANGE_RE.finditer(text):
        if free(*m.span()):
            low, high = money_value(m[1], m[2] or m[4]), money_value(m[3], m[4])
            found.append((m.start(), m.end(), "元", (None, low, high)))
            taken.append(m.span())
    for m in PERCENT.finditer(text):
        if free(*m.span()):
            end, vals = _bounds(text, m.start(), m.end(), Decimal(m[1]))
            found.append((m.start(), end, "%", vals))
            taken.append(m.span())
    for m in PERCENT_ZH.finditer(text):
        if free(*m.span()) and (v := _cn_decimal(m[1])) is not None:
            end, vals = _bounds(text, m.start(), m.end(), v)
            found.append((m.start(), end, "%", vals))

    section_starts = [s for s, _ in starts]
    targets = {ctx.text.sentence_span(t.evidence[0].start): t for t in ctx.out.stated
               if t.kind == "target"}
    for s, e, unit, (value, low, high) in sorted(found):
        c0, c1 = clause_span(ctx, s, e)
        i = bisect_right(section_starts, s) - 1
        target = targets.get(ctx.text.sentence_span(s))
        ctx.out.quantities.append(QuantityRecord(
            text=text[c0:c1].strip(), unit=unit, value=value, min_value=low, max_value=high,
            section=starts[i][1] if i >= 0 else None,
            target=(target.evidence[0].start, target.evidence[0].end) if target else None,
            evidence=[ctx.ev(s, e)]))

