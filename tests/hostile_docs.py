"""Hostile documents for the pipeline: hypothesis strategies that make them, and the check
every one of them must pass. Used by tests/test_hostile_documents.py and, for longer runs,
by bench/fuzz_documents.py.

The check runs normalise → extract → map → validate without the catch-all that
`build_data` puts around extraction (which turns a bug into a skipped file), so a crash
anywhere is seen as one. A document passes when it is either refused with a
`NormaliseError` whose message names the file, or turned into a graph that passes the
shapes — or that fails them only because the document names no issuer, which the command
line reports as a refusal naming the file.
"""

from __future__ import annotations

import dataclasses
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from policykg.extract import extract
from policykg.mapping import to_graph
from policykg.normalise import NormaliseError, normalise
from policykg.records import Evidence, Extraction
from policykg.validate import validate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CORPUS_FILES = sorted([*CORPUS.glob("*.txt"), *CORPUS.glob("*.html")])
CORPUS_BYTES = [p.read_bytes() for p in CORPUS_FILES]
CORPUS_TEXTS = [b.decode("utf-8") for b in CORPUS_BYTES]

# The one shape a well-formed graph may fail because of what the document says (or does
# not say): it names no issuer. Every other violation is a pipeline bug.
INPUT_SHAPES = {"https://w3id.org/policykg/shapes#DocumentGraph-source"}


class Hang(Exception):
    """A document took longer than its deadline."""


class HostileFailure(AssertionError):
    """A document broke a property: the message says which and how."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM: main thread only, Python code only; a
    loop inside one C call is caught when it returns, by the elapsed-time check)."""
    def _alarm(signum, frame):
        raise Hang(f"no result after {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    kind: str  # "graph" | "refused" | "no issuer" | "graph, not validated"
    size: int  # bytes in
    seconds: float  # normalise + extract + map (validation is not timed)
    triples: int = 0
    message: str = ""


@dataclass
class Tally:
    """Figures of a run: inputs tried, what became of them, failures, the slowest."""

    tried: int = 0
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    failures: Counter[str] = dataclasses.field(default_factory=Counter)  # crash, hang, shapes
    slowest_ms: float = 0.0
    slowest_ms_per_kb: float = 0.0  # of inputs of 1 KB or more

    def add(self, out: Outcome) -> None:
        self.tried += 1
        self.outcomes[out.kind] += 1
        self.slowest_ms = max(self.slowest_ms, out.seconds * 1000)
        if out.size >= 1024:
            self.slowest_ms_per_kb = max(self.slowest_ms_per_kb,
                                         out.seconds * 1000 / (out.size / 1024))

    def fail(self, what: str) -> None:
        self.tried += 1
        self.failures[what] += 1

    def line(self, kind: str) -> str:
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
        return (f"{kind}: {self.tried} inputs ({outcomes}); crashes "
                f"{self.failures['crash']}, hangs {self.failures['hang']}, graphs breaking "
                f"the shapes {self.failures['shapes']}; slowest {self.slowest_ms:.0f} ms, "
                f"{self.slowest_ms_per_kb:.1f} ms per KB")


def _evidence(obj, seen: set[int] | None = None) -> Iterator[Evidence]:
    """Every Evidence inside the records, at any depth."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Evidence):
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _evidence(getattr(obj, f.name), seen)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _evidence(v, seen)
    elif isinstance(obj, list | tuple | set | frozenset):
        for v in obj:
            yield from _evidence(v, seen)


def check_records(ex: Extraction, name: str) -> None:
    """Offsets index the normalised text: every quote is the text at its offsets."""
    for ev in _evidence(ex):
        if not (0 <= ev.start < ev.end <= len(ex.text)) or ex.text[ev.start:ev.end] != ev.quote:
            raise HostileFailure(f"{name}: evidence [{ev.start}:{ev.end}] {ev.quote!r} does not "
                                 f"match the text there {ex.text[ev.start:ev.end]!r}")


def check_document(data: bytes, name: str = "hostile.txt", *, validate_graph: bool = True,
                   max_validate: int | None = None, limit_s: float = 60.0) -> Outcome:
    """Run one document through the pipeline; raise HostileFailure (or Hang) unless it is
    refused with a clear error naming the file or becomes a graph passing the shapes.
    Graphs of more than `max_validate` triples are not validated (SHACL runs about 1,500
    triples a second): their outcome is "graph, not validated"."""
    t0 = time.perf_counter()
    with deadline(limit_s):
        try:
            norm = normalise(data, name)
        except NormaliseError as e:
            if not str(e).startswith(f"{name}: "):
                raise HostileFailure(f"refusal does not name the file: {e}") from e
            return Outcome("refused", len(data), time.perf_counter() - t0, message=str(e))
        if not norm.text.endswith("\n") or "\r" in norm.text or not norm.text.strip():
            raise HostileFailure(f"{name}: normalised text is malformed: {norm.text[:80]!r}")
        ex = extract(norm)
        graph = to_graph(ex)
    seconds = time.perf_counter() - t0
    if seconds > limit_s:  # a C call that ran past the alarm
        raise Hang(f"{name}: {seconds:.1f} s for {len(data)} bytes")
    check_records(ex, name)
    out = Outcome("graph", len(data), seconds, triples=len(graph))
    if validate_graph and max_validate is not None and len(graph) > max_validate:
        out.kind = "graph, not validated"
    elif validate_graph:
        report = validate(graph)
        if not report.conforms:
            bad = [v for v in report.violations() if v.shape not in INPUT_SHAPES]
            if bad:
                raise HostileFailure(f"{name}: the graph breaks the shapes:\n"
                                     + "\n".join(v.line() for v in bad[:10]))
            out.kind, out.message = "no issuer", report.violations()[0].message
    return out


# --- strategies ---------------------------------------------------------------------------

# Pieces of real policy text: names the gazetteer and termbase know, headings, numbering,
# brackets, dates, money and the phrases the extractors look for.
FRAGMENTS = [
    "国务院", "国务院办公厅", "中共中央", "四川省人民政府", "省政府办公厅", "国家发展改革委",
    "什邡市", "广汉市", "成都", "德阳市", "京津冀", "西部地区", "关于", "的通知", "的意见",
    "实施方案", "工作方案", "的函", "《", "》", "“", "”", '"', "（", "）", "(", ")", "〔", "〕",
    "一、", "二、", "（一）", "（二）", "1.", "2.", "（1）", "（2）", "(1)", "(2)", "一是", "二是",
    "三是", "等16项改革任务", "等3项试验任务", "等18个单位", "共23项", "（共23项）",
    "2025年10月9日", "2019年6月底前", "到2020年", "2018年上半年", "1025.2亿元", "5万元",
    "（以下简称“试验区”）", "（以下简称《决定》）", "国办函〔2004〕71号", "国发〔2019〕20号",
    "：", "，", "。", "；", "、", ":", ",", ";", "\n", " ", "\u3000", "\t", "序号 | 改革举措",
    " | ", "召开", "试验区建设动员会", "开工", "28个重大项目", "探索推进", "国家城乡融合发展试验区",
    "试点", "包括", "在内的", "确定", "等11个片区作为", "从16项改革任务中选取3项", "印发",
    "各省、自治区、直辖市人民政府：", "成文日期：", "发文字号：", "标题：", "来源：",
    "责任编辑：", "2025年10月09日 17:38", "本文有删减", "政协第十四届全国委员会第二次会议",
    "第03906号(经济发展类268号)提案", "形成", "个典型案例", "十大基础工程", "天府水源工程",
]
PUNCTUATION = "，。、；：？！“”‘’《》〈〉（）【】〔〕…—·,.;:?!\"'()[]{}<>-_/\\|*&^%$#@~`+= \n\t"


def _fragment_text(max_parts: int = 120) -> st.SearchStrategy[str]:
    part = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12),
                     st.integers(0, 10**6).map(str))
    return st.lists(part, max_size=max_parts).map("".join)


ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"]


@st.composite
def encoded(draw, text: st.SearchStrategy[str] | None = None) -> bytes:
    """Text in one of the encodings people save Chinese documents in; characters GBK lacks
    are written as '?'."""
    s = draw(text if text is not None else _fragment_text())
    return s.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def mixed_encodings(draw) -> bytes:
    """A file pasted together from pieces in different encodings."""
    parts = draw(st.lists(encoded(_fragment_text(20)), min_size=2, max_size=6))
    return b"".join(parts)


@st.composite
def corpus_text(draw, max_lines: int | None = None) -> str:
    """A real document, or (with `max_lines`) its first lines and a run of its body: real
    text in graphs small enough to validate by the hundred."""
    text = draw(st.sampled_from(CORPUS_TEXTS))
    if max_lines is None:
        return text
    lines = text.splitlines()
    head = lines[:draw(st.integers(0, 6))]
    start = draw(st.integers(0, len(lines) - 1))
    return "\n".join(head + lines[start:start + draw(st.integers(1, max_lines))]) + "\n"


@st.composite
def truncated_utf8(draw, max_lines: int | None = None) -> bytes:
    """Real text cut at any byte, often inside a three-byte character."""
    data = draw(corpus_text(max_lines)).encode("utf-8")
    cut = draw(st.integers(1, len(data)))
    start = draw(st.integers(0, cut - 1))
    return data[start:cut]


@st.composite
def one_line(draw, max_lines: int | None = None) -> bytes:
    text = draw(corpus_text(max_lines))
    sep = draw(st.sampled_from(["", " ", "\t", "\u3000", "\r"]))
    return sep.join(text.splitlines()).encode("utf-8")


def punctuation_only() -> st.SearchStrategy[bytes]:
    return st.text(alphabet=PUNCTUATION, min_size=1, max_size=3000).map(
        lambda s: s.encode("utf-8"))


_CN_NUM = "一二三四五六七八九十"


def _cn(n: int) -> str:
    """1..99 in Chinese numerals as headings write them (十一, 二十三)."""
    tens, ones = divmod(n, 10)
    return ((_CN_NUM[tens - 1] if tens > 1 else "") + ("十" if tens else "")
            + (_CN_NUM[ones - 1] if ones else ""))


_MARKERS = [lambda n: f"{_cn(n)}、", lambda n: f"（{_cn(n)}）", lambda n: f"{n}.",
            lambda n: f"（{n}）", lambda n: f"({n})", lambda n: f"{_cn(n)}是"]


@st.composite
def nested_lists(draw, max_depth: int = 60) -> bytes:
    """一、（一）1.（1）… nested many levels deep, the levels repeating and restarting,
    numbering with gaps and repeats, headings with and without their colon."""
    depth = draw(st.integers(1, max_depth))
    fanout = draw(st.integers(1, 4))
    rng = random.Random(draw(st.integers(0, 2**32)))
    lines = [draw(st.sampled_from(["国务院关于推进城乡融合发展的意见", "关于开展试点的通知", ""]))]
    counters = [0] * depth
    for _ in range(depth * fanout):
        level = rng.randrange(depth)
        counters[level] = counters[level] + 1 if rng.random() < 0.9 else rng.randint(1, 99)
        for deeper in range(level + 1, depth):
            counters[deeper] = 0
        n = max(1, min(counters[level], 99))
        marker = _MARKERS[level % len(_MARKERS)](n)
        body = rng.choice(FRAGMENTS) + rng.choice(["", "：", "。", "改革任务（共23项）",
                                                     "；(1)甲；(2)乙"])
        lines.append(marker + body)
    return "\n".join(lines).encode(draw(st.sampled_from(["utf-8", "gb18030"])))


HUGE = [2, 99, 100, 1000, 10_000]
LIST_FORMS = ["inline", "lines", "enumeration", "table", "sections"]


def huge_list(form: str, n: int) -> bytes:
    """A document holding one list of `n` items in one of the forms the list readers know:
    (1)…；(2)… on one line, 1. lines, A、B…等n项 enumerations, 序号 | tables, （一） sections."""
    head = "国务院关于推进改革的通知\n"
    if form == "inline":
        body = f"明确的{n}项具体改革事项：" + "；".join(f"({i})事项{i}" for i in range(1, n + 1))
    elif form == "lines":
        body = "\n".join(f"{i}.事项{i}：内容" for i in range(1, n + 1))
    elif form == "enumeration":
        body = "探索推进" + "、".join(f"事项{i}" for i in range(n)) + f"等{n}项改革任务。"
    elif form == "table":
        body = "改革举措\n序号 | 改革举措 | 负责单位\n" + "\n".join(
            f"{i} | 举措{i} | 国务院" for i in range(1, n + 1))
    else:
        body = "\n".join(f"（{_cn(i % 99 + 1)}）第{i}节" for i in range(n))
    return (head + body + "\n").encode("utf-8")


def huge_lists(sizes: list[int] | None = None) -> st.SearchStrategy[bytes]:
    """Lists of up to 10,000 items, in each form."""
    return st.builds(huge_list, st.sampled_from(LIST_FORMS), st.sampled_from(sizes or HUGE))


@st.composite
def unbalanced_brackets(draw, max_lines: int | None = None) -> bytes:
    """Real text with 《 》 “ ” ( ) inserted or deleted at random places."""
    text = list(draw(corpus_text(max_lines)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 200))):
        i = rng.randrange(len(text) + 1)
        if rng.random() < 0.7:
            text.insert(i, rng.choice("《《《》“”\"（）()〔〕"))
        elif text and text[min(i, len(text) - 1)] in "《》“”\"（）()":
            del text[min(i, len(text) - 1)]
    if draw(st.booleans()):
        text.extend("《" * draw(st.integers(1, 5000)))
    return "".join(text).encode("utf-8")


HTML_PIECES = [
    "<script>var t='《假标题》';</script>", "<script>", "</script>", "<style>p{}</style>",
    "<!-- 《注释》 -->", "<!--", "-->", "<![CDATA[ 《CDATA》 ]]>", "<![CDATA[", "&amp;", "&lt;",
    "&gt;", "&nbsp;", "&ldquo;", "&rdquo;", "&#12298;", "&#x300A;", "&#0;", "&#xD800;",
    "&#1114112;", "&#99999999999;", "&bogus;", "&", "<p>", "</p>", "<div>", "</div>", "<p",
    "</div", "<br/>", "<table><tr><td>1</td><td>举措</td></tr></table>", "<td>", "<li>",
    "<ul>", "</ul>", "<head>", "</head>", "<nav>首页 &gt; 政策</nav>", "<title>t</title>",
    "<html>", "<body>", "<svg><text>x</text>", "<iframe src=x>", "<?xml version='1.0'?>",
    "<!DOCTYPE html>", "<a href='javascript:alert(1)'>", "\x0c", "<textarea>", "<pre>",
]


@st.composite
def html_pages(draw, max_lines: int | None = None) -> bytes:
    """HTML with scripts, comments, entities, CDATA and broken tags around real text."""
    lines = draw(corpus_text(max_lines)).splitlines()
    pieces = draw(st.lists(st.sampled_from(HTML_PIECES), max_size=60))
    rng = random.Random(draw(st.integers(0, 2**32)))
    out = ["<html><head><meta charset='utf-8'></head><body>"]
    for line in lines:
        out.append(f"<p>{line}</p>")
        if pieces and rng.random() < 0.3:
            out.append(pieces.pop())
    out.extend(pieces)
    if draw(st.booleans()):  # a deeply nested page
        depth = draw(st.integers(1, 3000))
        out.append("<div><ul><li>" * depth + "正文" + "</li></ul></div>" * (depth // 2))
    enc = draw(st.sampled_from(["utf-8", "gb18030"]))
    return "".join(out).encode(enc, errors="replace")


@st.composite
def mutated_corpus(draw, max_lines: int | None = None) -> bytes:
    """A real document cut, duplicated and spliced with another — mostly at character
    positions, sometimes at byte positions (which breaks characters)."""
    by_bytes = draw(st.integers(0, 3)) == 0
    span = 4000 if max_lines is None else 100 * max_lines  # the most one operation moves
    text = draw(corpus_text(max_lines))
    data: bytearray | list[str] = bytearray(text.encode("utf-8")) if by_bytes else list(text)
    other_texts = [draw(corpus_text(max_lines)) for _ in range(2)]
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["cut", "duplicate", "splice", "truncate", "flip"]))
        i = draw(st.integers(0, len(data)))
        j = draw(st.integers(i, min(len(data), i + span)))
        if op == "cut":
            del data[i:j]
        elif op == "duplicate":
            data[j:j] = data[i:j] * draw(st.integers(1, 3))
        elif op == "splice":
            other = draw(st.sampled_from(other_texts))
            piece = other.encode("utf-8") if by_bytes else list(other)
            a = draw(st.integers(0, len(piece)))
            data[i:i] = piece[a:a + draw(st.integers(0, span))]
        elif op == "truncate":
            del data[i:]
        elif data:
            k = min(i, len(data) - 1)
            data[k] = (draw(st.integers(0, 255)) if by_bytes
                       else draw(st.sampled_from(["《", "》", "\n", "、", "。", "（", "1"])))
    return bytes(data) if by_bytes else "".join(data).encode("utf-8")


def random_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=4096),
                     st.binary(max_size=64).map(lambda b: b * 200))


def kinds(max_lines: int | None = None, huge: list[int] | None = None,
          ) -> dict[str, st.SearchStrategy[bytes]]:
    """Every kind of hostile document; `max_lines` bounds the corpus text they start from
    (None: whole documents), `huge` the list sizes."""
    return {
        "random bytes": random_bytes(),
        "encodings": encoded(),
        "mixed encodings": mixed_encodings(),
        "truncated utf-8": truncated_utf8(max_lines),
        "one line": one_line(max_lines),
        "punctuation only": punctuation_only(),
        "nested lists": nested_lists(60 if max_lines is None else 30),
        "huge lists": huge_lists(huge),
        "unbalanced brackets": unbalanced_brackets(max_lines),
        "html": html_pages(max_lines),
        "mutated corpus": mutated_corpus(max_lines),
    }


KINDS = kinds()


def scaled_document(target_bytes: int) -> bytes:
    """About `target_bytes` of real corpus text in one document: the corpus lines again and
    again, each copy in another (seeded) order so that no block repeats (normalise would
    drop a body printed twice), under the first document's head."""
    head, *_ = CORPUS_TEXTS
    lines = [ln for t in CORPUS_TEXTS for ln in t.splitlines() if ln.strip()]
    out = [head]
    size = len(head.encode("utf-8"))
    k = 0
    while size < target_bytes:
        copy = lines[:]
        random.Random(k).shuffle(copy)
        for ln in copy:
            out.append(ln)
            size += len(ln.encode("utf-8")) + 1
            if size >= target_bytes:
                break
        k += 1
    return "\n".join(out).encode("utf-8")
