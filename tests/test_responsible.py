"""Responsible bodies: the parenthesis after a task (（X牵头，Y、Z参与）, （…按职责分工负责）,
（…指导）) and table columns (牵头部门, 指导部门) become role links on the task, section or item,
each with its evidence."""

from __future__ import annotations

from conftest import CORPUS
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import SKOS

from policykg.extract import extract
from policykg.mapping import to_graph
from policykg.normalise import normalise
from policykg.validate import validate
from policykg.vocab import OA, PKG

PLAN = """国务院办公厅关于印发某某改革试点实施方案的通知
国办发〔2030〕9号
各省、自治区、直辖市人民政府：
一、主要任务
（一）完善土地政策。建立城乡统一的建设用地市场，健全交易规则。（自然资源部牵头，国家发展改革委、财政部等参与）
推进宅基地制度改革，探索有偿退出办法。（自然资源部、农业农村部按职责分工负责）
（二）加强资金保障（财政部负责）
（三）强化监测评估。建立监测指标体系。（以下简称“指标体系”）统计口径另行规定（试点城市政府负责）。
完善评价办法（含国家发展改革委）。
国务院办公厅
2030年1月5日
"""


def _extract(text: str, name: str = "t.txt"):
    return extract(normalise(text.encode("utf-8"), name))


def _duties(task):
    return [(d.role, d.org) for d in task.duties]


def test_parenthesis_after_a_task_gives_lead_and_participants():
    ex = _extract(PLAN)
    first = ex.tasks[0]
    assert first.text == "建立城乡统一的建设用地市场，健全交易规则"
    assert _duties(first) == [("lead", "mnr"), ("participant", "ndrc"), ("participant", "mof")]
    # 国家发展改革委 is a short form of 国家发展和改革委员会: resolved, with the written quote
    quotes = [d.evidence.quote for d in first.duties]
    assert quotes == ["自然资源部", "国家发展改革委", "财政部"]


def test_second_task_of_a_section_starts_after_the_first_parenthesis():
    ex = _extract(PLAN)
    second = ex.tasks[1]
    assert second.text == "推进宅基地制度改革，探索有偿退出办法"
    assert _duties(second) == [("responsible", "mnr"), ("responsible", "mara")]
    assert second.section == ex.tasks[0].section  # both in （一）


def test_bodies_right_after_a_heading_go_on_the_section():
    ex = _extract(PLAN)
    on_section = [t for t in ex.tasks if t.on_section]
    assert len(on_section) == 1
    assert _duties(on_section[0]) == [("responsible", "mof")]
    lst_key, n = on_section[0].section
    lst = next(x for x in ex.lists if x.key == lst_key)
    assert next(i.text for i in lst.items if i.ordinal == n).startswith("加强资金保障")


def test_parentheses_that_name_no_duty_are_not_read():
    # an alias, a generic subject (试点城市政府 is no body), and a body without a role word
    ex = _extract(PLAN)
    assert len(ex.tasks) == 3
    assert not any("指标体系" in t.text or "评价办法" in t.text for t in ex.tasks)


def test_a_sentence_in_parentheses_is_not_a_list_of_bodies():
    text = ("国务院关于某事的通知\n"
            "加快项目建设（由国家发展改革委会同有关方面研究制定办法后负责）。\n")
    assert _extract(text).tasks == []


def test_tasks_in_the_graph_carry_role_links_with_evidence():
    ex = _extract(PLAN)
    g = to_graph(ex)
    tasks = set(g.subjects(RDF.type, PKG.Task))
    assert len(tasks) == 2
    label = Literal("建立城乡统一的建设用地市场，健全交易规则", lang="zh")
    task = next(t for t in tasks if (t, SKOS.prefLabel, label) in g)
    lead = URIRef("https://w3id.org/policykg/id/org/mnr")
    assert (task, PKG.leadBody, lead) in g
    assert (task, PKG.participatingBody, URIRef("https://w3id.org/policykg/id/org/ndrc")) in g
    assert (task, PKG.statedIn, None) in g and (task, PKG.definedIn, None) in g
    # the link is also a reified assertion whose evidence quotes the body in the parenthesis
    (a,) = [a for a in g.subjects(RDF.predicate, PKG.leadBody) if (a, RDF.subject, task) in g]
    ev = g.value(a, PKG.evidence)
    quote = next(s for s in g.objects(ev, OA.hasSelector)
                 if (s, RDF.type, OA.TextQuoteSelector) in g)
    assert str(g.value(quote, OA.exact)) == "自然资源部"
    # the section carries its own duty
    section = next(s for s in g.subjects(PKG.responsibleBody,
                                         URIRef("https://w3id.org/policykg/id/org/mof")))
    assert (section, RDF.type, PKG.Section) in g
    report = validate(g)
    assert report.conforms, report.text()


def test_table_column_of_lead_bodies():
    text = ("国务院办公厅关于推广某某经验的通知\n"
            "序号 | 改革举措 | 牵头部门 | 推广范围\n"
            "1 | 专利快速审查机制 | 国家知识产权局、最高人民法院 | 全国\n"
            "2 | 科技成果转化机制 | 科技部 | 全国\n")
    ex = _extract(text)
    rows = {t.item[1]: _duties(t) for t in ex.tasks if t.item}
    assert rows == {1: [("lead", "cnipa"), ("lead", "supreme-peoples-court")],
                    2: [("lead", "most")]}
    g = to_graph(ex)
    most = URIRef("https://w3id.org/policykg/id/org/most")
    item = next(s for s in g.subjects(PKG.leadBody, most))
    assert (item, PKG.ordinal, None) in g and (item, PKG.inList, None) in g


def test_zero_waste_plan_has_a_task_for_each_of_its_39_parentheses():
    path = CORPUS / "zero-waste-city-pilot-plan-2018-12-29.txt"
    ex = extract(normalise(path.read_bytes(), path.name))
    assert len(ex.tasks) == 39  # the reader's count, half-width brackets included
    first = ex.tasks[0]
    assert _duties(first)[:2] == [("lead", "mee"), ("participant", "ndrc")]
    assert {o for _, o in _duties(first)} == {"mee", "ndrc", "miit", "mohurd", "mara", "nbs"}
    # （商务部指导，供销合作总社参与）: two roles in one parenthesis
    assert any(_duties(t) == [("guide", "mofcom"), ("participant", "acfsmc")] for t in ex.tasks)
    # 生态环境部门 (environment authorities in general) is never taken for 生态环境部
    assert all(ex.text[d.evidence.end] != "门" for t in ex.tasks for d in t.duties)


def test_innovation_list_rows_carry_their_guiding_bodies():
    path = CORPUS / "state-council-innovation-measures-2018-12-23.txt"
    ex = extract(normalise(path.read_bytes(), path.name))
    rows = {t.item[1]: [o for _, o in _duties(t)] for t in ex.tasks if t.item}
    assert sorted(rows) == [*range(1, 15), 21, 22, 23]  # 15–20 are not in the abridged text
    assert rows[6] == ["most", "ndrc", "mof", "cnipa", "moe", "sasac", "cas", "moj"]
    assert rows[23] == ["ndrc", "sasac", "nao"]
    assert all(d.role == "guide" for t in ex.tasks for d in t.duties)
