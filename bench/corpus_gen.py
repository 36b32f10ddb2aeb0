"""Generated Chinese policy documents for the benchmark, written from templates over the
project's real vocabulary: issuers from organizations.tsv, counties from gazetteer.tsv,
genres, items and projects from terms.tsv. Each document is shaped like a gov.cn notice
(metadata lines, 发文字号, 主送, numbered sections, 一是/二是 measures, a numbered annex list,
cited documents with their numbers, an event with its investment), about 10 KB of UTF-8,
so that ingest runs the real extraction on it.

Seeded and deterministic: `generate_docs(n, seed)` gives the same texts on any machine.
Each document comes with what was written into it (places, lists, citations), so a test can
check that extraction finds exactly that.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from policykg.gazetteer import load_gazetteer, load_regions
from policykg.matching import NameMatcher
from policykg.tables import read_table

TARGET_BYTES = 10_000

# Issuers whose documents carry a number prefix of their own (国办发〔2019〕12号).
ISSUERS = [("国务院办公厅", "国办发"), ("国务院", "国发"), ("国家发展改革委", "发改农经"),
           ("农业农村部", "农经发"), ("自然资源部", "自然资发"), ("财政部", "财农"),
           ("生态环境部", "环固体"), ("住房城乡建设部", "建村")]
CO_ISSUERS = ["国家发展改革委", "农业农村部", "自然资源部", "财政部", "人民银行", "公安部",
              "生态环境部", "住房城乡建设部", "商务部", "科技部", "水利部", "民政部"]
GENRES = ["通知", "意见", "实施意见", "指导意见", "实施方案", "工作方案"]
LIST_NOUNS = [("具体改革事项", "item"), ("重点改革任务", "item"), ("试验任务", "item"),
              ("基础工程", "project"), ("重点工程", "project")]
TOPICS = ["推进城乡融合发展", "深化农村改革", "开展试点工作", "加快县域经济发展",
          "推动乡村全面振兴", "深化户籍制度改革", "完善农村金融服务", "推进新型城镇化建设",
          "加强生态环境保护", "推进固体废物综合治理", "深化科技成果转化", "优化营商环境"]
SECTIONS = ["总体要求", "主要任务", "试点安排", "保障措施", "组织实施"]
SUBHEADS = ["指导思想", "基本原则", "工作目标", "重点任务", "政策支持", "资金保障",
            "组织领导", "督促检查", "宣传引导", "评估总结"]
VERBS = ["推进", "深化", "完善", "健全", "加快", "加强", "探索", "优化", "统筹", "落实"]
SUBJECTS = ["各地区", "各有关部门", "地方各级人民政府", "试点地区", "各有关单位"]
OPENERS = ["坚持问题导向，", "坚持因地制宜，", "坚持改革创新，", "坚持统筹兼顾，",
           "坚持试点先行，", "按照党中央、国务院决策部署，"]
ENDINGS = ["形成可复制可推广的经验。", "确保各项任务落地见效。", "切实提高工作质量和效率。",
           "为全国提供有益借鉴。", "推动政策措施落实落细。"]
EVENTS = ["项目建设推进会", "试点工作现场会", "城乡融合发展工作会议", "重大项目集中开工动员会"]


@dataclass
class GeneratedDoc:
    name: str  # file name
    text: str
    title: str
    number: str
    places: set[str] = field(default_factory=set)  # GB/T 2260 codes written
    lists: list[tuple[int, list[str]]] = field(default_factory=list)  # annex lists
    citations: set[str] = field(default_factory=set)  # titles written in 《》
    measures: list[str] = field(default_factory=list)  # the 一是/二是 items
    amount_yi: str = ""  # the investment stated, in 亿元


@dataclass(frozen=True)
class Vocabulary:
    counties: tuple[tuple[str, str], ...]  # (name, code), names unique in the gazetteer
    items: tuple[str, ...]
    projects: tuple[str, ...]
    terms: tuple[str, ...]


@cache
def vocabulary() -> Vocabulary:
    """The real names the templates draw on, keeping only those that cannot be read as
    something else: counties whose full name is unique and not a short name of another
    division; items and terms that contain no place or region name."""
    gz = load_gazetteer()
    names = {n for n in gz.by_name} | set(load_regions())
    places = NameMatcher({n: n for n in names})
    counties = tuple(
        (d.zh, d.code) for d in gz.by_code.values()
        if d.level == "county" and len(d.zh) >= 3 and len(gz.by_name.get(d.zh, [])) == 1
        and not any(d.zh in other for other in names if other != d.zh)
        and d.zh.endswith(("县", "市", "区", "旗")))
    rows = list(read_table("terms.tsv"))

    def clean(kind: str, lo: int, hi: int) -> tuple[str, ...]:
        out = []
        for r in rows:
            z = r["zh"]
            if r["type"] == kind and lo <= len(z) <= hi and not places.find(z) \
                    and not any(c in z for c in "，,、（）()《》“”\"：:；;。0123456789等"):
                out.append(z)
        return tuple(out)

    return Vocabulary(counties=counties, items=clean("item", 6, 24) + clean("measure", 6, 24),
                      projects=tuple(p for p in clean("project", 4, 20) if p.endswith("工程")),
                      terms=clean("term", 4, 12))


def _date(rng: random.Random, y0: int = 2016, y1: int = 2025) -> tuple[int, int, int]:
    return rng.randint(y0, y1), rng.randint(1, 12), rng.randint(1, 28)


class _Writer:
    def __init__(self, rng: random.Random, voc: Vocabulary, serial: int) -> None:
        self.rng, self.voc, self.serial = rng, voc, serial
        self.lines: list[str] = []

    def sentence(self) -> str:
        r, v = self.rng, self.voc
        a, b = r.sample(v.terms, 2)
        return (f"{r.choice(SUBJECTS)}要{r.choice(OPENERS)}{r.choice(VERBS)}{a}，"
                f"{r.choice(VERBS)}{b}，{r.choice(ENDINGS)}")

    def paragraph(self, n: int) -> str:
        return "".join(self.sentence() for _ in range(n))


def _cited(rng: random.Random, serial: int, k: int) -> tuple[str, str, str, str]:
    """(issuers as written, title, number, date) of a document cited by document `serial`."""
    issuers = "、".join(rng.sample(CO_ISSUERS, rng.randint(1, 3)))
    y, m, _ = _date(rng, 2012, 2020)
    title = f"关于{rng.choice(TOPICS)}的{rng.choice(GENRES)}"
    number = f"{rng.choice(ISSUERS)[1]}〔{y}〕{(serial * 7 + k) % 900 + 10}号"
    return issuers, title, number, f"{y}年{m}月"


def generate_doc(serial: int, seed: int = 0) -> GeneratedDoc:
    rng = random.Random(f"{seed}/{serial}")
    voc = vocabulary()
    w = _Writer(rng, voc, serial)
    issuer, prefix = rng.choice(ISSUERS)
    y, m, d = _date(rng)
    topic = rng.choice(TOPICS)
    genre = rng.choice(GENRES)
    # serial in the title and number: every generated document is its own document
    title = f"{issuer}关于{topic}第{serial + 1}批试点的{genre}"
    number = f"{prefix}〔{y}〕{serial + 1}号"
    doc = GeneratedDoc(name=f"gen-{seed}-{serial:06d}.txt", text="", title=title, number=number)
    py, pm, pd = (y, m + 1, d) if m < 12 else (y + 1, 1, d)
    out = [f"索引号：000014349/{y}-{serial:05d}", "主题分类：城乡建设、环境保护\\其他",
           f"发文机关：{issuer}", f"成文日期：{y}年{m:02d}月{d:02d}日", f"标题：{title}",
           f"发文字号：{number}", f"发布日期：{py}年{pm:02d}月{pd:02d}日", "", title, number,
           "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："]

    cited: list[tuple[str, str, str, str]] = []
    for k in range(rng.randint(2, 4)):
        c = _cited(rng, serial, k)
        while any(c[1] == x[1] for x in cited):  # one title, one cited document
            c = _cited(rng, serial, k)
        cited.append(c)
    intro = []
    for k, (who, ctitle, cno, when) in enumerate(cited):
        verb = "印发" if k % 2 == 0 else "联合印发"
        intro.append(f"{when}，{who}{verb}《{ctitle}》（{cno}），对相关工作作出部署。")
        doc.citations.add(ctitle)
    out.append("".join(intro) + f"为{topic}，经国务院同意，现就有关事项通知如下。")

    counties = rng.sample(voc.counties, rng.randint(3, 6))
    doc.places = {code for _, code in counties}
    listed = rng.sample(voc.items, rng.randint(5, 12))
    projects = rng.sample(voc.projects, min(len(voc.projects), rng.randint(4, 8)))
    list_title = f"第{serial + 1}批试点实施方案"
    noun, kind = rng.choice(LIST_NOUNS)
    items = listed if kind == "item" else projects
    measures = [f"{rng.choice(VERBS)}{t}" for t in rng.sample(voc.terms, 3)]
    doc.measures = measures
    amount = f"{rng.randint(10, 999)}.{rng.randint(1, 9)}"
    doc.amount_yi = amount

    for i, section in enumerate(SECTIONS):
        out.append(f"{'一二三四五六七八九'[i]}、{section}")
        subs = rng.sample(SUBHEADS, 2)
        for j, sub in enumerate(subs):
            body = w.paragraph(rng.randint(3, 5))
            if i == 1 and j == 0:
                names = "、".join(n for n, _ in counties)
                body = (f"选取{names}等{len(counties)}个县（市、区）开展试点，"
                        f"试点地区从{len(items)}项{noun}中选取3项进行差异化探索。") + body
            if i == 1 and j == 1:
                ev_y, ev_m, _ = _date(rng, 2019, 2024)
                body += (f"{ev_y}年{ev_m}月，召开{rng.choice(EVENTS)}，"
                         f"集中开工{rng.randint(10, 90)}个重大项目、总投资{amount}亿元。")
            out.append(f"（{'一二三四五六七八九'[j]}）{sub}。{body}")
        if i == 4:
            shi = "".join(f"{'一二三'[k]}是{ms}。{w.sentence()}" for k, ms in enumerate(measures))
            out.append(f"下一步，各地区要抓好以下工作。{shi}")
    while len("\n".join(out).encode("utf-8")) < TARGET_BYTES - 1200:
        out.append(w.paragraph(4))
    out.append(f"附件：{list_title}重点内容")
    out.append(f"{issuer}")
    out.append(f"{y}年{m}月{d}日")
    marks = "，".join(f"（{k + 1}）{t}" for k, t in enumerate(items))
    doc.citations.add(list_title)
    out.append(f"1.《{list_title}》明确的{len(items)}项{noun}：{marks}。")
    doc.lists.append((len(items), list(items)))
    doc.text = "\n".join(out) + "\n"
    return doc


def generate_docs(n: int, seed: int = 0) -> list[GeneratedDoc]:
    return [generate_doc(i, seed) for i in range(n)]


def write_docs(folder: Path, n: int, seed: int = 0) -> list[GeneratedDoc]:
    folder.mkdir(parents=True, exist_ok=True)
    docs = generate_docs(n, seed)
    for d in docs:
        (folder / d.name).write_text(d.text, encoding="utf-8")
    return docs
