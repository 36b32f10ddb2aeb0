"""Percentages, ranges, counts and measures: 95%, 95%以上, 60%—70%, 百分之九十五,
1000万—2000万元; 191个水环境保护项目, 共23项, 10余条, 10个左右, 13万公顷, 4200万亩以上, 60万吨,
千亿斤, 三十年.

Each is a quantity with its unit, a value or its bounds (以上/不低于/余 = at least, 以下/不超过 =
at most; 左右/约 keep the value and say it is approximate), placed in its section and tied to
the dated target stated in the same sentence (到2020年，…综合利用率达到75%以上). A count keeps
what it counts when the text writes it right after the measure word (45个|食品加工业项目). A
single amount of money is not read here: it is a stated amount (sections.stated); a range of
money is read here instead of as two amounts.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from decimal import Decimal, InvalidOperation

import cn2an

from policykg.extract.context import Context
from policykg.extract.sections import clause_span
from policykg.extract.text import MONEY_RANGE_RE, MONEY_RE, SCALE, money_value
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

# A number (Arabic, or Chinese numerals not inside a longer run of them, so 二〇二五年 and
# 第二批 are not counts) with a scale, then a measure word or a unit of area, weight,
# length or time.
_CN = "一二两三四五六七八九十百千万亿"
CLASSIFIERS = "个项条家所座批类件户处名人"
UNITS = ("个百分点", "百分点", "平方公里", "平方米", "立方米", "公顷", "亩", "公里", "千米",
         "毫米", "厘米", "米", "吨", "公斤", "千克", "斤", "年")
COUNT = re.compile(
    rf"(?<![\d.〇零{_CN}第])(\d+(?:\.\d+)?|[{_CN}]+)\s*(万亿|亿|千万|百万|万)?(余|多)?"
    rf"({'|'.join(UNITS)}|[{CLASSIFIERS}])(左右|以上|以下|以内)?")
APPROX_BEFORE = re.compile(r"(?:约|近|大约)$")
# what a count counts: the words right after its measure word, up to a mark, a conjunction,
# 的 or a verb that starts the rest of the clause
COUNTED = re.compile(r"[\u4e00-\u9fff]{1,12}")
COUNTED_END = re.compile(r"[和及与或的]|开展|建设|实施|推进|进行|纳入|列入|完成|达到|联合|印发|"
                         r"形成|开工|参与|负责|作为|在|为|是|中")


def _cn_decimal(s: str) -> Decimal | None:
    try:
        return Decimal(str(cn2an.cn2an(s.replace("两", "二"), "smart")))
    except (ValueError, KeyError, InvalidOperation):
        return None


def _cn_number(s: str) -> Decimal | None:
    """'三十' → 30, '千亿' → 100000000000 (a leading 十/百/千 means one of it)."""
    return _cn_decimal(s) if not s.startswith(("十", "百", "千")) else \
        _cn_decimal(s) or _cn_decimal("一" + s)


def _counts(text: str, free) -> list[tuple[int, int, str, tuple, str | None]]:
    """(start, end, unit, (value, min, max), what it counts) of each count or measure in
    `text` not inside a span already read (`free`)."""
    out = []
    for m in COUNT.finditer(text):
        number, scale, more, unit, after = m.groups()
        if unit == "个百分点":
            unit = "百分点"  # 5个百分点: percentage points, not a count
        if not free(*m.span()) or text[m.start() - 1:m.start()] == "“":
            continue  # “四个全面”, “五位一体”: a slogan's number
        arabic = number[0].isdigit()
        if unit == "年" and ((arabic and len(number) > 2) or (not arabic and scale)):
            continue  # 2025年 is a date
        if not arabic and (number == "一" or (unit == "年" and len(number) > 3)):
            continue  # 一个, 一项: an article, not a count
        v = Decimal(number) if arabic else _cn_number(number)
        if v is None:
            continue
        v = v * SCALE[scale]
        v = v.quantize(Decimal(1)) if v == v.to_integral_value() else v.normalize()
        end = m.end()
        before = text[max(0, m.start() - 4):m.start()]
        if more or after == "以上" or AT_LEAST_BEFORE.search(before):
            vals = (None, v, None)
        elif after in ("以下", "以内") or AT_MOST_BEFORE.search(before):
            vals = (None, None, v)
        else:
            vals = (v, None, None)
        counted = None
        if unit in CLASSIFIERS and not after:
            w = COUNTED.match(text, end)
            if w:
                words = COUNTED_END.split(w.group(0), maxsplit=1)[0]
                counted = words or None
        out.append((m.start(), end, unit, vals, counted))
    return out


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
            taken.append(m.span())
    # money is read elsewhere (stated amounts, ranges above): a count never starts inside it
    taken += [m.span() for m in MONEY_RE.finditer(text)]
    # a text can hold thousands of numbers: "inside a span read?" by bisection over the spans
    # sorted by start, with the furthest end reached so far (a scan each time is quadratic)
    taken.sort()
    span_starts = [a for a, _ in taken]
    reach = list(itertools.accumulate((b for _, b in taken), max))

    def outside_taken(s: int, e: int) -> bool:
        i = bisect_left(span_starts, e) - 1
        return i < 0 or reach[i] <= s

    counts = _counts(text, outside_taken)
    found += [(s, e, unit, vals) for s, e, unit, vals, _c in counts]
    counted_by_span = {(s, e): counted for s, e, _u, _v, counted in counts}

    section_starts = [s for s, _ in starts]
    targets = {ctx.text.sentence_span(t.evidence[0].start): t for t in ctx.out.stated
               if t.kind == "target"}
    for s, e, unit, (value, low, high) in sorted(found):
        c0, c1 = clause_span(ctx, s, e)
        i = bisect_right(section_starts, s) - 1
        target = targets.get(ctx.text.sentence_span(s))
        counted = counted_by_span.get((s, e))
        # 72%左右, 10个左右, 约500亩: the value as written, marked approximate
        approximate = text.startswith("左右", e - 2) or text.startswith("左右", e) or \
            bool(APPROX_BEFORE.search(text[max(0, s - 2):s]))
        e += 2 if text.startswith("左右", e) else 0
        ctx.out.quantities.append(QuantityRecord(
            text=text[c0:c1].strip(), unit=unit, value=value, min_value=low, max_value=high,
            counted=counted, approximate=approximate,
            section=starts[i][1] if i >= 0 else None,
            target=(target.evidence[0].start, target.evidence[0].end) if target else None,
            evidence=[ctx.ev(s, e)]))

