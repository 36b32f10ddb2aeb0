"""Bodies written as a series of places sharing one suffix: 天津市、上海市、海南省、重庆市人民政府
names four people's governments, 四川省、重庆市发展改革委 two commissions. The matcher sees only
the last full name; each place before it, joined by 、, is a body too when the place with
that suffix is a body the index knows (so 各省、自治区、直辖市人民政府, a collective name of
its own, and places that are not followed by a body are left as they are)."""

from __future__ import annotations

from policykg.extract.context import Context


def org_series(ctx: Context) -> None:
    raw = ctx.raw
    # place mentions by start and by end (the longest one where several share a start)
    by_start: dict[int, int] = {}
    by_end: dict[int, int] = {}
    for s, e, _code in ctx.place_mentions:
        by_start[s] = max(by_start.get(s, s), e)
        by_end[e] = min(by_end.get(e, e), s)
    for s, e, _key in list(ctx.org_mentions):
        p_end = by_start.get(s)
        if p_end is None or p_end >= e:
            continue  # the body's name does not begin with a place
        suffix = raw[p_end:e]
        pos = s
        while pos > 0 and raw[pos - 1] == "、" and (ps := by_end.get(pos - 1)) is not None:
            entry = ctx.orgs.resolve(raw[ps:pos - 1] + suffix)
            if entry is None:
                break
            # written=None: the place's name alone is no alias of its government
            ctx.org(entry.key, None, ctx.ev(ps, pos - 1))
            ctx.org_mentions.append((ps, pos - 1, entry.key))
            pos = ps
