"""Numbered and enumerated lists, bound to what they enumerate and where defined.

- `(1)…,(2)…` after a heading such as 《X》明确的16项具体改革事项: or “十大基础工程”:
- `一是…。二是…。` (measures)
- body enumerations `A、B、C等16项具体改革事项` / `A、B等5项试验任务`: linked to the full list
  when one states the same count of the same thing, else kept as a list that states
  more items than it shows (nothing is invented for the missing ones).
"""

from __future__ import annotations

import re

from policykg.extract.context import Context
from policykg.extract.text import DATE_RE, NUM, date_from_match, to_int
from policykg.normalise import fold
from policykg.records import ItemRecord, ListRecord

MARK = re.compile(r"[(（](\d{1,3})[)）]")
HEADING = re.compile(
    rf"^(?:\d+[.．、]\s*)?(?:《(?P<title>[^》]+)》)?(?:明确的|提出的|确定的|规定的|的)?"
    rf"[“\"]?(?P<count>{NUM})(?P<unit>项|个|大|条|类|方面)(?P<noun>[^“”\"：:]{{1,16}}?)[”\"]?[：:]?$")
SHI = re.compile(r"([一二三四五六七八九十]{1,3})是")
ENUM_TAIL = re.compile(
    rf"等[“\"]?(?P<count>{NUM})(?P<approx>余|多)?(?P<unit>项|个|大|条|类)"
    rf"(?P<noun>[^，,。；;、“”\"]{{1,10}}?)[”\"]?(?=[，,。；;在]|$|中|$)")
FRAME = re.compile(
    r"^.*?(?:赋予的|研究明确|谋划提出|明确的|提出的|确定的|明确|提出|包括|实施)")
SKIP_NOUNS = ("单位", "部门", "片区", "县", "市", "区", "城市", "省", "地区", "典型案例",
              "重大项目")


def item_class(noun: str) -> str | None:
    if any(w in noun for w in SKIP_NOUNS):
        return None
    if "试验任务" in noun or "试点任务" in noun:
        return "TrialTask"
    if noun.endswith("工程") or "项目" in noun:
        return "Project"
    if "改革" in noun or "事项" in noun or "任务" in noun:
        return "ReformItem"
    if any(w in noun for w in ("行动", "措施", "举措", "经验", "做法")):
        return "Measure"
    return None


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def match_item(mention: str, items: list[ItemRecord]) -> ItemRecord | None:
    """A body mention of a listed item: the same text, or the item's text with a short
    head noun dropped (天府水源 → 天府水源工程) or a shared leading verb dropped."""
    fm = fold(mention)
    for it in items:
        if fold(it.text) == fm:
            return it
    for it in items:
        t = fold(it.text)
        if t.startswith(fm) and len(fm) >= 2 and len(t) - len(fm) <= 3:
            return it
    for it in items:
        t = fold(it.text)
        if t.endswith(fm) and len(fm) >= 6 and len(t) - len(fm) <= 3:
            return it
    return None


def _run_from_one(marks: list[re.Match[str]]) -> list[re.Match[str]]:
    """The markers numbered 1, 2, 3 … in order (others skipped); [] unless at least two."""
    seq: list[re.Match[str]] = []
    for mk in marks:
        if to_int(mk.group(1)) == len(seq) + 1:
            seq.append(mk)
    return seq if len(seq) >= 2 else []


def numbered_lists(ctx: Context) -> None:
    text = ctx.raw
    pos = 0
    for line in text.split("\n"):
        base = pos
        pos += len(line) + 1
        seq = _run_from_one(list(MARK.finditer(line)))
        if not seq:
            continue
        head_text = line[:seq[0].start()].strip()
        h = HEADING.match(head_text)
        noun = h.group("noun") if h else head_text
        cls = item_class(noun) if h else None
        defined_in = ctx.out.document.key
        if h and h.group("title"):
            d = ctx.document(ctx.expand(h.group("title")))
            defined_in = d.key
            # the 《title》 here may be the only place the document is named: its evidence
            t0 = base + line.find(head_text) + h.start("title") - 1
            ctx.add_ev(d.evidence, ctx.ev(t0, t0 + len(h.group("title")) + 2))
        lst = ListRecord(key=f"L{len(ctx.out.lists) + 1}", item_class=cls or "Measure",
                         heading=head_text.rstrip("：:"), defined_in=defined_in,
                         stated_count=to_int(h.group("count")) if h else None)
        hs = base + line.find(head_text) if head_text else base + seq[0].start()
        lst.evidence.append(ctx.ev(hs, base + seq[0].start()) if head_text
                            else ctx.ev(base + seq[0].start(), base + seq[0].end()))
        for i, mk in enumerate(seq):
            end = seq[i + 1].start() if i + 1 < len(seq) else len(line)
            raw = line[mk.end():end]
            item = raw.rstrip("，,;；。、 ")
            if not item:
                continue
            s = base + mk.end()
            lst.items.append(ItemRecord(text=item, ordinal=int(mk.group(1)),
                                        evidence=[ctx.ev(s, s + len(item))]))
        ctx.out.lists.append(lst)


def shi_lists(ctx: Context) -> None:
    """一是…。二是…。 within one paragraph: measures with ordinals and deadlines."""
    text = ctx.raw
    pos = 0
    lines = text.split("\n")
    heading = ""
    for line in lines:
        base = pos
        pos += len(line) + 1
        if re.match(r"^[一二三四五六七八九十]+、", line):
            heading = line
        seq = _run_from_one([m for m in SHI.finditer(line)
                             if m.start() == 0 or line[m.start() - 1] in "。；;，,：:"])
        if not seq:
            continue
        lst = ListRecord(key=f"L{len(ctx.out.lists) + 1}", item_class="Measure",
                         heading=re.sub(r"^[一二三四五六七八九十]+、", "", heading) or line[:20],
                         defined_in=ctx.out.document.key)
        lst.evidence.append(ctx.ev(base + seq[0].start(), base + seq[0].end()))
        for i, mk in enumerate(seq):
            end = seq[i + 1].start() if i + 1 < len(seq) else len(line)
            body = line[mk.end():end]
            # the measure is the clause before 。/；, without an explanation tacked on
            label = re.split(r"[。；;]|[，,](?:主要是|即|包括|其中|也就是)", body, maxsplit=1)[0]
            s = base + mk.end()
            ordinal = i + 1
            lst.items.append(ItemRecord(text=label, ordinal=ordinal,
                                        evidence=[ctx.ev(s, s + len(label))]))
            d = re.search(r"(?:确保|力争|到|争取)(\d{4}年(?:\d{1,2}月)?(?:底|前|年底)?)", body)
            if d and (dm := DATE_RE.search(d.group(1))):
                lst.deadlines[ordinal] = date_from_match(dm)
        ctx.out.lists.append(lst)


def _find_list(by_count: dict[tuple[str, int], list[ListRecord]], cls: str, count: int | None,
               noun: str) -> ListRecord | None:
    """The first list of this class stating this count whose heading holds the noun.
    `by_count` holds the lists by (class, stated count): looking through every list for
    every enumeration made a document with thousands of them quadratic."""
    if count is None:
        return None
    for lst in by_count.get((cls, count), ()):
        if _is_subsequence(fold(noun), fold(lst.heading)):
            return lst
    return None


def split_enumeration(ctx: Context, start: int, end: int) -> list[tuple[str, int]]:
    """'围绕国家赋予的A、B' → [(A, offset), (B, offset)]; the frame before A is dropped."""
    seg = ctx.raw[start:end]
    first_sep = seg.find("、")
    f = FRAME.match(seg)
    if f and (first_sep < 0 or f.end() < first_sep):
        cut = f.end()
    else:
        cut = 0
    out = []
    pos = start + cut
    for part in ctx.raw[start + cut:end].split("、"):
        if part.strip():
            out.append((part.strip(), pos + (len(part) - len(part.lstrip()))))
        pos += len(part) + 1
    return out


def enumerations(ctx: Context) -> None:
    text = ctx.raw
    by_count: dict[tuple[str, int], list[ListRecord]] = {}
    for lst in ctx.out.lists:
        if lst.stated_count is not None:
            by_count.setdefault((lst.item_class, lst.stated_count), []).append(lst)
    for m in ENUM_TAIL.finditer(text):
        noun = m.group("noun")
        cls = item_class(noun)
        if cls is None:
            continue
        s0, _ = ctx.text.sentence_span(m.start())
        seg = text[s0:m.start()]
        cut = max((x.end() for x in re.finditer(r"[，,。；;：:]", seg)), default=0)
        parts = split_enumeration(ctx, s0 + cut, m.start())
        if not parts:
            continue
        count = to_int(m.group("count"))
        approx = m.group("approx")
        ev_list = ctx.ev(m.start() + 1, m.end())
        target = None if approx else _find_list(by_count, cls, count, noun)
        if target is None:
            target = ListRecord(
                key=f"L{len(ctx.out.lists) + 1}", item_class=cls,
                heading=text[m.start() + 1:m.end()].strip("“”\""),
                defined_in=_defining_doc(ctx, m.start()),
                stated_count=None if approx else count,
                stated_count_text=m.group("count") + approx + m.group("unit") if approx else None)
            target.evidence.append(ev_list)
            ctx.out.lists.append(target)
            if target.stated_count is not None:
                by_count.setdefault((cls, target.stated_count), []).append(target)
            for part, p in parts:
                target.items.append(ItemRecord(text=part, ordinal=None,
                                               evidence=[ctx.ev(p, p + len(part))]))
        else:
            target.evidence.append(ev_list)
            for part, p in parts:
                it = match_item(part, target.items)
                if it is not None:
                    ctx.add_ev(it.evidence, ctx.ev(p, p + len(part)))


def _defining_doc(ctx: Context, pos: int) -> str:
    """The one document cited in the sentence, else the document being read."""
    s0, s1 = ctx.text.sentence_span(pos)
    cited = {c.cited for c in ctx.citations_in(s0, s1)}
    return cited.pop() if len(cited) == 1 else ctx.out.document.key
