"""Named towns (…镇, …乡, …街道): places without a code, within their county when the text
writes it, never read out of ordinary words."""

from __future__ import annotations

import pytest
from conftest import CORPUS
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import SKOS

from policykg.extract import extract
from policykg.mapping import to_graph
from policykg.normalise import normalise
from policykg.validate import validate
from policykg.vocab import PKG

HEAD = "国务院办公厅关于某项改革试点的通知\n"


def _towns(body: str) -> list[tuple[str, str | None]]:
    ex = extract(normalise((HEAD + body + "\n").encode("utf-8"), "t.txt"))
    return sorted((t.name, t.county) for t in ex.towns.values())


def test_towns_after_their_county_and_listed_after_the_first():
    got = _towns("支持四川省大竹县石河镇、周家镇和庙坝镇开展集体经营性建设用地入市试点。")
    assert got == [("周家镇", "511724"), ("庙坝镇", "511724"), ("石河镇", "511724")]


@pytest.mark.parametrize("body,name,county", [
    ("重庆市忠县新生街道探索宅基地制度改革。", "新生街道", "500233"),
    ("西藏自治区曲水县达嘎乡开展易地搬迁试点。", "达嘎乡", "540124"),
    ("在成都市郫都区唐昌镇召开现场会。", "唐昌镇", "510117"),
])
def test_town_with_its_county(body, name, county):
    assert _towns(body) == [(name, county)]


def test_town_written_alone_has_no_county():
    assert _towns("总结推广安仁镇的经验做法。") == [("安仁镇", None)]


@pytest.mark.parametrize("body", [
    "推进以县城为重要载体的城镇化建设，发挥县乡国土空间规划作用。",
    "推动人才入乡、深化城乡融合，建设特色小镇和中心镇。",
    "建立乡镇（街道）履职事项清单，加强文明乡风建设。",
    "稳妥有序推进村镇银行改革，以乡镇为单位开展试点。",
    "大竹县加快推进乡村振兴，大竹县城乡融合发展。",
    "各乡镇要加强组织领导，全镇上下形成合力。",
])
def test_no_town_inside_ordinary_words(body):
    assert _towns(body) == []


def test_towns_in_the_graph():
    ex = extract(normalise((HEAD + "支持四川省大竹县石河镇和安仁镇开展试点。\n").encode("utf-8"),
                           "t.txt"))
    g = to_graph(ex)
    town = URIRef("https://w3id.org/policykg/id/town/511724-shi-he-zhen")
    assert (town, RDF.type, PKG.Town) in g
    assert (town, SKOS.prefLabel, Literal("石河镇", lang="zh")) in g
    assert (town, SKOS.prefLabel, Literal("Shihe Town", lang="en")) in g
    assert (town, PKG.within, URIRef("https://w3id.org/policykg/id/place/511724")) in g
    assert (town, PKG.evidence, None) in g
    assert (town, PKG.adminCode, None) not in g
    assert (town, RDF.type, PKG.AdministrativeDivision) not in g
    report = validate(g)
    assert report.conforms, report.text()


def test_the_corpus_names_no_town():
    # the five bundled documents name no town; their 乡镇, 城乡, 中心镇 … must stay words
    for path in sorted(CORPUS.glob("*.txt")):
        ex = extract(normalise(path.read_bytes(), path.name))
        assert ex.towns == {}, path.name
