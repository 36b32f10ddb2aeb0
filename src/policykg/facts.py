"""A flat, readable view of an extraction: one row a fact, with where it was read."""

from __future__ import annotations

from collections.abc import Iterator

from policykg.records import Evidence, Extraction


def _where(evs: list[Evidence]) -> str:
    if not evs:
        return "(gazetteer)"
    e = min(evs)
    more = f" +{len(evs) - 1}" if len(evs) > 1 else ""
    return f"[{e.start}:{e.end}] {e.quote[:40]}{more}"


def fact_rows(ex: Extraction) -> Iterator[tuple[str, str, str]]:
    d = ex.document
    yield "document", d.title, _where(d.evidence[:1])
    if d.number:
        yield "number", d.number, ""
    if d.genre:
        yield "genre", d.genre, ""
    if d.issued:
        yield "issued", d.issued.value, ""
    for k in d.issuers:
        yield "issued by", ex.orgs[k].zh, _where(ex.orgs[k].evidence)
    if d.publisher:
        yield "published by", ex.orgs[d.publisher].zh, _where(ex.orgs[d.publisher].evidence)
    if d.editor:
        yield "editor", d.editor, ""
    if ex.proposal:
        p = ex.proposal
        yield "answers proposal", f"{p.number} {p.category_number} {p.title}", _where(p.evidence)
    cited: dict[tuple[str, bool], list[Evidence]] = {}
    for c in ex.citations:
        cited.setdefault((c.cited, c.legal_basis), []).append(c.evidence)
    for (key, basis), evs in cited.items():
        cd = ex.documents[key]
        extra = f" ({cd.issued.value})" if cd.issued else ""
        yield "legal basis" if basis else "cites", cd.title + extra, _where(evs)
    for o in sorted(ex.orgs.values(), key=lambda o: o.key):
        yield "organisation", f"{o.zh} / {o.en}", _where(o.evidence)
    for code, p in sorted(ex.places.items()):
        yield "place", f"{code} {'/'.join(sorted(p.written))}", _where(p.evidence)
    for z in ex.zones.values():
        yield "pilot zone", z.label, _where(z.evidence)
    for pr in ex.programs.values():
        n = pr.stated_participant_count
        yield "programme", pr.label + (f" ({n} participants)" if n else ""), _where(pr.evidence)
    for lst in ex.lists:
        n = lst.stated_count or lst.stated_count_text or "?"
        yield f"list of {lst.item_class}", f"{lst.heading} (states {n}, lists {len(lst.items)})", \
            _where(lst.evidence)
        for it in lst.items:
            yield f"  {it.ordinal or '-'}", it.text, _where(it.evidence)
    for e in ex.events:
        yield "event", f"{e.label} {e.date.value if e.date else ''} {e.amount_text or ''}", \
            _where(e.evidence)
    for x in ex.explores:
        yield "explores", f"{x.place} → {x.item_text}", _where([x.evidence])
