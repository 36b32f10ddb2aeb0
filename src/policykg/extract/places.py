"""Places: gazetteer names found on word boundaries, resolved to one division.

Counties are matched by full name only (short county names such as 平安, 资源, 长宁 are
ordinary words) — except right before a facility named after the place (康定机场, 泸州港,
万州大桥), where the short name can only be the place. A name shared by several divisions is
resolved to the province when one of them is a province, else to the one inside the
document's province, else dropped.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

from policykg.gazetteer import Division, Gazetteer, load_gazetteer, load_regions
from policykg.matching import Match, NameMatcher
from policykg.segment import Segmentation, tokenizer


@cache
def _matcher() -> NameMatcher[tuple[str, ...]]:
    gz = load_gazetteer()
    return NameMatcher({name: tuple(d.code for d in ds) for name, ds in gz.by_name.items()})


# Facilities named after the county or city they serve.
FACILITIES = ("机场", "火车站", "高铁站", "火车南站", "火车北站", "港", "大桥", "水电站", "海关")


@cache
def _facility_matcher() -> NameMatcher[tuple[tuple[str, ...], int]]:
    """'<short county name><facility>' → (codes of the counties, length of the short name)."""
    gz = load_gazetteer()
    stems: dict[str, list[str]] = {}
    for d in gz.by_code.values():
        if d.level == "county" and len(d.zh) >= 3 and d.zh[-1] in "市县区旗":
            stems.setdefault(d.zh[:-1], []).append(d.code)
    return NameMatcher({stem + f: (tuple(codes), len(stem)) for stem, codes in stems.items()
                        for f in FACILITIES if stem not in gz.by_name})


@cache
def _region_matcher() -> NameMatcher[str]:
    return NameMatcher({name: name for name in load_regions()})


def find_regions(text: str, seg: Segmentation) -> list[Match[str]]:
    """Named regions (京津冀, 珠三角, 西部地区) on word boundaries."""
    return [m for m in _region_matcher().find(text) if seg.fits(m.start, m.end)]


def _choose(cands: list[Division], province: str | None) -> Division | None:
    if len(cands) == 1:
        return cands[0]
    provinces = [d for d in cands if d.level == "province"]
    if len(provinces) == 1:
        return provinces[0]
    if province:
        inside = [d for d in cands if d.province_code == province]
        if len(inside) == 1:
            return inside[0]
    return None


def find_places(text: str, seg: Segmentation, province: str | None,
                gz: Gazetteer | None = None) -> list[tuple[Match[tuple[str, ...]], Division]]:
    gz = gz or load_gazetteer()
    out = []
    for m in _matcher().find(text):
        if not seg.fits(m.start, m.end):
            continue
        d = _choose([gz.by_code[c] for c in m.payload], province)
        if d is not None and m.name != d.zh and _word_runs_on(text, m.end):
            continue  # 新乡|村振兴: the short name's last character starts another word
        if d is not None:
            out.append((m, d))
    for m in _facility_matcher().find(text):
        codes, n = m.payload
        d = _choose([gz.by_code[c] for c in codes], province)
        if d is not None and seg.fits(m.start, m.start + n):
            out.append((Match(m.start, m.start + n, m.name[:n], codes), d))
    return out


def _word_runs_on(text: str, end: int) -> bool:
    """True when the character before `end` begins a common word continuing past it."""
    freq = tokenizer().FREQ
    for n in (2, 3, 4):
        w = text[end - 1:end - 1 + n]
        if len(w) == n and freq.get(w, 0) >= 50:
            return True
    return False


def main_province(text: str, seg: Segmentation, issuer_names: list[str]) -> str | None:
    """The province a document is about: the one in its issuer's name, else the province
    most mentioned in the text (if it clearly dominates)."""
    gz = load_gazetteer()
    for name in issuer_names:
        for _, d in find_places(name, Segmentation(name), None, gz):
            return d.province_code
    counts = Counter(d.province_code for _, d in find_places(text, seg, None, gz))
    if counts:
        (top, n), *rest = [*counts.most_common(2), (None, 0)]
        if top and n >= 3 and n >= 3 * rest[0][1]:
            return top
    return None
