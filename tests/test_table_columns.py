"""Table columns as properties: a row is a list item, and its other columns become facts of
that item — 主要内容 a description, 推广范围 a scope with the places it names, 完成时限 a
deadline — and any column with no property of its own a pkg:TableCell under its header.
Every value points at the cell it was read from."""

from __future__ import annotations

from conftest import CORPUS
from rdflib import RDF, Graph, Literal, URIRef

from policykg.extract import extract
from policykg.mapping import to_graph
from policykg.normalise import normalise
from policykg.validate import validate
from policykg.vocab import OA, PKG

INNOVATION = CORPUS / "state-council-innovation-measures-2018-12-23.txt"

# An invented plan whose table has a scope naming places, a deadline and a column policykg
# has no property for (备注).
PLAN = "\n".join([
    "四川省人民政府办公厅关于印发某某改革任务清单的通知",
    "序号 | 改革任务 | 具体内容 | 牵头部门 | 试点范围 | 完成时限 | 备注",
    "1 | 推进农村承包地确权登记 | 完成承包地确权登记颁证。 | 农业农村部"
    " | 四川省成都市、重庆市 | 2019年6月底前 | 已部署",
    "2 | 开展集体经营性建设用地入市试点 | 探索入市收益分配办法。 | 自然资源部"
    " | 全省 | 持续推进 | 新增",
    ""])


def _extract(text: str, name: str = "t.txt"):
    return extract(normalise(text.encode("utf-8"), name))


def _quoted(g: Graph, node: URIRef) -> set[str]:
    """The exact quotes of a node's evidence."""
    return {str(g.value(sel, OA.exact))
            for ev in g.objects(node, PKG.evidence)
            for sel in g.objects(ev, OA.hasSelector) if g.value(sel, OA.exact)}


def _asserted_quotes(g: Graph, s: URIRef, p: URIRef, o) -> set[str]:
    """The quotes of the reified assertion of (s, p, o)."""
    out: set[str] = set()
    for a in g.subjects(RDF.subject, s):
        if (a, RDF.predicate, p) in g and (a, RDF.object, o) in g:
            out |= _quoted(g, a)
    return out


def test_innovation_rows_carry_description_and_scope_with_their_cells():
    ex = extract(normalise(INNOVATION.read_bytes(), INNOVATION.name))
    items = [it for lst in ex.lists for it in lst.items if it.cells]
    assert sorted(it.ordinal for it in items) == [*range(1, 15), 21, 22, 23]
    for it in items:
        kinds = [c.kind for c in it.cells]
        assert kinds == ["description", "scope"], (it.ordinal, kinds)
        for c in it.cells:  # the evidence is the cell, exactly
            assert ex.text[c.evidence.start:c.evidence.end] == c.text
            assert c.text and "|" not in c.text
    first = next(it for it in items if it.ordinal == 1)
    assert first.cells[0].text.startswith("整合分散的审判资源")
    assert first.cells[0].text.endswith("缩短审判周期。")
    assert first.cells[1].text == "全国"


def test_innovation_graph_states_each_description_once_with_evidence():
    ex = extract(normalise(INNOVATION.read_bytes(), INNOVATION.name))
    g = to_graph(ex)
    described = list(g.subject_objects(PKG.description))
    assert len(described) == 17 and len({s for s, _ in described}) == 17
    for item, text in described:
        assert text.language == "zh"
        assert (item, RDF.type, PKG.ReformItem) in g
        assert _asserted_quotes(g, item, PKG.description, text) == {str(text)}
    scopes = {str(o) for o in g.objects(None, PKG.scope)}
    assert "全国" in scopes
    report = validate(g)
    assert report.conforms, report.text()


def test_scope_places_deadline_and_other_columns():
    ex = _extract(PLAN)
    lst = next(lst for lst in ex.lists if lst.items and lst.items[0].cells)
    one, two = lst.items
    assert [(c.column, c.kind) for c in one.cells] == [
        ("具体内容", "description"), ("试点范围", "scope"),
        ("完成时限", "deadline"), ("备注", "other")]
    assert sorted(code for code, _ in one.cells[1].places) == ["500000", "510100"]
    assert [c.text for c in two.cells] == ["探索入市收益分配办法。", "全省", "持续推进", "新增"]
    assert two.cells[1].places == []
    assert str(lst.deadlines[1]) != "" and 2 not in lst.deadlines  # 持续推进 holds no date

    g = to_graph(ex)
    item = next(s for s, o in g.subject_objects(PKG.description)
                if str(o) == "完成承包地确权登记颁证。")
    base = "https://w3id.org/policykg/id/place/"
    assert set(g.objects(item, PKG.appliesIn)) == {URIRef(base + "510100"),
                                                   URIRef(base + "500000")}
    for place in g.objects(item, PKG.appliesIn):
        assert _asserted_quotes(g, item, PKG.appliesIn, place) <= {"成都市", "重庆市"}
        assert _asserted_quotes(g, item, PKG.appliesIn, place)
    assert g.value(item, PKG.deadline) == Literal("2019-06", datatype=_gym())
    cells = {str(g.value(c, PKG.column)): g.value(c, RDF.value)
             for c in g.objects(item, PKG.tableCell)}
    assert cells == {"完成时限": Literal("2019年6月底前", lang="zh"),
                     "备注": Literal("已部署", lang="zh")}
    for c in g.objects(item, PKG.tableCell):
        assert (c, RDF.type, PKG.TableCell) in g
        assert _quoted(g, c) == {str(g.value(c, RDF.value))}
    # the lead body column stays a duty, not a cell
    assert not any(str(g.value(c, PKG.column)) == "牵头部门"
                   for c in g.objects(None, PKG.tableCell))
    report = validate(g)
    assert report.conforms, report.text()


def test_a_row_with_empty_cells_makes_no_empty_values():
    ex = _extract("某某通知\n序号 | 改革举措 | 主要内容 | 推广范围\n1 | 某项举措 |  | \n")
    (lst,) = [lst for lst in ex.lists if lst.items]
    assert lst.items[0].cells == []
    g = to_graph(ex)
    assert not list(g.objects(None, PKG.description))
    assert not list(g.objects(None, PKG.tableCell))


def _gym() -> URIRef:
    return URIRef("http://www.w3.org/2001/XMLSchema#gYearMonth")


def test_repeated_headers_keep_every_cell_and_the_graph_valid():
    ex = _extract("\n".join([
        "四川省人民政府办公厅关于印发某某改革任务清单的通知",
        "序号 | 改革任务 | 主要内容 | 具体内容 | 备注 | 备注",
        "1 | 某项改革任务 | 第一段内容 | 第二段内容 | 甲 | 乙", ""]))
    (lst,) = [lst for lst in ex.lists if lst.items]
    assert [c.kind for c in lst.items[0].cells] == ["description", "other", "other", "other"]
    g = to_graph(ex)
    values = sorted(str(g.value(c, RDF.value)) for c in g.objects(None, PKG.tableCell))
    assert values == ["乙", "甲", "第二段内容"]
    assert [str(o) for o in g.objects(None, PKG.description)] == ["第一段内容"]
    report = validate(g)
    assert report.conforms, report.text()


# ---- the shapes hold table columns to their form ---------------------------------------------


def _plan_graph() -> tuple[Graph, URIRef, URIRef]:
    """The plan's graph, its first row's item and that item's 备注 cell."""
    g = to_graph(_extract(PLAN))
    item = next(s for s, o in g.subject_objects(PKG.description)
                if str(o) == "完成承包地确权登记颁证。")
    cell = next(c for c in g.objects(item, PKG.tableCell) if str(g.value(c, PKG.column)) == "备注")
    return g, item, cell


def _violations(g: Graph) -> set[tuple[str, str | None, str]]:
    report = validate(g)
    return {(r.focus, r.path, r.constraint) for r in report.results if r.severity == "Violation"}


def test_two_descriptions_break_the_shape():
    g, item, _ = _plan_graph()
    g.add((item, PKG.description, Literal("另一段内容", lang="zh")))
    assert _violations(g) == {(str(item), str(PKG.description), "MaxCountConstraintComponent")}


def test_a_scope_without_language_breaks_the_shape():
    g, item, _ = _plan_graph()
    g.set((item, PKG.scope, Literal("全国")))
    assert (str(item), str(PKG.scope), "DatatypeConstraintComponent") in _violations(g)


def test_a_cell_without_header_or_evidence_breaks_the_shape():
    g, _, cell = _plan_graph()
    g.remove((cell, PKG.column, None))
    g.remove((cell, PKG.evidence, None))
    assert _violations(g) == {(str(cell), str(PKG.column), "MinCountConstraintComponent"),
                              (str(cell), str(PKG.evidence), "MinCountConstraintComponent")}


def test_applies_in_must_name_a_place():
    g, item, cell = _plan_graph()
    g.add((item, PKG.appliesIn, cell))
    assert _violations(g) == {(str(item), str(PKG.appliesIn), "ClassConstraintComponent")}


def test_the_column_table_is_well_formed():
    """Each header once, a known kind, and none that extract/responsible.py reads as bodies
    (a column cannot be both a duty and a property)."""
    from policykg.extract.responsible import column_role
    from policykg.tables import read_table

    rows = list(read_table("table_columns.tsv"))
    headers = [r["header"] for r in rows]
    assert len(headers) == len(set(headers)) and len(headers) >= 10
    assert {r["kind"] for r in rows} == {"description", "scope", "deadline"}
    assert not [h for h in headers if column_role(h)]


def test_a_row_number_written_again_starts_another_list():
    """Found by the hostile-document properties: a row repeated (a scraped page printed one
    twice, or two tables run together) gave one item IRI two descriptions and two scopes.
    Numbering that starts again starts a second list; each item keeps one of each."""
    lines = PLAN.split("\n")
    again = "1 | 另行推进的任务 | 另一内容。 | 农业农村部 | 全省 | 2020年底前 | 无"
    ex = _extract("\n".join([*lines[:3], again, *lines[3:]]))
    runs = [[(it.ordinal, it.text) for it in lst.items] for lst in ex.lists if lst.items]
    assert runs == [[(1, "推进农村承包地确权登记")],
                    [(1, "另行推进的任务"), (2, "开展集体经营性建设用地入市试点")]]
    g = to_graph(ex)
    report = validate(g)
    assert not [v for v in report.violations() if "issuer" not in v.message], report.text()
    items = set(g.subjects(PKG.ordinal, None))
    assert len(items) == 3
    for item in items:
        assert len(set(g.objects(item, PKG.description))) == 1
        assert len(set(g.objects(item, PKG.scope))) == 1
