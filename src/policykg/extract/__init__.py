"""Extraction: normalised text → typed records (no RDF). `extract` runs the readers in
an order where each can use what the earlier ones found."""

from __future__ import annotations

from policykg.extract import (
    attachments,
    citations,
    lists,
    org_series,
    programs,
    quantities,
    responsible,
    sections,
    tables,
    towns,
)
from policykg.extract.context import Context
from policykg.extract.metadata import Head, read_head
from policykg.extract.orgs import build_org_index
from policykg.extract.places import find_places, find_regions, main_province
from policykg.extract.text import Text
from policykg.gazetteer import load_gazetteer, load_regions
from policykg.ids import document_key
from policykg.normalise import Normalised
from policykg.records import DocumentRecord, Extraction, RegionRecord
from policykg.segment import Segmentation
from policykg.termbase import load_termbase


def extract(norm: Normalised) -> Extraction:
    text = Text(norm.text)
    seg = Segmentation(norm.text)
    head = read_head(norm)
    gz, tb = load_gazetteer(), load_termbase()
    province = main_province(norm.text, seg, head.issuer_names)
    doc = DocumentRecord(key=document_key(head.title, head.number), title=head.title,
                         primary=True, number=head.number, genre=head.genre,
                         issued=head.issued, posted=head.posted, editor=head.editor,
                         abridged=head.abridged)
    out = Extraction(document=doc, source=norm.source, content_hash=norm.content_hash,
                     text=norm.text)
    # aliases the text defines (以下简称) are names of bodies too: read them first
    aliases = programs.read_aliases(norm.text)
    ctx = Context(text=text, seg=seg, orgs=build_org_index(tb, gz, province, aliases), gz=gz,
                  province=province, out=out, aliases=aliases)

    for m in ctx.orgs.find(norm.text, seg):
        ctx.org_mentions.append((m.start, m.end, m.payload))
        ctx.org(m.payload, m.name, text.evidence(m.start, m.end))
    for m, d in find_places(norm.text, seg, province, gz):
        ctx.place_mentions.append((m.start, m.end, d.code))
        ctx.place(d.code, m.name, text.evidence(m.start, m.end))

    regions = load_regions()
    for m in find_regions(norm.text, seg):
        r = regions[m.payload]
        rec = out.regions.setdefault(r.zh, RegionRecord(
            r.zh, r.en, "official" if r.en_source == "official" else "curated", r.members))
        rec.evidence.append(text.evidence(m.start, m.end))
    org_series.org_series(ctx)
    towns.towns(ctx)
    _head_facts(ctx, head)
    head_end = max((sp[1] for sp in (head.title_span, head.number_span, head.addressee_span)
                    if sp), default=0)
    attachments.attachments(ctx, head_end)
    citations.read_proposal(ctx)
    citations.extract_citations(ctx)
    lists.numbered_lists(ctx)
    tables.tables(ctx)
    programs.zones(ctx)
    citations.link_unbracketed(ctx)
    lists.shi_lists(ctx)
    lists.enumerations(ctx)
    programs.programs(ctx)
    programs.events(ctx)
    programs.explores(ctx)
    programs.concerns(ctx)
    starts = sections.sections(ctx)
    sections.grouped_items(ctx)
    sections.stated(ctx, starts)
    responsible.responsibilities(ctx, starts)
    quantities.quantities(ctx, starts)
    attachments.assign_parts(ctx)
    return out


def _head_facts(ctx: Context, head: Head) -> None:
    doc = ctx.out.document
    if head.title_span:
        doc.evidence.append(ctx.ev(*head.title_span))
    for sp in (head.number_span, head.issued_span):
        if sp:
            doc.evidence.append(ctx.ev(*sp))
    t0 = head.title_span[0] if head.title_span else None
    for name in head.issuer_names:
        e = ctx.orgs.resolve(name)
        if e is None:
            continue
        ev = None
        if t0 is not None and (i := head.title.find(name)) >= 0:
            ev = ctx.ev(t0 + i, t0 + i + len(name))
        elif head.signature_span and (i := ctx.raw.find(name, *head.signature_span)) >= 0:
            ev = ctx.ev(i, i + len(name))
        doc.issuers.append(ctx.org(e.key, name, ev))
    if head.publisher_name and (e := ctx.orgs.resolve(head.publisher_name)):
        ev = ctx.ev(*head.publisher_span) if head.publisher_span else None
        doc.publisher = ctx.org(e.key, head.publisher_name, ev)
    if head.addressee_span:
        s, e_ = head.addressee_span
        for _ms, me, key in ctx.orgs_in(s, e_):
            if ctx.raw.startswith("各", me):
                continue  # 国务院各部委, 市委各部委: the bodies under it, not the body itself
            if key not in doc.addressees:
                doc.addressees.append(key)
    if head.editor_span:
        doc.evidence.append(ctx.ev(*head.editor_span))

