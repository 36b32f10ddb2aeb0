"""Content negotiation (RFC 9110 §12.5.1): reading an Accept header and choosing among the
media types offered.

An Accept header is read once into a list of (media range, q) pairs, the form that can also
be built by hand (from a `format=` parameter, say) or sent to another process. The q given
to a type is that of the most specific range covering it, so `text/*;q=0.2, text/csv;q=0`
refuses CSV but accepts other text; the best q wins, the first offered type among equals.

Plain Python (no web framework), so that query workers can use it as well."""

from __future__ import annotations

Accept = list[tuple[str, float]]


def parse_accept(header: str | None) -> Accept:
    """'text/csv;q=0.5, application/json' → [('text/csv', 0.5), ('application/json', 1.0)].

    In the header's order, lower-cased, q clamped to 0..1 (an unreadable q is 0; q=0 ranges
    are kept: they refuse a type); `*` stands for `*/*`; no header means `*/*`."""
    out = []
    for part in (header or "*/*").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            media = "*/*" if media == "*" else ""
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = min(max(float(f[2:]), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        out.append((media, q))
    return out


def quality(media: str, accept: Accept, wildcard: bool = True) -> float:
    """The q the client gives `media`: that of the most specific range matching it. Without
    `wildcard`, `*/*` does not count (to see whether a type is asked for by name)."""
    major, minor = media.split("/", 1)
    best, specificity = 0.0, -1
    for media_range, q in accept:
        r_major, r_minor = media_range.split("/", 1)
        if (r_major, r_minor) == (major, minor):
            s = 2
        elif r_major == major and r_minor == "*":
            s = 1
        elif r_major == "*" and wildcard:
            s = 0
        else:
            continue
        if s > specificity:
            best, specificity = q, s
    return best


def choose(accept: Accept, offered: list[str]) -> str | None:
    """The offered type with the highest q (first offered wins ties), None if none fits."""
    best, best_q = None, 0.0
    for media in offered:
        q = quality(media, accept)
        if q > best_q:
            best, best_q = media, q
    return best


def negotiate(header: str | None, offered: list[str]) -> str | None:
    """`choose` for an Accept header as sent."""
    return choose(parse_accept(header), offered)

