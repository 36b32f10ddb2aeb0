"""A cover notice and the plan it issues (印发…的通知 followed by the plan), and attachments
given in full (附件：X): two linked documents, each with its own title."""

from __future__ import annotations

from conftest import CORPUS
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCTERMS

from policykg.extract import extract
from policykg.mapping import to_graph
from policykg.normalise import normalise
from policykg.validate import validate
from policykg.vocab import PKG

COVER = """国务院办公厅关于印发“某某”改革试点实施方案的通知
国办发〔2030〕3号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
《“某某”改革试点实施方案》已经国务院同意，现印发给你们，请认真贯彻执行。
国务院办公厅
2030年1月2日
（此件公开发布）
“某某”改革试点实施方案
一、总体要求
（一）指导思想。深入推进改革。
（二）工作目标。到2032年，形成一批可复制推广的经验。
二、主要任务
（一）完善制度。健全标准体系。（市场监管总局负责）
"""


def _ex(text: str):
    return extract(normalise(text.encode("utf-8"), "t.txt"))


def test_cover_notice_and_its_plan_are_two_linked_documents():
    ex = _ex(COVER)
    assert ex.document.title == "国务院办公厅关于印发“某某”改革试点实施方案的通知"
    (key,) = ex.document.attachments
    plan = ex.documents[key]
    assert plan.title == "“某某”改革试点实施方案"
    assert plan.genre == "方案"
    line = COVER.index("“某某”改革试点实施方案\n一、")
    assert any(e.start == line and e.quote == plan.title for e in plan.evidence)
    # the notice also cites it by its 《》 title: one document, not two
    assert {c.cited for c in ex.citations} == {key}


def test_what_follows_the_plan_title_is_defined_in_the_plan():
    ex = _ex(COVER)
    (key,) = ex.document.attachments
    assert ex.lists and {lst.defined_in for lst in ex.lists} == {key}
    g = to_graph(ex)
    notice = URIRef(f"https://w3id.org/policykg/id/doc/{ex.document.key}")
    plan = URIRef(f"https://w3id.org/policykg/id/doc/{key}")
    assert (notice, PKG.attachment, plan) in g
    assert (plan, DCTERMS.title, Literal("“某某”改革试点实施方案", lang="zh")) in g
    assert (notice, DCTERMS.title, Literal(ex.document.title, lang="zh")) in g
    # the link is read from the text: a reified assertion with the plan's title line
    (a,) = g.subjects(RDF.predicate, PKG.attachment)
    assert (a, PKG.evidence, None) in g
    (task,) = g.subjects(RDF.type, PKG.Task)
    assert g.value(task, PKG.definedIn) == plan
    assert (notice, PKG.issued, None) in g and (plan, PKG.issued, None) not in g
    report = validate(g)
    assert report.conforms, report.text()


def test_a_cover_notice_without_the_plan_in_its_text_attaches_nothing():
    text = COVER.split("（此件公开发布）")[0]
    ex = _ex(text)
    assert ex.document.attachments == []
    assert {lst.defined_in for lst in ex.lists} <= {ex.document.key}


def test_attachment_given_in_full_after_the_signature():
    text = ("国务院办公厅关于推广某某经验的通知\n国办发〔2030〕5号\n"
            "各省、自治区、直辖市人民政府：\n现将经验推广清单印发给你们。\n"
            "附件：某某经验推广清单\n国务院办公厅\n2030年2月1日\n"
            "附件\n某某经验推广清单\n序号 | 改革举措 | 指导部门\n"
            "1 | 专利快速审查 | 国家知识产权局\n2 | 科技成果转化 | 科技部\n")
    ex = _ex(text)
    (key,) = ex.document.attachments
    assert ex.documents[key].title == "某某经验推广清单"
    table = next(lst for lst in ex.lists if lst.items and lst.items[0].text == "专利快速审查")
    assert table.defined_in == key


def test_zero_waste_notice_carries_its_plan():
    path = CORPUS / "zero-waste-city-pilot-plan-2018-12-29.txt"
    ex = extract(normalise(path.read_bytes(), path.name))
    (key,) = ex.document.attachments
    plan = ex.documents[key]
    assert plan.title == "“无废城市”建设试点工作方案"
    assert plan.issued is None  # the plan has no date of its own
    assert ex.document.issued.value == "2018-12-29"
    # the plan's four parts and their sub-sections are the plan's
    parts = next(lst for lst in ex.lists if lst.heading == "正文")
    assert parts.defined_in == key
    assert [i.text for i in parts.items] == ["总体要求", "主要任务", "实施步骤", "保障措施"]
