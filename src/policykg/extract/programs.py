"""Pilot zones and programmes, their participants and stated figures, events with
investment, and what a place explores."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import TypeVar

from policykg.extract.context import ALIAS_RE, Context
from policykg.extract.lists import match_item, split_enumeration
from policykg.extract.text import DATE_RE, MONEY_RE, NUM, date_from_match, money, to_int
from policykg.ids import short_hash, slug
from policykg.normalise import fold
from policykg.records import EventRecord, Explores, ProgramRecord, ZoneRecord

R = TypeVar("R", ZoneRecord, ProgramRecord)

ZONE_SUFFIX = ("试验区", "示范区", "先行区", "改革区")
PROGRAM_DOC = re.compile(r"^(?P<core>.+?(?:试点|试验区|示范区))(?:实施方案|工作方案|方案|意见)$")
ZONES_OF_PROGRAM = re.compile(
    rf"确定(?P<short>[^，,。；、]{{2,20}}?)等(?P<n>{NUM})个(?:片区|地区|城市|区域)作为"
    rf"(?P<prog>[^，,。；]{{2,30}}?(?:试验区|试点|示范区))")
CASES = re.compile(rf"(?:累计)?形成(?P<n>{NUM})个典型案例")
COUNTY_COUNT = re.compile(r"(\d+)个县[(（][市、区]+[)）]|(\d+)个县")
INCLUDING = re.compile(r"包括(?P<place>[^，,。；]{2,12}?)在内的")
SELECT = re.compile(rf"从(?P<n>{NUM})项(?P<noun>[^，,。；]{{1,10}}?)中选取(?P<k>{NUM})项")
EVENT = re.compile(
    r"召开(?P<name>[^，,。；]{2,24}?(?:动员会|推进会|现场会|工作会议|座谈会|会议|大会))")
PROJECTS = re.compile(r"开工(?P<n>\d+)个(?:重大|重点)?项目")
EXPLORES = re.compile(
    r"探索(?:推进|开展|实施)?(?P<enum>[^。；]{4,120}?)等(?:改革任务|改革事项|任务|改革)")


def read_aliases(text: str) -> dict[str, str]:
    """(以下简称“X”): X stands for the name just before it. Returns {short: full}."""
    aliases: dict[str, str] = {}
    for m in ALIAS_RE.finditer(text):
        short = m.group(1)
        seg = text[max(0, m.start() - 60):m.start()]
        full = re.split(r"[，,。；;：:\n）)]", seg)[-1]
        full = re.sub(r"^\d{4}年\d{1,2}月(\d{1,2}日)?", "", full)
        if full and short != full:
            aliases[short] = full
    return aliases


def _bare(name: str) -> str:
    """A name without punctuation or spaces: what its slug (pinyin) is made from."""
    return re.sub(r"[\W_]+", "", fold(name))


def _named(records: dict[str, R], label: str, make: Callable[[str, str], R]) -> R:
    """The zone or programme named `label`, made on first sight. Its IRI is the slug
    (pinyin) of its name, so one slug must be one record with one label: a name that
    differs from a known one only in punctuation (城）乡 beside 城乡: a stray bracket) is
    that record's alias; one that only sounds alike gets a key told apart by a hash."""
    if label in records:
        return records[label]
    bare = _bare(label)
    for r in records.values():
        if _bare(r.label) == bare:
            r.aliases.add(label)
            return r
    key = slug(label)
    if any(r.key == key for r in records.values()):
        key = f"{key}-{short_hash(bare, n=6)}"
    records[label] = made = make(key, label)
    return made


def zones(ctx: Context) -> None:
    for short, full in ctx.aliases.items():
        if full.endswith(ZONE_SUFFIX):
            z = _named(ctx.out.zones, full, lambda k, lb: ZoneRecord(key=k, label=lb))
            z.aliases.add(short)
            i = ctx.raw.find(full)
            z.evidence.append(ctx.ev(i, i + len(full)))
    for m in ZONES_OF_PROGRAM.finditer(ctx.raw):
        prog = m.group("prog")
        p = _named(ctx.out.programs, prog, lambda k, lb: ProgramRecord(key=k, label=lb))
        p.level = "national" if prog.startswith("国家") else p.level
        p.stated_participant_count = to_int(m.group("n"))
        ev = ctx.ev(m.start(), m.end())
        ctx.add_ev(p.evidence, ev)
        s0, s1 = ctx.text.sentence_span(m.start())
        cited = [c.cited for c in ctx.citations_in(s0, s1)]
        if cited:
            p.defined_in = cited[-1]
        for z in ctx.out.zones.values():
            if z.label == m.group("short") + prog or z.label.startswith(m.group("short")):
                z.aliases.add(m.group("short"))
                z.program = p.key
                z.established_by = p.defined_in
                ctx.add_ev(z.evidence, ctx.ev(m.start("short"), m.end("short")))
                p.participants.append((z.key, ev))
    for m in CASES.finditer(ctx.raw):
        z = _zone_near(ctx, m.start())
        if z:
            z.stated_case_count = to_int(m.group("n"))
            ctx.add_ev(z.evidence, ctx.ev(m.start(), m.end()))


def _zone_near(ctx: Context, pos: int) -> ZoneRecord | None:
    s0, s1 = ctx.text.sentence_span(pos)
    sent = ctx.raw[s0:s1]
    for z in ctx.out.zones.values():
        if any(n in sent for n in (z.label, *z.aliases)):
            return z
    return next(iter(ctx.out.zones.values())) if len(ctx.out.zones) == 1 else None


def programs(ctx: Context) -> None:
    """A cited 方案 whose subject is a 试点 defines a pilot programme; its participants
    and counts are read from the sentence that cites it."""
    scanned: set[str] = set()
    for c in ctx.out.citations:
        d = ctx.out.documents.get(c.cited)
        if d is None or not (m := PROGRAM_DOC.match(d.title)):
            continue
        core = m.group("core")
        if core in ctx.out.zones:
            continue  # the plan of a zone, not a programme
        label = core
        for _, _, code in ctx.places_in(c.evidence.start, c.evidence.end):
            dv = ctx.gz.by_code[code]
            if dv.level == "province" and label.startswith(dv.zh):
                label = label[len(dv.zh):]
        p = _named(ctx.out.programs, label,
                   lambda k, lb, doc=d.key: ProgramRecord(key=k, label=lb, defined_in=doc))
        if label != core and core != p.label:
            p.aliases.add(core)
        ctx.add_ev(p.evidence, c.evidence)
        s0, s1 = ctx.text.sentence_span(c.evidence.start)
        sent = ctx.raw[s0:s1]
        if "省级" in sent or label != core or any(
                ctx.orgs.entries[k].kind == "provincial" for k in d.issuers):
            p.level = p.level or "provincial"
        for inc in INCLUDING.finditer(ctx.raw, s0, s1):
            for ps, pe, code in ctx.places_in(inc.start("place"), inc.end("place")):
                p.participants.append((code, ctx.ev(ps, pe)))
        counts = [int(a or b) for a, b in COUNTY_COUNT.findall(sent)]
        if counts:
            p.stated_participant_count = sum(counts)
            if len(counts) > 1:
                p.participant_formula = "+".join(str(n) for n in counts)
        if sel := SELECT.search(sent):
            p.select_count = to_int(sel.group("k"))
            n = to_int(sel.group("n"))
            for lst in ctx.out.lists:
                if lst.stated_count == n and lst.item_class == "ReformItem" and \
                        lst.defined_in == d.key:
                    p.selects_from = lst.key
        # Later mentions by full label ("8+20"深化县域内…试点) add evidence: once per label,
        # not once per citation (a scan of the whole text each time)
        if label not in scanned:
            scanned.add(label)
            for mm in re.finditer(re.escape(label), ctx.raw):
                ctx.add_ev(p.evidence, ctx.ev(mm.start(), mm.end()))


def events(ctx: Context) -> None:
    for m in EVENT.finditer(ctx.raw):
        s0, s1 = ctx.text.sentence_span(m.start())
        sent = ctx.raw[s0:s1]
        dates = [d for d in DATE_RE.finditer(ctx.raw, s0, m.start()) if d.group(2)]
        pj = PROJECTS.search(sent)
        mo = MONEY_RE.search(sent)
        if not (dates or pj or mo):
            continue
        name = m.group("name")
        zone = next((z.key for z in ctx.out.zones.values()
                     if "试验区" in name and len(ctx.out.zones) == 1), None)
        ctx.out.events.append(EventRecord(
            key=slug(name) + "-" + str(m.start()), label=name,
            date=date_from_match(dates[-1]) if dates else None,
            stated_project_count=int(pj.group("n")) if pj else None,
            amount=money(mo) if mo else None, amount_text=mo.group(0) if mo else None,
            concerns=zone, evidence=[ctx.ev(s0, s1)]))


def explores(ctx: Context) -> None:
    """'推动什邡市探索推进A、B等改革任务' → 什邡市 explores the listed items A and B."""
    items = [(lst, it) for lst in ctx.out.lists if lst.item_class in ("ReformItem", "TrialTask")
             for it in lst.items]
    for m in EXPLORES.finditer(ctx.raw):
        before = ctx.raw[max(0, m.start() - 12):m.start()]
        places = ctx.places_in(m.start() - len(before), m.start())
        if not places:
            continue
        code = places[-1][2]
        start = m.start("enum")
        if ctx.raw[m.start():start].endswith(("推进", "开展", "实施")):
            start -= 2  # the verb is shared by every item: keep it on the first
        for part, p in split_enumeration(ctx, start, m.end("enum")):
            for lst, it in items:
                if match_item(part, [it]) is it:
                    ev = ctx.ev(p, p + len(part))
                    ctx.add_ev(it.evidence, ev)
                    ctx.out.explores.append(Explores(place=code, list_key=lst.key,
                                                     ordinal=it.ordinal, item_text=it.text,
                                                     evidence=ev))
                    break


def concerns(ctx: Context) -> None:
    """Bind each list to the zone or programme it belongs to."""
    by_doc = {p.defined_in: p for p in ctx.out.programs.values() if p.defined_in}
    lines = ctx.raw.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for lst in ctx.out.lists:
        if lst.item_class == "Section":
            continue  # a document's own structure concerns the document
        if lst.defined_in in by_doc and by_doc[lst.defined_in].label not in ZONE_SUFFIX:
            p = by_doc[lst.defined_in]
            if not p.label.endswith(ZONE_SUFFIX):
                lst.concerns = p.key
                continue
        if not lst.evidence:
            continue
        pos = lst.evidence[0].start
        i = bisect_right(starts, pos) - 1  # the line holding pos
        para = ctx.raw[starts[i]:starts[i + 1]]
        for z in ctx.out.zones.values():
            names = (z.label, *z.aliases)
            if any(n in para for n in names) or any(
                    fold(n) in fold(ctx.out.documents.get(lst.defined_in).title
                                    if lst.defined_in in ctx.out.documents else "")
                    for n in names):
                lst.concerns = z.key
                break
