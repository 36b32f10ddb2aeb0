"""The numbered structure of a document: 一、 → （一） → 1. → （1） headings, read as
lists of sections with their parents, and the dated targets and amounts stated inside them.

Numbering that restarts at one starts a new list; numbering that carries on across parent
headings (（一）…（三十） through six parts) stays one list."""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right

from policykg.extract.context import Context
from policykg.extract.lists import item_class
from policykg.extract.text import MAX_SENTENCE, MONEY_RANGE_RE, MONEY_RE, NUM, money, to_int
from policykg.records import DateValue, ItemRecord, ListRecord, StatedRecord

_CN = "一二三四五六七八九十"
LEVELS = [
    re.compile(rf"^([{_CN}]{{1,3}})、(.+)$"),
    re.compile(rf"^[（(]([{_CN}]{{1,3}})[）)](.+)$"),
    re.compile(r"^(\d{1,2})[.．、](?!\d)(.+)$"),
    re.compile(r"^[（(](\d{1,2})[）)](.+)$"),
]
INLINE_LIST = re.compile(r"[(（]1[)）].*[(（]2[)）]")
HEAD_END = re.compile(r"[。：:；;]")
TARGETS = [
    (re.compile(r"(\d{4})年(\d{1,2})月(?:底|末)?前"), "month"),
    (re.compile(r"到(\d{4})年(?:底|末)?"), "year"),
    (re.compile(r"(\d{4})年(?:上半年|下半年|底前|年底前|前|及今后)"), "year"),
]


def sections(ctx: Context) -> list[tuple[int, tuple[str, int]]]:
    """Add the section lists; return (start offset, (list key, ordinal)) of every section,
    in text order, for placing targets and amounts."""
    starts: list[tuple[int, tuple[str, int]]] = []
    current: dict[int, ListRecord] = {}  # level → list being filled
    last: dict[int, tuple[str, int]] = {}  # level → the latest section at that level
    headings: dict[tuple[str, int], str] = {}  # (list key, ordinal) → heading
    pos = 0
    for line in ctx.raw.split("\n"):
        base = pos
        pos += len(line) + 1
        found = _heading_line(line)
        if found is None:
            continue
        level, m = found
        n, rest = to_int(m.group(1)), m.group(2)
        if n is None or INLINE_LIST.search(rest):
            continue  # a heading of an inline (1)(2) list is read by the list reader
        head = _head(rest)
        if not head:
            continue
        lst = current.get(level)
        if lst is None or n == 1 or not lst.items or n <= (lst.items[-1].ordinal or 0):
            parent = next((last[k] for k in range(level - 1, -1, -1) if k in last), None)
            heading = headings[parent] if parent else "正文"
            lst = ListRecord(key=f"L{len(ctx.out.lists) + 1}", item_class="Section",
                             heading=heading, defined_in=ctx.out.document.key)
            lst.evidence.append(ctx.ev(base, base + m.start(2)))
            ctx.out.lists.append(lst)
            current[level] = lst
        parent = next((last[k] for k in range(level - 1, -1, -1) if k in last), None)
        s = base + m.start(2)
        lst.items.append(ItemRecord(text=head, ordinal=n, evidence=[ctx.ev(s, s + len(head))],
                                    within=parent))
        last[level] = (lst.key, n)
        headings.setdefault((lst.key, n), head)
        for deeper in [k for k in last if k > level]:
            del last[deeper]
        starts.append((base, (lst.key, n)))
    return starts


GROUPED = re.compile(rf"^(?P<noun>.+?)[（(]共(?P<n>{NUM})项[)）]$")


def grouped_items(ctx: Context) -> None:
    """'一、推广的改革举措（共23项）' whose sub-sections list items after a colon, split by
    ；('（一）知识产权保护方面5项：A；B；…'): one list of all those items, with the stated
    total beside what is listed."""
    section_lists = [x for x in ctx.out.lists if x.item_class == "Section"]
    for parent_list in section_lists:
        for parent in parent_list.items:
            g = GROUPED.match(parent.text)
            if not g:
                continue
            cls = item_class(g.group("noun")) or "Measure"
            lst = ListRecord(key=f"L{len(ctx.out.lists) + 1}", item_class=cls,
                             heading=parent.text, defined_in=ctx.out.document.key,
                             stated_count=to_int(g.group("n")), evidence=list(parent.evidence))
            for child_list in section_lists:
                for child in child_list.items:
                    if child.within != (parent_list.key, parent.ordinal):
                        continue
                    start = child.evidence[0].start
                    line_end = ctx.raw.find("\n", start)
                    line = ctx.raw[start:line_end if line_end >= 0 else len(ctx.raw)]
                    colon = re.search(r"[：:]", line)
                    if not colon:
                        continue
                    pos = start + colon.end()
                    for part in re.split(r"[；;]", line[colon.end():]):
                        text = part.strip().rstrip("。")
                        if text:
                            s0 = pos + part.index(text)
                            lst.items.append(ItemRecord(text=text, ordinal=None,
                                                        evidence=[ctx.ev(s0, s0 + len(text))]))
                        pos += len(part) + 1
            if lst.items:
                ctx.out.lists.append(lst)


MAX_HEAD = 80
CLAUSE = re.compile(r"[，,]")


def _head(rest: str) -> str:
    """A section's heading: what comes before the first 。：；. A paragraph-style item
    ('二、试点工作要以…为指导，全面贯彻…，坚持…。') whose first sentence is longer than a
    heading is named by its leading clauses, as many as fit in MAX_HEAD characters (at
    least the first, cut there if it alone is longer): the section is there all the same,
    and leaving it out would leave a gap in the numbering."""
    head = HEAD_END.split(rest, maxsplit=1)[0].strip()
    if len(head) <= MAX_HEAD:
        return head
    out = ""
    for m in CLAUSE.finditer(head):
        if m.start() > MAX_HEAD:
            break
        out = head[:m.start()]
    return (out or head[:MAX_HEAD]).strip()


def _heading_line(line: str) -> tuple[int, re.Match[str]] | None:
    """(level, match) of a numbered heading line, the outermost level first."""
    for level, pattern in enumerate(LEVELS):
        if m := pattern.match(line):
            return level, m
    return None


def _section_at(starts: list[tuple[int, tuple[str, int]]], offsets: list[int],
                offset: int) -> tuple[str, int] | None:
    """The section holding `offset`; `offsets` are the starts' offsets, made once."""
    i = bisect_right(offsets, offset) - 1
    return starts[i][1] if i >= 0 else None


def clause_span(ctx: Context, start: int, end: int) -> tuple[int, int]:
    """The clause around [start, end): between the nearest ，。； on either side, looked
    for within MAX_SENTENCE characters (a search to the ends of the text for each amount
    made a text without these marks quadratic)."""
    text = ctx.raw
    lo, hi = max(0, start - MAX_SENTENCE), min(len(text), end + MAX_SENTENCE)
    s0 = max(lo - 1, *(text.rfind(c, lo, start) for c in "，,。；;\n")) + 1
    ends = [i for i in (text.find(c, end, hi) for c in "，,。；;\n") if i >= 0]
    return s0, min(ends) if ends else hi


def stated(ctx: Context, starts: list[tuple[int, tuple[str, int]]]) -> None:
    """Dated targets (到2020年, 2019年6月底前, 2019年上半年) and amounts (5亿元) not already
    read as an event's figures."""
    # an amount inside an event's sentence is the event's: the events' spans sorted by
    # start, with the furthest end reached so far, answer "inside any?" by bisection
    spans = sorted((e.evidence[0].start, e.evidence[0].end) for e in ctx.out.events)
    span_starts = [a for a, _ in spans]
    reach = list(itertools.accumulate((b for _, b in spans), max))
    offsets = [s for s, _ in starts]

    def in_event(pos: int) -> bool:
        i = bisect_right(span_starts, pos) - 1
        return i >= 0 and reach[i] > pos

    seen: set[int] = set()
    for pattern, precision in TARGETS:
        for m in pattern.finditer(ctx.raw):
            if m.start() in seen:
                continue
            seen.add(m.start())
            y = int(m.group(1))
            value = (DateValue(f"{y:04d}-{int(m.group(2)):02d}", "month")
                     if precision == "month" else DateValue(f"{y:04d}", "year"))
            s0, s1 = ctx.text.sentence_span(m.start())
            label = ctx.raw[m.start():s1].strip("，,。；; ")[:80]
            ctx.out.stated.append(StatedRecord(
                kind="target", text=label, deadline=value,
                section=_section_at(starts, offsets, s0),
                evidence=[ctx.ev(m.start(), m.end())]))
    # money ranges (1000万—2000万元) are quantities; their ends are not amounts. finditer
    # gives them in order and apart, so "inside one?" is a bisection too
    ranges = [m.span() for m in MONEY_RANGE_RE.finditer(ctx.raw)]
    range_starts = [a for a, _ in ranges]

    def in_range(pos: int) -> bool:
        i = bisect_right(range_starts, pos) - 1
        return i >= 0 and ranges[i][1] > pos

    for m in MONEY_RE.finditer(ctx.raw):
        if in_event(m.start()) or in_range(m.start()):
            continue  # an event's figure, or the end of a range (a quantity)
        c0, c1 = clause_span(ctx, m.start(), m.end())
        ctx.out.stated.append(StatedRecord(
            kind="amount", text=ctx.raw[c0:c1].strip(), amount=money(m),
            section=_section_at(starts, offsets, m.start()),
            evidence=[ctx.ev(m.start(), m.end())]))
