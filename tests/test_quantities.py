"""Percentages, ranges, counts and measures: typed quantities with their bounds, on the target
they belong to; a count with what it counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import CORPUS
from rdflib import RDF, Literal, Namespace

from policykg.extract import extract
from policykg.mapping import to_graph
from policykg.normalise import normalise
from policykg.validate import validate
from policykg.vocab import PKG

# A plain Namespace: rdflib's defined XSD namespace warns when pytest probes its attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
HEAD = "国务院关于推进某项改革的意见\n"


def _extract(body: str):
    return extract(normalise((HEAD + body + "\n").encode("utf-8"), "t.txt"))


def _q(body: str):
    return [(q.evidence[0].quote, q.unit, q.value, q.min_value, q.max_value)
            for q in _extract(body).quantities]


D = Decimal


@pytest.mark.parametrize("body,expected", [
    ("农作物耕种收综合机械化率达到75%以上。", [("75%以上", "%", None, D(75), None)]),
    ("地方财政补助比例为60%—70%。", [("60%—70%", "%", None, D(60), D(70))]),
    ("补助比例为60-70%。", [("60-70%", "%", None, D(60), D(70))]),
    ("覆盖率达到百分之九十五。", [("百分之九十五", "%", D(95), None, None)]),
    ("用于农业农村的比例不低于百分之十。", [("百分之十", "%", None, D(10), None)]),
    ("单个项目补助不超过50%。", [("50%", "%", None, None, D(50))]),
    ("综合利用率提高到92.5%。", [("92.5%", "%", D("92.5"), None, None)]),
    ("每个县补助1000万—2000万元。", [("1000万—2000万元", "元", None, D(10**7), D(2 * 10**7))]),
    ("每个县补助1000—2000万元。", [("1000—2000万元", "元", None, D(10**7), D(2 * 10**7))]),
    # percentage points are not a percentage
    ("比上年提高5个百分点。", [("5个百分点", "百分点", D(5), None, None)]),
])
def test_quantities(body, expected):
    assert _q(body) == expected


def test_a_money_range_is_not_also_an_amount():
    ex = _extract("每个县补助1000万—2000万元，另安排5亿元专项资金。")
    assert [str(s.amount) for s in ex.stated if s.kind == "amount"] == ["500000000"]


def test_quantity_on_its_dated_target_in_the_graph():
    ex = _extract("一、主要目标\n到2025年，秸秆综合利用率达到86%以上，地膜回收率达到80%—85%。")
    g = to_graph(ex)
    (target,) = g.subjects(RDF.type, PKG.Target)
    qs = set(g.objects(target, PKG.hasQuantity))
    assert len(qs) == 2
    lows = sorted(g.value(q, PKG.minValue) for q in qs)
    assert lows == [Literal("80", datatype=XSD.decimal), Literal("86", datatype=XSD.decimal)]
    for q in qs:
        assert (q, RDF.type, PKG.StatedQuantity) in g
        assert g.value(q, PKG.unit) == Literal("%")
        assert (q, PKG.evidence, None) in g
        assert (g.value(q, PKG.statedIn), RDF.type, PKG.Section) in g
    assert not list(g.subjects(PKG.amount, None))  # percentages are not amounts
    report = validate(g)
    assert report.conforms, report.text()


def test_zero_waste_plan_percentages_belong_to_their_2020_targets():
    path = CORPUS / "zero-waste-city-pilot-plan-2018-12-29.txt"
    ex = extract(normalise(path.read_bytes(), path.name))
    percentages = [q for q in ex.quantities if q.unit == "%"]
    got = [(q.evidence[0].quote, q.min_value) for q in percentages]
    assert got == [("95%以上", D(95)), ("75%以上", D(75)), ("85%以上", D(85)), ("80%以上", D(80))]
    targets = {(t.evidence[0].start, t.evidence[0].end): t for t in ex.stated
               if t.kind == "target"}
    for q in percentages:
        assert targets[q.target].deadline.value == "2020"


def _counts(body: str):
    return [(q.evidence[0].quote, q.unit, q.value, q.min_value, q.max_value, q.counted,
             q.approximate) for q in _extract(body).quantities if q.unit not in ("%", "元")]


@pytest.mark.parametrize("body,expected", [
    ("对你省近期上报的45个食品加工业项目，抓紧研究。",
     [("45个", "个", D(45), None, None, "食品加工业项目", False)]),
    ("在全国范围内选择10个左右有条件的城市。", [("10个左右", "个", D(10), None, None, None, True)]),
    ("形成10余条经验在全国推广。", [("10余条", "条", None, D(10), None, "经验", False)]),
    ("国家计划外的13万公顷退耕还林补贴。",
     [("13万公顷", "公顷", D(130000), None, None, None, False)]),
    ("粮食播种面积稳定在4200万亩以上。",
     [("4200万亩以上", "亩", None, D(42000000), None, None, False)]),
    ("禁止使用厚度低于0.01毫米的地膜。",
     [("0.01毫米", "毫米", None, None, D("0.01"), None, False)]),
    ("落实新一轮千亿斤粮食产能提升任务。", [("千亿斤", "斤", D(10**11), None, None, None, False)]),
    ("第二轮土地承包到期后再延长三十年。", [("三十年", "年", D(30), None, None, None, False)]),
    ("确定试验区8个县(市、区)开展试点。", [("8个", "个", D(8), None, None, "县", False)]),
    ("确定四川成都西部片区等11个片区作为试验区。",
     [("11个", "个", D(11), None, None, "片区", False)]),
    # not counts: dates, ordinals, slogans, an article, years written in numerals, money
    ("2025年底前，第二批试点启动。", []),
    ("协调推进“四个全面”战略布局。", []),
    ("建立一个中心。", []),
    ("二〇二五年一月一日印发。", []),
    ("另安排5亿元专项资金。", []),
])
def test_counts_and_measures(body, expected):
    assert _counts(body) == expected


def test_counts_in_the_graph_say_what_they_count():
    ex = _extract("一、水环境保护\n共191个水环境保护项目，选择10个左右城市试点。")
    g = to_graph(ex)
    by_value = {str(g.value(q, PKG.value)): q for q in g.subjects(RDF.type, PKG.StatedQuantity)}
    assert set(by_value) == {"191", "10"}
    assert g.value(by_value["191"], PKG.counts) == Literal("水环境保护项目", lang="zh")
    assert g.value(by_value["191"], PKG.unit) == Literal("个")
    assert g.value(by_value["10"], PKG.approximate) == Literal(True)
    assert g.value(by_value["191"], PKG.approximate) is None
    report = validate(g)
    assert report.conforms, report.text()


def test_the_2004_reply_counts_its_projects():
    """The counts the gold lists for the 2004 reply, each with what it counts."""
    path = CORPUS / "state-council-reply-sichuan-2004-10-15.txt"
    ex = extract(normalise(path.read_bytes(), path.name))
    got = {(q.evidence[0].quote, q.counted) for q in ex.quantities}
    assert {("45个", "食品加工业项目"), ("191个", "水环境保护项目"),
            ("228个", "水环境保护项目"), ("13万公顷", None), ("60万吨", None)} <= got
