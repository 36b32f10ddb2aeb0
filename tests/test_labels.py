"""English labels: curated from the termbase, composed from known parts, else transliterated
and marked; the report of labels that are not curated."""

from __future__ import annotations

from conftest import ROOT
from rdflib import Graph

from policykg.compose import compose
from policykg.labels import english, transliterate
from policykg.report import uncurated_labels


def test_termbase_entries_are_curated():
    e = english("城乡融合发展")
    assert e.method in ("curated", "official") and "urban-rural" in e.text


def test_composed_from_known_parts_in_order():
    assert compose("四川省县城新型城镇化建设试点工作方案") == \
        "Sichuan Province Pilot Program for New Urbanization in County Seats Work Plan"
    assert english("四川省县城新型城镇化建设试点工作方案").method == "composed"


def test_about_titles_put_the_genre_first():
    assert compose("关于城乡融合发展的意见") == "Opinions on Integrated Urban-Rural Development"


def test_unknown_parts_are_not_composed_but_transliterated_and_marked():
    assert compose("关于某某甲乙丙的通知") is None
    e = english("某某甲乙丙")
    assert e.method == "transliterated" and e.text


def test_place_names_inside_a_transliteration_take_their_english():
    assert "Shifang City" in transliterate("推动什邡市探索")


def test_report_lists_uncurated_labels_most_mentioned_first():
    g = Graph().parse(ROOT / "graph" / "policykg.ttl", format="turtle")
    rows = uncurated_labels(g)
    assert rows, "the bundled corpus has transliterated titles"
    assert all(r.method in ("composed", "transliterated") for r in rows)
    assert [r.mentions for r in rows] == sorted((r.mentions for r in rows), reverse=True)
    assert not any(r.zh == "中国人民银行" for r in rows)  # official names are not listed


def test_every_entity_label_has_its_provenance_and_bodies_and_places_are_curated():
    from rdflib.namespace import RDF, SKOS

    from policykg.vocab import LABEL_METHOD, PKG

    g = Graph().parse(ROOT / "graph" / "policykg.ttl", format="turtle")
    labelled = set(g.subjects(SKOS.prefLabel, None))
    assert labelled
    for s in labelled:
        methods = list(g.objects(s, PKG.labelMethod))
        assert len(methods) == 1 and methods[0] in LABEL_METHOD.values(), s
    for cls in (PKG.Organization, PKG.AdministrativeDivision):
        ents = set(g.subjects(RDF.type, cls))
        good = {e for e in ents if g.value(e, PKG.labelMethod) in (PKG.OfficialLabel,
                                                                   PKG.CuratedLabel)}
        assert len(good) >= 0.9 * len(ents), cls
