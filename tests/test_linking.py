"""A cited document and its own full text are one entity when both are ingested: cited by
number, the same IRI; cited by title alone, the document's own graph says its number IRI is
owl:sameAs the title IRI, whichever is ingested first."""

from __future__ import annotations

from pathlib import Path

import pytest

from policykg.ingest import ingest
from policykg.store import OxigraphStore

DECISION = """国务院关于深化某某体制改革的决定
国发〔2030〕20号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
为深化某某体制改革，现作出如下决定。
一、总体要求
到2032年，基本建立新体制。
国务院
2030年7月16日
"""

BY_TITLE = """国务院办公厅关于落实某某改革有关问题的函
国办函〔2031〕5号
四川省人民政府：
请按照《国务院关于深化某某体制改革的决定》精神，抓紧研究办理。
国务院办公厅
2031年3月1日
"""

BY_NUMBER = """国家发展改革委关于某某项目的复函
发改投资〔2031〕9号
四川省发展改革委：
根据《国务院关于深化某某体制改革的决定》（国发〔2030〕20号），现函复如下。
国家发展改革委
2031年4月1日
"""

QUERY = """
PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?citing ?full WHERE {
  ?citing pkg:cites ?cited .
  ?g pkg:describes ?full .
  FILTER (?cited = ?full || EXISTS { ?full owl:sameAs ?cited })
}"""


def _write(tmp: Path, **docs: str) -> list[Path]:
    out = []
    for name, text in docs.items():
        p = tmp / f"{name}.txt"
        p.write_text(text, encoding="utf-8")
        out.append(p)
    return out


def _links(store: OxigraphStore) -> set[tuple[str, str]]:
    rows = store.query(QUERY)  # the default graph: the union of the document graphs
    return {(r["citing"].value.rsplit("/", 1)[1], r["full"].value.rsplit("/", 1)[1])
            for r in rows}


@pytest.mark.parametrize("order", [("decision", "by_title"), ("by_title", "decision")])
def test_cited_by_title_meets_its_full_text(tmp_path, order):
    files = dict(zip(("decision", "by_title"), _write(tmp_path, decision=DECISION,
                                                       by_title=BY_TITLE), strict=True))
    store = OxigraphStore(None)
    for name in order:  # either order: the link is in the cited document's own graph
        report = ingest([files[name]], store)
        assert not report.refused, report.refused
    assert _links(store) == {("guobanhan-2031-5", "guofa-2030-20")}


def test_cited_by_number_is_the_same_iri(tmp_path):
    store = OxigraphStore(None)
    report = ingest(_write(tmp_path, decision=DECISION, by_number=BY_NUMBER), store)
    assert not report.refused, report.refused
    assert _links(store) == {("fagaitouzi-2031-9", "guofa-2030-20")}
    rows = store.query("""PREFIX pkg: <https://w3id.org/policykg/ontology#>
        SELECT ?d WHERE { ?citing pkg:legalBasis ?d }""")
    assert [r["d"].value.rsplit("/", 1)[1] for r in rows] == ["guofa-2030-20"]


def test_a_document_never_cited_links_to_nothing(tmp_path):
    store = OxigraphStore(None)
    ingest(_write(tmp_path, decision=DECISION), store)
    assert _links(store) == set()
