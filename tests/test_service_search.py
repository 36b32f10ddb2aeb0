"""/search and /suggest over real HTTP: Chinese (simplified and traditional), English and
pinyin, language and type filters, paging, and 400 on bad parameters."""

from __future__ import annotations

import httpx
import pytest

ID = "https://w3id.org/policykg/id/"
PKG = "https://w3id.org/policykg/ontology#"


def _search(server, **params) -> httpx.Response:
    return httpx.get(server.url + "/search", params=params, timeout=30)


@pytest.mark.parametrize(("q", "iri", "langs", "match"), [
    ("什邡市", "place/510682", {"zh"}, "exact"),
    ("什邡", "place/510682", {"zh"}, "prefix"),
    ("Shifang", "place/510682", {"pinyin", "en"}, "prefix"),
    ("shi fang", "place/510682", {"pinyin"}, "prefix"),
    ("shí fāng shì", "place/510682", {"pinyin"}, "exact"),
    ("財政部", "org/mof", {"zh"}, "exact"),  # traditional characters
    ("finance ministry", "org/mof", {"en"}, "word"),
    ("Ministry of Finance", "org/mof", {"en"}, "exact"),
    ("Deyang", "place/510600", {"en"}, "exact"),
])
def test_first_hit_and_reported_language(server, q, iri, langs, match):
    r = _search(server, q=q)
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == q and body["total"] >= 1
    first = body["results"][0]
    assert first["iri"] == ID + iri
    assert first["lang"] in langs and first["match"] == match
    assert first["label_zh"] and first["label_en"]
    assert first["types"]


def test_result_carries_both_preferred_labels(server):
    first = _search(server, q="shi fang").json()["results"][0]
    assert (first["label"], first["label_zh"], first["label_en"]) == (
        "什邡市", "什邡市", "Shifang City")


@pytest.mark.parametrize(("lang", "label", "reported"), [
    ("en", "Shifang City", "en"), ("pinyin", "什邡市", "pinyin")])
def test_lang_restricts_which_matches_count(server, lang, label, reported):
    body = _search(server, q="Shifang", lang=lang).json()
    first = body["results"][0]
    assert first["iri"] == ID + "place/510682"
    assert (first["label"], first["lang"]) == (label, reported)
    assert all(h["lang"] == reported for h in body["results"])


def test_lang_zh_finds_nothing_for_latin_text(server):
    assert _search(server, q="Shifang", lang="zh").json()["total"] == 0


@pytest.mark.parametrize("tag", ["zh", "zh-Hans", "zh-CN", "ZH-hant-TW"])
def test_chinese_language_tags_are_normalised(server, tag):
    body = _search(server, q="什邡市", lang=tag).json()
    assert body["lang"] == "zh"
    assert body["results"][0]["iri"] == ID + "place/510682"


def test_type_filter_by_local_name_curie_and_iri(server):
    every = _search(server, q="四川", limit=100).json()
    assert {ID + "place/510000", ID + "org/provincial-government-si-chuan"} <= {
        h["iri"] for h in every["results"]}
    for t in ("Organization", "pkg:Organization", PKG + "Organization"):
        body = _search(server, q="四川", type=t, limit=100).json()
        assert body["total"] >= 1
        assert all(PKG + "Organization" in h["types"] for h in body["results"])
        assert ID + "place/510000" not in {h["iri"] for h in body["results"]}
    both = _search(server, q="四川", type=["Organization", "Province"], limit=100).json()
    assert ID + "place/510000" in {h["iri"] for h in both["results"]}
    assert all({PKG + "Organization", PKG + "Province"} & set(h["types"])
               for h in both["results"])


def test_limit_and_offset_page_through_the_same_ranking(server):
    full = _search(server, q="城乡融合", limit=100).json()
    assert full["total"] >= 4
    page = _search(server, q="城乡融合", limit=2, offset=1).json()
    assert page["total"] == full["total"]
    assert [h["iri"] for h in page["results"]] == [h["iri"] for h in full["results"][1:3]]
    assert len(_search(server, q="城乡融合").json()["results"]) <= 20


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": "   "}, {"q": "x" * 201},
    {"q": "四川", "limit": "0"}, {"q": "四川", "limit": "101"}, {"q": "四川", "limit": "ten"},
    {"q": "四川", "offset": "-1"}, {"q": "四川", "offset": "1.5"},
    {"q": "四川", "lang": "fr"}, {"q": "四川", "lang": "zh_<"},
    {"q": "四川", "type": "NoSuchClass"}, {"q": "四川", "type": "http://bad iri/"},
    {"q": "四川", "type": "x:County"},
])
def test_bad_parameters_are_400_with_a_message(server, params):
    r = _search(server, **params)
    assert r.status_code == 400
    assert r.json()["detail"]


# --- /suggest -------------------------------------------------------------------------------
def _suggest(server, **params) -> httpx.Response:
    return httpx.get(server.url + "/suggest", params=params, timeout=30)


def test_suggest_completes_chinese_english_and_pinyin(server):
    cases = [("什邡", {"什邡市"}, "zh"), ("Shifang C", {"Shifang City"}, "en"),
             ("shif", {"什邡市"}, "pinyin"), ("德阳", {"德阳", "德阳市"}, "zh")]
    for prefix, labels, lang in cases:
        body = _suggest(server, prefix=prefix).json()
        assert body["prefix"] == prefix
        first = body["suggestions"][0]
        assert first["label"] in labels and first["lang"] == lang, prefix
        assert first["iri"].startswith(ID + "place/")


def test_suggest_gives_prefix_matches_only(server):
    body = _suggest(server, prefix="Minis", limit=5).json()
    assert 1 <= len(body["suggestions"]) <= 5
    assert all(s["label"].startswith("Ministry") for s in body["suggestions"])
    assert _suggest(server, prefix="邡市").json()["suggestions"] == []  # substring only


@pytest.mark.parametrize("params", [{}, {"prefix": ""}, {"prefix": "四", "limit": "0"},
                                    {"prefix": "四", "limit": "51"}])
def test_suggest_bad_parameters_are_400(server, params):
    assert _suggest(server, **params).status_code == 400
