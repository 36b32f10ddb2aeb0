"""Extraction details beyond the gold file: punctuation widths, numerals, money, places."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import CORPUS

from policykg.extract import extract
from policykg.extract.text import MONEY_RE, money, to_int
from policykg.normalise import normalise

SICHUAN = CORPUS / "sichuan-reply-03906-2025-10-09.txt"


def _summary(ex):
    return (
        sorted(o.zh for o in ex.orgs.values()),
        sorted(ex.places),
        sorted((lst.item_class, lst.stated_count or -1, tuple(i.text for i in lst.items))
               for lst in ex.lists),
        sorted(d.title for d in ex.documents.values()),
        sorted((e.label, str(e.amount)) for e in ex.events),
        sorted((x.place, x.item_text) for x in ex.explores),
    )


def test_full_width_punctuation_gives_the_same_facts():
    raw = SICHUAN.read_text(encoding="utf-8")
    wide = raw.translate(str.maketrans({",": "，", "(": "（", ")": "）", ":": "："}))
    assert wide != raw
    a = extract(normalise(raw.encode("utf-8"), "a"))
    b = extract(normalise(wide.encode("utf-8"), "b"))
    assert _summary(a) == _summary(b)


@pytest.mark.parametrize("s,n", [("16", 16), ("十六", 16), ("十", 10), ("三十八", 38), ("两", 2)])
def test_numerals(s, n):
    assert to_int(s) == n


@pytest.mark.parametrize("s,v", [("1025.2亿元", "102520000000"), ("5亿元", "500000000"),
                                 ("3.5万元", "35000"), ("12元", "12")])
def test_money_is_exact(s, v):
    assert money(MONEY_RE.search(s)) == Decimal(v)


def test_no_place_inside_ordinary_words():
    text = ("推动城乡要素双向流动、公共资源合理配置，建设更高水平的平安法治乡村。"
            "培育新乡村振兴人才。\n")
    ex = extract(normalise(("关于推进改革的通知\n" + text).encode("utf-8"), "t"))
    assert ex.places == {}


def test_a_short_county_name_counts_before_a_facility_named_after_it():
    text = ("四川省人民政府关于交通建设的报告\n国家支持建设康定机场，推进泸州港扩能。"
            "资源配置要合理，平安建设要加强。\n")
    ex = extract(normalise(text.encode("utf-8"), "t"))
    assert {"513301", "510500"} <= set(ex.places)  # 康定市 (甘孜州), 泸州市
    assert "450329" not in ex.places and "630203" not in ex.places  # 资源县, 平安区: words


def test_relative_body_names_need_the_province():
    # 省委 only means 中共四川省委 in a Sichuan document
    central = "国务院关于某事的通知\n省委、省政府要加强领导。\n"
    ex = extract(normalise(central.encode("utf-8"), "c"))
    assert not any("四川" in o.zh for o in ex.orgs.values())
    sichuan = "四川省人民政府关于某事的通知\n省委、省政府要加强领导。\n"
    ex = extract(normalise(sichuan.encode("utf-8"), "s"))
    assert {"中共四川省委", "四川省人民政府"} <= {o.zh for o in ex.orgs.values()}


def test_a_list_that_claims_more_than_it_shows_invents_nothing():
    text = ("某省人民政府关于试点的函\n"
            "围绕国家赋予的甲制度改革、乙制度改革等5项试验任务，推进工作。\n")
    ex = extract(normalise(text.encode("utf-8"), "t"))
    (lst,) = [x for x in ex.lists if x.item_class == "TrialTask"]
    assert lst.stated_count == 5
    assert [i.text for i in lst.items] == ["甲制度改革", "乙制度改革"]


def test_a_national_body_whose_name_starts_with_shi_is_not_relative():
    text = "国务院办公厅关于某事的通知\n（农业农村部、市场监管总局指导）\n"
    ex = extract(normalise(text.encode("utf-8"), "t"))
    assert "国家市场监督管理总局" in {o.zh for o in ex.orgs.values()}


def _ex(name: str):
    p = CORPUS / name
    return extract(normalise(p.read_bytes(), p.name))


def test_sections_restart_or_continue_their_numbering():
    ex = _ex("central-no1-document-2025-01-01.txt")
    sections = [lst for lst in ex.lists if lst.item_class == "Section"]
    parts = [s for s in sections if s.heading == "正文"]
    assert parts[0].items[0].text == "持续增强粮食等重要农产品供给保障能力"
    tasks = max(sections, key=lambda s: len(s.items))
    assert [i.ordinal for i in tasks.items] == list(range(1, 31))  # （一）…（三十） across parts
    assert tasks.items[-1].text == "健全农业转移人口市民化机制"
    assert tasks.items[0].within == (parts[0].key, 1) and tasks.items[-1].within[1] == 6
    ex = _ex("zero-waste-city-pilot-plan-2018-12-29.txt")
    restarts = [s for s in ex.lists if s.item_class == "Section" and s.heading != "正文"]
    assert [len(s.items) for s in restarts] == [5, 6, 4, 4]  # numbering restarts per part


def test_dated_targets_and_amounts_are_placed_in_their_sections():
    ex = _ex("zero-waste-city-pilot-plan-2018-12-29.txt")
    targets = [s for s in ex.stated if s.kind == "target"]
    values = sorted(t.deadline.value for t in targets)
    assert values.count("2020") == 8 and "2019-06" in values and "2021-03" in values
    assert all(t.section for t in targets)
    ex = _ex("state-council-reply-sichuan-2004-10-15.txt")
    amounts = sorted(s.amount for s in ex.stated if s.kind == "amount")
    assert amounts == [Decimal("350000000"), Decimal("500000000"), Decimal("500000000"),
                       Decimal("850000000")]


def test_named_regions_and_adjacent_place_names():
    ex = _ex("state-council-innovation-measures-2018-12-23.txt")
    assert {"京津冀", "珠三角", "合芜蚌", "成德绵"} <= set(ex.regions)
    assert "110000" in ex.regions["京津冀"].members
    assert {"210000", "210100"} <= set(ex.places)  # 辽宁沈阳, written as one word


def test_a_numbered_table_is_a_list_keeping_its_gaps_and_stated_count():
    ex = _ex("state-council-innovation-measures-2018-12-23.txt")
    (table,) = [x for x in ex.lists if x.heading == "第二批支持创新相关改革举措推广清单"]
    assert table.item_class == "ReformItem" and table.stated_count == 23
    assert [i.ordinal for i in table.items] == [*range(1, 15), 21, 22, 23]
    assert table.items[0].text == "知识产权民事、刑事、行政案件“三合一”审判"
    assert table.items[-1].text == "以地方立法形式建立推动改革创新的决策容错机制"
    text = ex.text
    assert all(text[i.evidence[0].start:i.evidence[0].end] == i.text for i in table.items)


PAGE = """<html><head><meta charset="gbk"><title>某网站</title><script>var a=1;</script></head>
<body><div class="nav">首页 &gt; 政策</div>
<h1>国务院办公厅关于开展某某试点工作的通知</h1><p>国办函〔2020〕12号</p>
<p>各省、自治区、直辖市人民政府：</p>
<p>为贯彻落实《国务院关于投资体制改革的决定》，现就有关事项通知如下。</p>
<p>一、总体要求</p><p>（一）指导思想。到2025年，基本建成体系。</p><p>（二）工作目标。总投资5亿元。</p>
<p>二、保障措施</p><p>国务院办公厅</p><p>2020年3月5日</p>
<div>扫一扫在手机打开当前页</div></body></html>"""


def test_an_html_page_in_gbk_end_to_end(tmp_path):
    from policykg.build import build_one
    from policykg.validate import validate

    page = tmp_path / "notice.html"
    page.write_bytes(PAGE.encode("gbk"))
    doc = build_one(page)
    assert doc.error is None
    ex = doc.extraction
    d = ex.document
    assert d.title == "国务院办公厅关于开展某某试点工作的通知" and d.genre == "通知"
    assert d.number == "国办函〔2020〕12号" and d.issued.value == "2020-03-05"
    assert [ex.orgs[k].zh for k in d.issuers] == ["国务院办公厅"]
    assert [ex.orgs[k].zh for k in d.addressees] == ["各省、自治区、直辖市人民政府"]
    assert [c.legal_basis for c in ex.citations] == [True]
    assert {s.kind for s in ex.stated} == {"target", "amount"}
    assert "某网站" not in ex.text and "首页" not in ex.text
    assert validate(doc.graph).conforms


def test_items_listed_under_grouped_sub_sections_form_one_list():
    ex = _ex("state-council-innovation-measures-2018-12-23.txt")
    (lst,) = [x for x in ex.lists if x.heading == "推广的改革举措（共23项）"
              and x.item_class != "Section"]
    assert lst.item_class == "ReformItem" and lst.stated_count == 23
    assert len(lst.items) == 17  # 5 + 4 + 5 + 0 (军民深度融合方面6项 names none) + 3
    assert lst.items[0].text == "知识产权民事、刑事、行政案件“三合一”审判"
    assert lst.items[-1].text == "以地方立法形式建立推动改革创新的决策容错机制"
    assert all(ex.text[i.evidence[0].start:i.evidence[0].end] == i.text for i in lst.items)


def test_a_garbled_portal_number_does_not_make_the_document_cite_itself():
    """发文字号 garbled on the portal (a stray 《), the number clean in the body: the document
    has one number, and its own number is not read as a cited document."""
    from policykg.build import build_data
    from policykg.validate import validate

    text = (CORPUS / "zero-waste-city-pilot-plan-2018-12-29.txt").read_text(encoding="utf-8")
    garbled = text.replace("发文字号：国办发〔2018〕128号", "发文字号：国《办发〔2018〕128号")
    assert garbled != text
    doc = build_data(garbled.encode("utf-8"), CORPUS / "x.txt")
    assert validate(doc.graph).conforms
    ex = extract(normalise(garbled.encode("utf-8"), "x"))
    assert ex.document.number == "国办发〔2018〕128号"
    assert not any(d.number == "国办发〔2018〕128号" for d in ex.documents.values()
                   if d.key != ex.document.key)


def test_the_organisation_index_is_each_documents_own() -> None:
    """The index is built once per province and reused: what one document adds to it (an
    alias it defines, a body the termbase lacks) must not reach the next document."""
    from policykg.extract.orgs import build_org_index
    from policykg.gazetteer import load_gazetteer
    from policykg.segment import Segmentation
    from policykg.termbase import OrgEntry, load_termbase

    gz, tb = load_gazetteer(), load_termbase()
    text = "改革办会同财政部开展工作"
    first = build_org_index(tb, gz, "510000", {"改革办": "国家发展和改革委员会"})
    assert [m.name for m in first.find(text, Segmentation(text))][:2] == ["改革办", "财政部"]
    first.entries["org/invented"] = OrgEntry(key="org/invented", zh="某某中心", en="",
                                              en_source="")
    second = build_org_index(tb, gz, "510000", {})
    assert [m.name for m in second.find(text, Segmentation(text))] == ["财政部"]
    assert "org/invented" not in second.entries
    assert second.resolve("国家发展和改革委员会") is not None
