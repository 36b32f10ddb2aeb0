"""Raw bytes → normalised text with metadata: the first stage of the pipeline.

Decodes (UTF-8 with or without BOM, GB18030/GBK, UTF-16/32 with BOM), turns HTML into
text, strips portal chrome, keeps a body printed twice only once, and reads portal
metadata lines. Offsets used by every later stage index into `Normalised.text`, which is
a pure function of the input bytes: the same bytes always give the same text and so the
same offsets.
Punctuation is left as written (quotes must match the source); extractors match
full-width and half-width forms alike through `fold`.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser


class NormaliseError(ValueError):
    """Input that cannot be turned into text (undecodable, empty, binary)."""


@dataclass(frozen=True)
class Normalised:
    text: str
    source: str  # file name or label, for messages and provenance
    content_hash: str  # sha256 of the raw bytes, "sha256:<hex>"
    encoding: str
    metadata: dict[str, str] = field(default_factory=dict)  # portal fields, editor, source
    removed: tuple[str, ...] = ()  # what was stripped, for reports


# Half-width → full-width for the punctuation Chinese text mixes in. Used to compare,
# never to rewrite the text.
_FOLD = str.maketrans({",": "，", "(": "（", ")": "）", ":": "：", ";": "；", "?": "？",
                       "!": "！", '"': "”", "“": "”"})


def fold(s: str) -> str:
    """A comparison key: full/half-width punctuation alike, NFKC digits, no spaces."""
    s = "".join(ch for ch in s if not ch.isspace())
    s = s.translate(_FOLD)
    return "".join(unicodedata.normalize("NFKC", c) if c.isdigit() else c for c in s)


# --- decoding ---------------------------------------------------------------------------

# Byte-order marks of the wide encodings, longest first (a UTF-32 LE mark begins like a
# UTF-16 LE one). UTF-8's is dropped and the rest read as UTF-8 below.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode(data: bytes, source: str = "<input>") -> tuple[str, str]:
    """Return (text, encoding). A byte-order mark decides (UTF-8, UTF-16, UTF-32; the mark
    is dropped); otherwise UTF-8, then GB18030, which is a superset of GBK and GB2312.
    Anything else is refused with a message naming the file."""
    text, encoding, _cut = decode_repairing(data, source)
    return text, encoding


def decode_repairing(data: bytes, source: str = "<input>") -> tuple[str, str, str | None]:
    """As `decode`, and also says what was cut: UTF-8 cut short in the middle of a
    character at either end (a download broken off, a file split by bytes) is read without
    the broken character instead of refusing the whole file."""
    if not data.strip():
        raise NormaliseError(f"{source}: the file is empty")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError as e:
                raise NormaliseError(
                    f"{source}: starts with a {enc.upper()} byte-order mark but is not valid "
                    f"{enc.upper()} ({e.reason} at byte {e.start + len(bom)})") from None
            if not text.strip() or not _plausible(text):
                raise NormaliseError(f"{source}: {enc.upper()} of control characters, not text")
            return text, enc, None
    utf8_bom = data.startswith(codecs.BOM_UTF8)
    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in data[:4096]:
        raise NormaliseError(f"{source}: looks like a binary file (NUL bytes), not text; "
                             "UTF-16 or UTF-32 without a byte-order mark looks the same: "
                             "save it as UTF-8")
    repaired = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        utf8_error = e
        repaired = _utf8_cut_at_the_ends(data)
        # Other non-ASCII text read as UTF-8 says the file is UTF-8; ASCII and one
        # broken character at the end may as well be GB18030 ending in a Chinese one.
        if repaired and (utf8_bom or not repaired[0].isascii()) and _plausible(repaired[0]):
            return repaired[0], "utf-8", repaired[1]
    else:
        if _plausible(text):
            return text, "utf-8", None
        raise NormaliseError(f"{source}: UTF-8 of control characters, not text")
    try:
        text = data.decode("gb18030")
        if _plausible(text) and not utf8_bom:
            return text, "gb18030", None
    except UnicodeDecodeError:
        pass
    if repaired and _plausible(repaired[0]):
        return repaired[0], "utf-8", repaired[1]
    raise NormaliseError(
        f"{source}: cannot decode as UTF-8 or GB18030 (GBK) (not UTF-8: {utf8_error.reason} "
        f"at byte {utf8_error.start}); convert it to UTF-8 first")


def _utf8_cut_at_the_ends(data: bytes) -> tuple[str, str] | None:
    """UTF-8 whose only faults are a character cut at the start (up to three continuation
    bytes) or at the end (a lead byte without all its continuation bytes): the text
    without them, and what was cut. None when the fault is anywhere else."""
    head = 0
    while head < 3 and head < len(data) and 0x80 <= data[head] <= 0xBF:
        head += 1
    body = data[head:]
    tail = 0
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.reason != "unexpected end of data" or e.start < len(body) - 3:
            return None
        tail = len(body) - e.start
        try:
            text = body[:e.start].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if (not head and not tail) or not text.strip():
        return None
    cut = " and ".join(x for x in (
        f"{head} byte(s) of a character cut at the start" if head else "",
        f"{tail} byte(s) of a character cut at the end" if tail else "") if x)
    return text, cut


def _plausible(text: str) -> bool:
    """GB18030 decodes many byte strings that are not Chinese: insist on mostly
    printable text with CJK or ASCII letters."""
    bad = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn")
              and ch not in "\n\r\t")
    return bad <= max(2, len(text) // 200)


# --- HTML -------------------------------------------------------------------------------

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
          "section", "article", "ul", "ol", "title", "dd", "dt", "blockquote"}
# <head> holds the browser title (usually "title - site name"), not the document
_SKIP = {"head", "script", "style", "noscript", "nav", "header", "footer", "iframe", "svg",
         "button", "select", "form", "template"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_HTML_RE = re.compile(r"<\s*(html|body|div|p|head|meta|table|span)\b", re.I)


def html_to_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# --- page chrome --------------------------------------------------------------------------

# Lines that belong to the portal, not the document. Matched on the folded line.
_CHROME = [re.compile(p) for p in (
    r"^【?字体[：:]?", r"扫一扫在手机打开当前页", r"^微信公众号$", r"^政务微博$", r"^头条号$",
    r"^手机版", r"^电脑版$", r"^主办单位[：:]", r"^运行维护单位[：:]", r"^承办单位[：:]",
    r"网站标识码", r"ICP备", r"公网安备", r"^打印(本页)?$", r"^关闭(窗口)?$", r"^分享到",
    r"^【?(打印|关闭|收藏)", r"^[×xX]$", r"^(大|中|小)$", r"^当前位置[：:]", r"^首页\s*[>＞»]",
    r"^(上一篇|下一篇)[：:]", r"^相关(链接|文件|阅读)$",
)]
_BULLET = re.compile(r"^[\s•·●▪◦\-–—*]+")
_META_LINE = re.compile(
    r"^(索引号|主题分类|发文机关|成文日期|标题|发文字号|发布日期|来源|责任编辑|编辑)\s*[：:]\s*(.+)$")
_PAGE_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(\d{1,2})[时:：](\d{2})分?$")


def _is_chrome(line: str) -> bool:
    return any(p.search(line) for p in _CHROME)


def _drop_repeated_blocks(lines: list[str]) -> tuple[list[str], int]:
    """Drop any run of ≥3 lines (≥200 characters) that repeats an earlier run exactly:
    portals print the body twice (print view, mobile view). Returns (lines, dropped)."""
    first_seen: dict[str, int] = {}
    out: list[str] = []
    dropped = 0
    i = 0
    while i < len(lines):
        j = first_seen.get(lines[i])
        if j is not None and lines[i]:
            run = 0
            while i + run < len(lines) and j + run < i and lines[j + run] == lines[i + run]:
                run += 1
            if run >= 3 and sum(len(x) for x in lines[i:i + run]) >= 200:
                dropped += run
                i += run
                continue
        first_seen.setdefault(lines[i], i)
        out.append(lines[i])
        i += 1
    return out, dropped


def normalise(data: bytes, source: str = "<input>") -> Normalised:
    """Decode, de-chrome and de-duplicate one document."""
    raw, encoding, cut = decode_repairing(data, source)
    if _HTML_RE.search(raw[:5000]):
        raw = html_to_text(raw)
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    removed: list[str] = [cut] if cut else []
    lines: list[str] = []
    for line in raw.split("\n"):
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        if _is_chrome(line):
            removed.append(line)
            continue
        lines.append(line)
    lines, dropped = _drop_repeated_blocks(lines)
    if dropped:
        removed.append(f"{dropped} lines printed twice")
    if not lines:
        raise NormaliseError(f"{source}: no text left after removing page chrome")
    metadata = _read_metadata(lines)
    return Normalised(
        text="\n".join(lines) + "\n",
        source=source,
        content_hash="sha256:" + hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        metadata=metadata,
        removed=tuple(removed),
    )


def _read_metadata(lines: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in lines:
        m = _META_LINE.match(line)
        if m:
            meta.setdefault(m.group(1), m.group(2).strip())
        elif "page_datetime" not in meta and (d := _PAGE_DATE.match(line)):
            y, mo, da, h, mi = (int(x) for x in d.groups())
            meta["page_datetime"] = f"{y:04d}-{mo:02d}-{da:02d}T{h:02d}:{mi:02d}:00"
    return meta
