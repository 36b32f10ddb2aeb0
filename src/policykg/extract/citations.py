"""Cited documents: 《…》 titles and bare document numbers, with the issuers and date
read from the same clause, aliases (以下简称《决定》), and legal basis (根据/按照/贯彻)."""

from __future__ import annotations

import re

from policykg.extract.context import Context
from policykg.extract.metadata import DOCNO_RE, PROPOSAL_RE, genre_of, issuers_in_title
from policykg.extract.orgs import ORG_SUFFIX
from policykg.extract.text import DATE_RE, NUM, date_from_match, to_int
from policykg.ids import slug
from policykg.normalise import fold
from policykg.records import Citation, ProposalRecord
from policykg.termbase import OrgEntry

TITLE_RE = re.compile(r"《([^《》\n]{2,120})》")
ISSUE_VERB = re.compile(r"(?:联合)?(?:印发|发布|出台|制定|下发|颁布)(?:实施|了)?$")
BASIS = re.compile(r"(根据|按照|依据|依照|贯彻|落实|遵照)[^，,。；]{0,6}$")
GROUP_COUNT = re.compile(rf"等({NUM})个(单位|部门|部委|机构)")
CLAUSE_START = re.compile(r"[，,。；;：:\n]")
TRAILING = re.compile(r"[(（]([^()（）]{0,40})[)）]")


def _clause_before(ctx: Context, pos: int) -> tuple[int, str]:
    s0, _ = ctx.text.sentence_span(pos)
    seg = ctx.raw[s0:pos]
    cut = max((m.end() for m in CLAUSE_START.finditer(seg)), default=0)
    return s0 + cut, seg[cut:]


def _issuers(ctx: Context, start: int, end: int) -> list[str]:
    """Organisations named in [start, end); unknown bodies in a 、-list are added."""
    keys: list[str] = []
    known = ctx.orgs_in(start, end)
    for _s, _e, key in known:
        if key not in keys:
            keys.append(key)
    # Bodies the termbase lacks: the 、-separated parts not covered by a known name.
    body = ctx.raw[start:end]
    body = GROUP_COUNT.split(body)[0]
    pos = start
    for part in re.split(r"([、和及])", body):
        p0, p1 = pos, pos + len(part)
        pos = p1
        part = part.strip()
        if len(part) < 2 or part in "、和及" or any(s < p1 and e > p0 for s, e, _ in known):
            continue
        if ORG_SUFFIX.search(part) and not re.search(r"[0-9，,。]", part):
            key = "x-" + slug(part)
            if key not in ctx.orgs.entries:
                ctx.orgs.entries[key] = OrgEntry(key=key, zh=part, en="", en_source="")
            ctx.org(key, part, ctx.ev(p0, p1))
            ctx.org_mentions.append((p0, p1, key))
            keys.append(key)
    return keys


COLLECTIVE = re.compile(r"以下(?:统称|合称)为?$")


def extract_citations(ctx: Context) -> None:
    doc = ctx.out.document
    text = ctx.raw
    # 《A》、《B》（以下统称《方案》）: the name stands for every title before it in its
    # sentence; it is no document of its own, and a later 《方案》 cites each of them
    collective: dict[str, list[str]] = {}
    for m in TITLE_RE.finditer(text):
        title = m.group(1).strip()
        if COLLECTIVE.search(text[max(0, m.start() - 6):m.start()]):
            s0, _ = ctx.text.sentence_span(m.start())
            collective[fold(title)] = list(dict.fromkeys(
                c.cited for c in ctx.citations_in(s0, m.start()) if c.citing == doc.key))
            continue
        if fold(title) in collective:
            ev = ctx.ev(m.start(), m.end())
            for key in collective[fold(title)]:
                ctx.out.citations.append(Citation(citing=doc.key, cited=key,
                                                  legal_basis=False, evidence=ev))
            continue
        after = text[m.end():m.end() + 60]
        tail = TRAILING.match(after)
        ev = ctx.ev(m.start(), m.end())
        # The proposal being answered: 《…提案》(第03906号)
        if ctx.out.proposal and tail and re.fullmatch(r"第?\d+号", tail.group(1)) \
                and title.endswith(("提案", "建议")):
            ctx.out.proposal.title = title
            ctx.out.proposal.evidence.append(ev)
            continue
        if fold(title) in {fold(a) for a in ctx.aliases} and ctx.aliases.get(title):
            title = ctx.aliases[title]
        if fold(title) == fold(doc.title):
            continue
        number = None
        if tail and (n := DOCNO_RE.search(tail.group(1))):
            number = n.group(0)
        cited = ctx.document(title, number)
        cited.genre = cited.genre or genre_of(title)
        ctx.add_ev(cited.evidence, ev)
        if tail and (a := re.search(r"以下简称《([^》]+)》", tail.group(1))):
            ctx.document_alias(cited, a.group(1))
            ctx.aliases[a.group(1)] = cited.title
        # Issuers and date written in the clause before the title.
        cstart, clause = _clause_before(ctx, m.start())
        if ISSUE_VERB.search(clause) and not cited.issuers:
            keys = _issuers(ctx, cstart, m.start())
            cited.issuers = keys
            if g := GROUP_COUNT.search(clause):
                cited.stated_issuer_count = to_int(g.group(1))
            s0, _ = ctx.text.sentence_span(m.start())
            dates = list(DATE_RE.finditer(text, s0, cstart))
            if dates and dates[-1].group(2) and cited.issued is None:
                cited.issued = date_from_match(dates[-1])
        if not cited.issuers:
            for name in issuers_in_title(title):
                e = ctx.orgs.resolve(name)
                if e:
                    cited.issuers.append(ctx.org(e.key, name, ev))
        ctx.out.citations.append(Citation(citing=doc.key, cited=cited.key,
                                          legal_basis=bool(BASIS.search(clause)), evidence=ev))
    _bare_numbers(ctx)


def _bare_numbers(ctx: Context) -> None:
    """Document numbers written without a title (国发〔2004〕20号) outside 《…》(…)."""
    doc = ctx.out.document
    # the document's own number and those already read, in the form their IRIs are made
    # from: a number garbled elsewhere (国《办发…) still names the same document
    known = {slug(d.number) for d in (doc, *ctx.out.documents.values()) if d.number}
    for m in DOCNO_RE.finditer(ctx.raw):
        number = m.group(0)
        if slug(number) in known:
            continue
        # Inside a title's bracket the number has been read with the title.
        if re.search(r"》[(（][^)）]*$", ctx.raw[max(0, m.start() - 40):m.start()]):
            continue
        cited = ctx.document(number, number)
        known.add(slug(number))
        ev = ctx.ev(m.start(), m.end())
        cited.evidence.append(ev)
        ctx.out.citations.append(Citation(citing=doc.key, cited=cited.key, legal_basis=False,
                                          evidence=ev))


UNBRACKETED = re.compile(
    r"(?:印发|发布|出台)(?:实施)?(?!《)"
    r"([^，,。；、《]{2,40}?(?:实施方案|工作方案|方案|意见))")


def link_unbracketed(ctx: Context) -> None:
    """'印发四川试验区实施方案': a known document written through an alias (四川试验区 →
    its full name) without 《》. Only documents already cited are linked; no new ones."""
    for m in UNBRACKETED.finditer(ctx.raw):
        written = m.group(1)
        full = ctx.expand(written)
        known = [d for d in ctx.out.documents.values() if fold(d.title) == fold(full)]
        if not known:
            continue
        d = known[0]
        ev = ctx.ev(m.start(1), m.end(1))
        if written != d.title:
            ctx.document_alias(d, written)
        ctx.add_ev(d.evidence, ev)
        cstart, _clause = _clause_before(ctx, m.start())
        if not d.issuers:
            d.issuers = _issuers(ctx, cstart, m.start())
        s0, _ = ctx.text.sentence_span(m.start())
        dates = list(DATE_RE.finditer(ctx.raw, s0, m.start()))
        if dates and dates[-1].group(2) and d.issued is None:
            d.issued = date_from_match(dates[-1])
        ctx.out.citations.append(Citation(citing=ctx.out.document.key, cited=d.key,
                                          legal_basis=False, evidence=ev))


def read_proposal(ctx: Context) -> None:
    m = PROPOSAL_RE.search(ctx.out.document.title)
    if not m:
        return
    session = m.group("session")
    body = re.sub(r"第?[一二三四五六七八九十]{1,3}次会议$", "", session)
    key = "x-" + slug(body)
    # 政协十四届全国委员会 is 政协第十四届全国委员会
    entry = ctx.orgs.resolve(body) or ctx.orgs.resolve(
        re.sub(r"^(政协|全国政协)?(?=[一二三四五六七八九十]+届)", r"\1第", body))
    if entry is None:
        ctx.orgs.entries.setdefault(key, OrgEntry(key=key, zh=body, en="", en_source=""))
    tstart = ctx.raw.find(ctx.out.document.title)
    ev = ctx.ev(tstart + m.start(), tstart + m.end()) if tstart >= 0 else None
    org_key = ctx.org(entry.key if entry else key, body, ev)
    ctx.out.proposal = ProposalRecord(number=m.group("number"), title=None,
                                      category_number=m.group("category"), session=session,
                                      submitted_to=org_key, evidence=[ev] if ev else [],
                                      kind=m.group("kind"))
    # its title written without 《》: 您提出的关于…的建议收悉 (a 《…》(第N号) title is read
    # with the citations)
    if t := PROPOSAL_TITLE.search(ctx.raw):
        ctx.out.proposal.title = t.group(1)
        ctx.out.proposal.evidence.append(ctx.ev(*t.span(1)))


PROPOSAL_TITLE = re.compile(
    r"(?:您|你们|你|贵单位)(?:提出|所提)的(关于[^，,。；《》\n]{2,80}的(?:建议|提案))收悉")
