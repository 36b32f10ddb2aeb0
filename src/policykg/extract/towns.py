"""Named towns (…镇, …乡, …街道): places below the county level, which the code table does
not cover, so they are kept without a code and linked to their county when the text writes
it in front (四川省大竹县石河镇, 忠县新生街道, and the towns listed after it: 、周家镇和庙坝镇).

A town must sit on word boundaries with its suffix starting a word of its own, and its name
must be no ordinary word: 乡镇, 城乡, 县乡, 特色镇, 中心镇, 村镇银行, 文明乡风, 人才入乡 are
words, not towns. A town written alone (在唐昌镇开展试点) needs a name that is not itself a
common word.
"""

from __future__ import annotations

import re

from policykg.extract.context import Context
from policykg.records import TownRecord
from policykg.segment import tokenizer

_NAME = r"([\u4e00-\u9fff]{1,4}?)(?:街道|镇|乡)"
SUFFIXES = ("街道", "镇", "乡")
PREPOSITIONS = "在对和与及从到以为把被将向由于是"
AFTER_COUNTY = re.compile(_NAME)  # right after the county, no gap
NEXT = re.compile(rf"[、和及与]{_NAME}")  # more towns listed after the first one
# Name slots that hold no name (各乡镇, 全镇, 特色小镇, 中心镇, 重点镇, 建制镇, 农村乡镇 …).
NOT_NAME = re.compile(r"^(?:[各全本该每其此所某县市区省乡镇村城]|特色|中心|重点|建制|小城|集"
                      r"|农村|城关)")
COMMON = 30  # jieba word frequency from which a string is an ordinary word


def _is_word(s: str) -> bool:
    return tokenizer().FREQ.get(s, 0) >= COMMON


def towns(ctx: Context) -> None:
    text = ctx.raw
    taken: list[tuple[int, int]] = []

    def add(s: int, e: int, county: str | None) -> None:
        name = text[s:e]
        rec = ctx.out.towns.setdefault(f"{county or ''}:{name}",
                                       TownRecord(name=name, county=county))
        rec.evidence.append(ctx.ev(s, e))
        taken.append((s, e))

    for _s, e, code in sorted(ctx.place_mentions):
        if ctx.gz.by_code[code].level != "county":
            continue
        m = AFTER_COUNTY.match(text, e)
        if not m or not _accept(ctx, m):
            continue
        add(m.start(1), m.end(), code)
        while (n := NEXT.match(text, m.end())) and _accept(ctx, n):
            add(n.start(1), n.end(), code)
            m = n
    for start, end in _alone(ctx):
        if any(a < end and start < b for a, b in taken):
            continue
        if ctx.places_in(start, end) or ctx.orgs_in(start, end):
            continue  # 长宁县 is a county; a body's name is not a town
        add(start, end, None)


def _alone(ctx: Context) -> list[tuple[int, int]]:
    """Towns written without a county: the word before a 镇/乡/街道 token (安仁|镇, or two
    single characters 唐|昌|镇), or one word that is name and suffix (石河镇)."""
    out = []
    tokens = ctx.seg.tokens
    for i, (s, e, tok) in enumerate(tokens):
        suffix = next((x for x in SUFFIXES if tok.endswith(x)), None)
        if suffix is None:
            continue
        if tok != suffix:
            start, name = s, tok[:-len(suffix)]
        elif i and len(tokens[i - 1][2]) in (2, 3):
            start, name = tokens[i - 1][0], tokens[i - 1][2]
        elif i > 1 and len(tokens[i - 1][2]) == 1 and len(tokens[i - 2][2]) == 1:
            start, name = tokens[i - 2][0], tokens[i - 2][2] + tokens[i - 1][2]
        else:
            continue
        if 2 <= len(name) <= 3 and not NOT_NAME.match(name) and name[0] not in PREPOSITIONS \
                and _alone_name(name) and not _is_word(name + suffix):
            out.append((start, e))
    return out


def _alone_name(name: str) -> bool:
    """A name written without its county: not a word, holding no word of two characters or
    more (发挥|县乡, 促进|城乡, 人才|入乡), not ending in a level word (县乡, 城镇)."""
    if _is_word(name) or name[-1] in "县市区省城乡镇村":
        return False
    return not any(len(w) > 1 and _is_word(w) for w in tokenizer().cut(name, HMM=False))


def _accept(ctx: Context, m: re.Match[str]) -> bool:
    start, end = m.start(1), m.end()
    if NOT_NAME.match(m.group(1)) or _is_word(ctx.raw[start:end]):
        return False
    # No word may run across the town's edges or between its name and suffix (人才|入乡,
    # 推进|乡村振兴), unless that word is the town itself.
    for b in (start, m.end(1), end):
        t = ctx.seg.token_across(b)
        if t is not None and not (t[0] >= start and t[1] <= end):
            return False
    return True
