"""The document being read: title, number, genre, dates, issuers, publisher,
addressees, editor, and the proposal it answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policykg.extract.text import DATE_RE, date_from_match
from policykg.normalise import Normalised, fold
from policykg.records import DateValue

# Longest first: the genre is the tail of the title.
GENRES = ["提案答复的函", "答复的函", "实施方案", "工作方案", "实施意见", "指导意见", "通知",
          "意见", "方案", "批复", "决定", "规划", "请示", "报告", "办法", "条例", "细则",
          "规定", "纲要", "通报", "函", "提案", "汇报", "答复"]
GENRE_WORD = {"提案答复的函": "函", "答复的函": "函", "实施方案": "方案", "工作方案": "方案",
              "实施意见": "意见", "指导意见": "意见"}

DOCNO_RE = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［][12]\d{3}[〕\]］]\d{1,5}号")
# 政协第十四届全国委员会第二次会议第03906号(经济发展类268号)提案; 十四届全国人大二次会议
# 第5678号建议 (an NPC deputy's suggestion: the session's ordinals with or without 第, the
# congress by its short name, no category)
PROPOSAL_RE = re.compile(
    r"(?P<session>(?:政协|全国政协)第?[一二三四五六七八九十]{1,4}届全国委员会"
    r"第?[一二三四五六七八九十]{1,3}次会议|"
    r"第?[一二三四五六七八九十]{1,4}届全国(?:人民代表大会|人大)第?[一二三四五六七八九十]{1,3}次会议)"
    r"第(?P<number>\d+)号(?:[(（](?P<category>[^)）]+?类\d+号)[)）])?(?P<kind>提案|建议)")


# A signature line: names only (no sentence punctuation), short
SIGNATURE = re.compile(r"[^，。；：,;:！？!?（）()《》“”]{2,40}")


@dataclass
class Head:
    title: str
    title_span: tuple[int, int] | None
    number: str | None
    number_span: tuple[int, int] | None
    genre: str | None
    issued: DateValue | None
    issued_span: tuple[int, int] | None
    posted: DateValue | None
    issuer_names: list[str]
    issuer_span: tuple[int, int] | None
    publisher_name: str | None
    publisher_span: tuple[int, int] | None
    addressee_span: tuple[int, int] | None
    editor: str | None
    editor_span: tuple[int, int] | None
    abridged: bool
    signature_span: tuple[int, int] | None = None  # the issuer's name above the date


def genre_of(title: str) -> str | None:
    t = fold(title).rstrip("”")
    for g in GENRES:
        if t.endswith(g):
            return GENRE_WORD.get(g, g)
    return None


def issuers_in_title(title: str) -> list[str]:
    """'中共中央 国务院关于…' → ['中共中央', '国务院']."""
    if "关于" not in title:
        return []
    head = title.split("关于", 1)[0]
    return [p for p in re.split(r"[\s、，,]+", head) if p]


def _span_of(text: str, needle: str, start: int = 0) -> tuple[int, int] | None:
    i = text.find(needle, start)
    return (i, i + len(needle)) if i >= 0 and needle else None


def read_head(norm: Normalised) -> Head:
    text, meta = norm.text, norm.metadata
    lines = text.split("\n")
    # The title: the portal's 标题 field, else the first line near the top that reads like
    # one (ends with a genre word: …的通知), else the first line.
    title = meta.get("标题") or next(
        (x.strip() for x in lines[:8] if "关于" in x and genre_of(x.strip())), lines[0].strip())
    # A metadata line "标题：…" gives the title's span in the text.
    tspan = _span_of(text, title)

    number = meta.get("发文字号")
    if number and not DOCNO_RE.fullmatch(number):
        number = None  # a garbled portal field (国《办发〔2018〕128号): read it from the text
    if not number:
        # the fullest number among the first lines (a garbled one may hold a cut-off copy)
        found = [m.group(0) for m in DOCNO_RE.finditer("\n".join(lines[:12]))]
        number = max(found, key=len) if found else None
    nspan = _span_of(text, number) if number else None

    issued = posted = None
    ispan = None
    if meta.get("成文日期"):
        m = DATE_RE.search(meta["成文日期"])
        issued = date_from_match(m) if m else None
        ispan = _span_of(text, meta["成文日期"])
        if meta.get("发布日期") and (m2 := DATE_RE.search(meta["发布日期"])):
            posted = date_from_match(m2)
    elif meta.get("page_datetime"):
        issued = DateValue(meta["page_datetime"], "datetime")
        m = re.search(r"\d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}[时:：]\d{2}分?", text)
        ispan = m.span() if m else None
    else:
        # A date line in brackets under the title: （2025年1月1日）
        m = re.search(r"^[(（](\d{4}年\d{1,2}月\d{1,2}日)[)）]$", "\n".join(lines[:6]), re.M)
        if m:
            d = DATE_RE.search(m.group(1))
            issued = date_from_match(d) if d else None
            ispan = _span_of(text, m.group(0))

    signature = sspan = None
    if issued is None:
        # the date under the signature: a line that is only a date, after the issuer's name
        # (a name the title gives, or a short line of names, as a reply letter is signed)
        for i in range(len(lines) - 1, 0, -1):
            d = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", lines[i].strip())
            sig = lines[i - 1].strip()
            if d and sig and (sig in title or SIGNATURE.fullmatch(sig)):
                issued = date_from_match(DATE_RE.search(lines[i]))
                ispan = _span_of(text, lines[i].strip(), sum(len(x) + 1 for x in lines[:i]))
                signature = sig
                sspan = _span_of(text, sig, sum(len(x) + 1 for x in lines[:i - 1]))
                break
    issuer_names = issuers_in_title(title)
    if meta.get("发文机关") and not issuer_names:
        issuer_names = [p for p in re.split(r"[\s、，,]+", meta["发文机关"]) if p]
    if signature and not issuer_names:
        issuer_names = [p for p in re.split(r"[\s、，,]+", signature) if p]
    publisher = meta.get("来源")
    pspan = _span_of(text, publisher, text.find("来源")) if publisher else None

    addressee_span = None
    for i, line in enumerate(lines[:20]):
        # 主送: a line that is only names ending in a colon (commas separate groups)
        if re.fullmatch(r"[^。；;]{2,120}[：:]", line) and "如下" not in line and not re.match(
                r"(索引号|主题分类|发文机关|成文日期|标题|发文字号|发布日期|来源|附件)", line):
            start = sum(len(x) + 1 for x in lines[:i])
            addressee_span = (start, start + len(line) - 1)
            break

    editor = meta.get("责任编辑") or meta.get("编辑")
    espan = _span_of(text, editor, text.find("编辑")) if editor else None
    return Head(title=title, title_span=tspan, number=number, number_span=nspan,
                genre=genre_of(title), issued=issued, issued_span=ispan, posted=posted,
                issuer_names=issuer_names, issuer_span=tspan, publisher_name=publisher,
                publisher_span=pspan, addressee_span=addressee_span, editor=editor,
                editor_span=espan, abridged="本文有删减" in text, signature_span=sspan)
