"""Documents of kinds the bundled corpus does not have: a State Council approval (批复)
addressed to four provincial governments, and an autonomous region's and a municipality's
own documents. Their bodies are named in their own province's wording, bodies written as a
series of places sharing one suffix are each found, a collective alias (以下统称《方案》) is
no document of its own, and a numbered paragraph with a long first sentence is a section."""

from __future__ import annotations

import pytest
from rdflib import RDF

from policykg.extract import extract
from policykg.gazetteer import load_gazetteer
from policykg.mapping import to_graph
from policykg.normalise import normalise
from policykg.termbase import load_termbase
from policykg.validate import validate
from policykg.vocab import PKG

APPROVAL = """国务院关于同意在天津、上海、海南、重庆开展服务业扩大开放综合试点的批复
国函〔2021〕37号
天津市、上海市、海南省、重庆市人民政府，商务部：
　　你们关于开展服务业扩大开放综合试点的请示收悉。现批复如下：
　　一、同意在天津市、上海市、海南省、重庆市开展服务业扩大开放综合试点。原则同意《天津市服务业扩大开放综合试点总体方案》、《上海市服务业扩大开放综合试点总体方案》、《海南省服务业扩大开放综合试点总体方案》和《重庆市服务业扩大开放综合试点总体方案》（以下统称《方案》），请认真组织实施。
　　二、试点工作要以习近平新时代中国特色社会主义思想为指导，全面贯彻党的十九大和十九届二中、三中、四中、五中全会精神，按照《国务院关于推进贸易高质量发展的指导意见》（国发〔2019〕23号）要求，坚持稳中求进工作总基调。
　　三、天津市、上海市、海南省、重庆市人民政府要加强组织领导，认真落实《方案》明确的各项任务。
　　四、需要调整现行行政法规的，按规定程序办理。
国务院
2021年4月9日
"""


def _extract(text: str):
    return extract(normalise(text.encode("utf-8"), "t.txt"))


@pytest.fixture(scope="module")
def approval():
    return _extract(APPROVAL)


def test_each_government_of_a_series_is_an_addressee(approval):
    zh = {approval.orgs[k].zh for k in approval.document.addressees}
    assert zh == {"天津市人民政府", "上海市人民政府", "海南省人民政府", "重庆市人民政府", "商务部"}
    # the place's name alone is no alias of its government
    assert "天津市" not in approval.orgs["provincial-government-tian-jin"].aliases_zh


def test_a_collective_alias_is_no_document_and_cites_each_member(approval):
    titles = {d.title for d in approval.documents.values()}
    assert "方案" not in titles
    plans = {d.key for d in approval.documents.values() if d.title.endswith("总体方案")}
    assert len(plans) == 4
    cited = [c.cited for c in approval.citations if c.evidence.quote == "《方案》"]
    assert sorted(cited) == sorted(plans)  # the later 《方案》 cites all four


def test_a_numbered_paragraph_with_a_long_first_sentence_is_a_section(approval):
    (body,) = [x for x in approval.lists if x.item_class == "Section"]
    assert [i.ordinal for i in body.items] == [1, 2, 3, 4]
    # its leading clauses, as many as fit a heading's 80 characters
    assert body.items[1].text == ("试点工作要以习近平新时代中国特色社会主义思想为指导，"
                                  "全面贯彻党的十九大和十九届二中、三中、四中、五中全会精神")


def test_the_approval_graph_passes_the_shapes(approval):
    g = to_graph(approval)
    report = validate(g)
    assert report.conforms, report.text()
    doc = next(g.subjects(PKG.documentNumber, None))
    assert len(set(g.objects(doc, PKG.addressee))) == 5
    assert (None, RDF.type, PKG.Organization) in g


@pytest.mark.parametrize("code,government,committee,relative,finance,education", [
    ("510000", "四川省人民政府", "中共四川省委", "省委", "四川省财政厅", "四川省教育厅"),
    ("120000", "天津市人民政府", "中共天津市委", "市委", "天津市财政局", "天津市教育委员会"),
    ("500000", "重庆市人民政府", "中共重庆市委", "市委", "重庆市财政局", "重庆市教育委员会"),
    ("450000", "广西壮族自治区人民政府", "中共广西壮族自治区委员会", "自治区党委",
     "广西壮族自治区财政厅", "广西壮族自治区教育厅"),
    ("540000", "西藏自治区人民政府", "中共西藏自治区委员会", "自治区党委",
     "西藏自治区财政厅", "西藏自治区教育厅"),
])
def test_provincial_bodies_in_the_wording_of_their_province(code, government, committee,
                                                            relative, finance, education):
    gz, tb = load_gazetteer(), load_termbase()
    d = gz.by_code[code]
    bodies = {e.key.rsplit("-x", 1)[0]: e for e, _ in
              tb.provincial_orgs(gz.province_short(code), gz.province_en(code), "x", d.zh)}
    assert bodies["provincial-government"].zh == government
    assert bodies["provincial-party-committee"].zh == committee
    assert relative in bodies["provincial-party-committee"].aliases_zh
    assert bodies["provincial-finance"].zh == finance
    assert bodies["provincial-education"].zh == education
    names = [n for e in bodies.values() for n in (e.zh, *e.aliases_zh)]
    if not d.zh.endswith("省"):  # no 省 wording outside a province
        assert not [n for n in names if "省" in n]


def test_english_of_municipal_and_autonomous_bodies():
    gz, tb = load_gazetteer(), load_termbase()
    en = {}
    for code in ("120000", "450000"):
        for e, _ in tb.provincial_orgs(gz.province_short(code), gz.province_en(code), code,
                                       gz.by_code[code].zh):
            en[e.zh] = e.en
    assert en["天津市人民政府"] == "Tianjin Municipal People's Government"
    assert en["天津市财政局"] == "Tianjin Municipal Bureau of Finance"
    assert en["中共广西壮族自治区委员会"] == "CPC Guangxi Zhuang Autonomous Regional Committee"
    assert en["广西壮族自治区财政厅"] == \
        "Department of Finance of Guangxi Zhuang Autonomous Region"


def test_a_special_administrative_region_has_no_provincial_bodies():
    gz, tb = load_gazetteer(), load_termbase()
    assert tb.provincial_orgs("香港", gz.province_en("810000"), "x", "香港特别行政区") == []


def test_an_autonomous_regions_document_resolves_its_relative_names():
    ex = _extract("""广西壮族自治区人民政府办公厅关于加快发展现代农业的通知
桂政办发〔2023〕15号
各市、县人民政府，自治区人民政府各组成部门：
　　经自治区人民政府同意，现将有关事项通知如下。
　　一、稳定粮食生产。（自治区农业农村厅牵头，自治区财政厅、自治区发展改革委参与）
""")
    zh = {o.zh for o in ex.orgs.values()}
    assert {"广西壮族自治区人民政府", "广西壮族自治区农业农村厅", "广西壮族自治区财政厅",
            "广西壮族自治区发展和改革委员会"} <= zh
    (task,) = ex.tasks
    roles = {(d.role, ex.orgs[d.org].zh) for d in task.duties}
    assert ("lead", "广西壮族自治区农业农村厅") in roles
    assert ("participant", "广西壮族自治区财政厅") in roles


NPC_REPLY = """关于十四届全国人大二次会议第5678号建议的答复
农办议〔2024〕112号
王某某代表：
　　您提出的关于支持西部地区高标准农田建设的建议收悉。经商财政部、自然资源部，现答复如下：
　　一、关于加大资金投入
　　2023年，中央财政安排农田建设补助资金1000亿元以上，支持新建高标准农田8000万亩。
　　二、关于完善建后管护机制
　　指导重庆市、四川省、贵州省等地建立管护制度。
农业农村部
2024年7月1日
"""


def test_a_reply_to_an_npc_deputys_suggestion():
    """Its issuer and date come from the signature (the title names neither); the
    suggestion it answers is an NPC 建议 with its title as the letter writes it."""
    ex = _extract(NPC_REPLY)
    doc = ex.document
    assert doc.issued.value == "2024-07-01"
    assert [ex.orgs[k].zh for k in doc.issuers] == ["农业农村部"]
    issuer_ev = ex.orgs[doc.issuers[0]].evidence
    signature = ex.text.rindex("农业农村部\n2024年")
    assert signature in {e.start for e in issuer_ev}
    pr = ex.proposal
    assert (pr.number, pr.kind, pr.category_number) == ("5678", "建议", None)
    assert pr.session == "十四届全国人大二次会议"
    assert pr.title == "关于支持西部地区高标准农田建设的建议"
    assert ex.orgs[pr.submitted_to].zh == "第十四届全国人民代表大会"
    # no organisation is made of the title's words
    assert not [o for o in ex.orgs.values() if o.zh.startswith("关于")]
    report = validate(to_graph(ex))
    assert report.conforms, report.text()


def test_a_signature_line_that_is_a_sentence_is_no_issuer():
    ex = _extract("关于某项工作的通知\n各有关单位：\n现将有关事项通知如下，请遵照执行。\n"
                  "2024年7月1日\n")
    assert ex.document.issuers == [] and ex.document.issued is None


def test_a_municipal_document_in_its_own_wording():
    ex = _extract("""中共重庆市委办公厅 重庆市人民政府办公厅关于推进城乡融合发展的实施意见
渝委办发〔2022〕5号
各区县（自治县）党委和人民政府，市委各部委，市级国家机关各部门：
　　经市委、市政府同意，提出如下实施意见。
　　一、主要目标
　　到2025年，全市常住人口城镇化率达到72%左右。
　　二、重点任务
　　（一）推进户籍制度改革。（市公安局牵头，市发展改革委、市财政局配合）
""")
    assert [ex.orgs[k].zh for k in ex.document.issuers] == ["中共重庆市委办公厅",
                                                            "重庆市人民政府办公厅"]
    # 市委各部委 are the bodies under the committee, not the committee
    assert "provincial-party-committee-chong-qing" not in ex.document.addressees
    zh = {o.zh for o in ex.orgs.values()}
    assert {"中共重庆市委", "重庆市人民政府", "重庆市公安局", "重庆市发展和改革委员会",
            "重庆市财政局"} <= zh
    (q,) = ex.quantities
    assert (q.evidence[0].quote, q.value, q.approximate) == ("72%左右", 72, True)


def test_a_cppcc_proposal_written_without_the_ordinals_di():
    ex = _extract("关于政协十四届全国委员会第二次会议第01234号（农业水利类123号）提案答复的函\n"
                  "水利部\n2024年8月1日\n")
    pr = ex.proposal
    assert (pr.number, pr.category_number, pr.kind) == ("01234", "农业水利类123号", "提案")
    assert ex.orgs[pr.submitted_to].zh == "中国人民政治协商会议第十四届全国委员会"
    assert [ex.orgs[k].zh for k in ex.document.issuers] == ["水利部"]
