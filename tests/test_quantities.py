"""Percentages and ranges: typed quantities with their bounds, on the target they belong to."""

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
    ("比上年提高5个百分点。", []),
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
    got = [(q.evidence[0].quote, q.min_value) for q in ex.quantities]
    assert got == [("95%以上", D(95)), ("75%以上", D(75)), ("85%以上", D(85)), ("80%以上", D(80))]
    targets = {(t.evidence[0].start, t.evidence[0].end): t for t in ex.stated
               if t.kind == "target"}
    for q in ex.quantities:
        assert targets[q.target].deadline.value == "2020"
