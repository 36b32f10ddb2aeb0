"""Search in Chinese (simplified and traditional), English and pinyin, ranked."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, load_gold
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from policykg.pinyin import syllables
from policykg.search import SearchIndex, fold_en, fold_zh, normalise_lang
from policykg.vocab import PKG

GOLD = load_gold("sichuan-reply-03906.json")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(ROOT / "graph" / "policykg.ttl", format="turtle")


@pytest.fixture(scope="module")
def index(graph) -> SearchIndex:
    return SearchIndex.from_graph(graph)


def _small() -> SearchIndex:
    g = Graph()
    ex = "https://example.org/"
    rows = [
        ("a", PKG.ReformItem, "城乡融合发展", "integrated urban-rural development"),
        ("b", PKG.ReformItem, "城乡融合发展改革试点", "urban-rural reform pilot"),
        ("c", PKG.ReformItem, "推进城乡融合发展", "advance integrated development"),
        ("d", PKG.Organization, "财政部", "Ministry of Finance"),
        ("e", PKG.County, "什邡市", "Shifang City"),
        ("f", PKG.TrialZone, "四川试验区", "Sichuan Pilot Zone"),
    ]
    for key, cls, zh, en in rows:
        s = URIRef(ex + key)
        g.add((s, RDF.type, cls))
        g.add((s, SKOS.prefLabel, Literal(zh, lang="zh-Hans" if key == "f" else "zh")))
        g.add((s, SKOS.prefLabel, Literal(en, lang="en")))
    g.add((URIRef(ex + "d"), SKOS.altLabel, Literal("财政部门", lang="zh-CN")))
    return SearchIndex.from_graph(g)


def _ids(hits):
    return [h.iri.rsplit("/", 1)[-1] for h in hits]


def test_chinese_ranking_exact_prefix_word_substring():
    hits = _small().search("城乡融合发展")
    assert _ids(hits) == ["a", "b", "c"]
    assert [h.match for h in hits] == ["exact", "prefix", "word"]  # 推进|城乡融合发展
    hits = _small().search("融合发展")
    assert [h.match for h in hits] == ["substring"] * 3
    assert all(h.lang == "zh" for h in hits)


def test_chinese_substring_finds_every_label_containing_it():
    assert set(_ids(_small().search("城乡融合"))) == {"a", "b", "c"}


def test_traditional_characters_fold_to_simplified():
    hits = _small().search("四川試驗區")
    assert _ids(hits) == ["f"] and hits[0].match == "exact"


def test_language_tags_are_normalised():
    assert normalise_lang("zh-Hans") == normalise_lang("zh-CN") == "zh"
    assert _ids(_small().search("财政部门")) == ["d"]  # an @zh-CN alias is Chinese


def test_english_words_in_any_order_and_prefixes():
    hits = _small().search("finance ministry")
    assert _ids(hits) == ["d"] and hits[0].lang == "en" and hits[0].match == "word"
    assert _ids(_small().search("Ministry of Finance"))[0] == "d"
    assert "d" in _ids(_small().search("minist"))
    assert _small().search("ministry")[0].match == "prefix"


def test_english_ranking():
    hits = _small().search("integrated urban-rural development")
    assert _ids(hits)[0] == "a" and hits[0].match == "exact"


@pytest.mark.parametrize("q", ["shifang", "Shifang Shi", "shí fāng", "SHIFANGSHI", "shi fang"])
def test_pinyin_with_or_without_tones_and_spaces(q):
    hits = _small().search(q)
    assert _ids(hits)[0] == "e"
    assert hits[0].lang in ("pinyin", "en")


def test_pinyin_uses_the_reading_overrides():
    assert syllables("什邡") == ["shi", "fang"]  # pypinyin alone says shen fang
    assert _small().search("shenfang") == []


def test_type_filter():
    assert _ids(_small().search("城乡", types=["Organization"])) == []
    assert set(_ids(_small().search("城乡", types=["ReformItem"]))) == {"a", "b", "c"}
    assert _ids(_small().search("财政", types=[str(PKG.Organization)])) == ["d"]


def test_empty_and_unmatched_queries():
    assert _small().search("   ") == []
    assert _small().search("zzzz") == []


def _gold_entities(graph: Graph):
    names = [o["label_zh"] for o in GOLD["organizations"]]
    names += [p["label_zh"] for p in GOLD["places"]]
    names += [GOLD["trial_zone"]["label_zh"]]
    names += [p["label_zh"] for p in GOLD["pilot_programs"]]
    names += GOLD["numbered_lists"]["projects_ten"]["items"]
    for other in ("central-no1-document-2025-01-01.json",
                  "state-council-innovation-measures-2018-12-23.json",
                  "state-council-reply-sichuan-2004-10-15.json",
                  "zero-waste-city-pilot-plan-2018-12-29.json"):
        names += [o["label_zh"] for o in load_gold(other)["organizations"]]
    for name in names:
        subjects = [s for s in graph.subjects(SKOS.prefLabel, Literal(name, lang="zh"))] or \
                   [s for s in graph.subjects(SKOS.altLabel, Literal(name, lang="zh"))]
        assert subjects, name
        yield name, subjects[0]


def test_every_gold_entity_is_found_in_three_scripts_within_the_top_3(graph, index):
    misses = []
    for name, s in _gold_entities(graph):
        zh = next(str(o) for o in graph.objects(s, SKOS.prefLabel) if o.language == "zh")
        en = next(str(o) for o in graph.objects(s, SKOS.prefLabel) if o.language == "en")
        for q in (name, en, " ".join(syllables(zh))):
            if str(s) not in [h.iri for h in index.search(q, limit=3)]:
                misses.append((name, q))
    assert misses == []


def test_pinyin_inside_a_label_matches_whole_syllables_only():
    assert _ids(_small().search("fang shi")) == ["e"]  # shi|fang|shi, on syllables
    # across a syllable boundary no pinyin match (English substrings still count)
    assert [h.lang for h in _small().search("ifan")] == ["en"]


def test_langs_keeps_only_the_matches_in_those_languages():
    index = _small()
    # "shifang" finds 什邡市 by its pinyin reading and by its English label; the shorter
    # label, 什邡市, is its best match
    assert [h.lang for h in index.search("shifang")] == ["pinyin"]
    pinyin = index.search("shifang", langs=["pinyin"])
    assert _ids(pinyin) == ["e"] and pinyin[0].lang == "pinyin"
    assert pinyin[0].label == "什邡市" and pinyin[0].match == "prefix"
    english = index.search("shifang", langs=("en",))
    assert _ids(english) == ["e"] and english[0].lang == "en" and english[0].label == "Shifang City"
    assert index.search("shifang", langs=["zh"]) == []
    assert index.search("shifang", langs=[]) == []
    # a language filter ranks each entity by its best match in those languages alone
    assert index.search("城乡融合发展", langs={"zh", "en"}) == index.search("城乡融合发展")
    assert _ids(index.search("城乡", types=["ReformItem"], langs=["zh"])) == ["a", "b", "c"]
    assert index.search("城乡", types=["Organization"], langs=["zh"]) == []
    assert index.search("shifang", langs="pinyin") == pinyin  # one language as a string


# --- kept current in place ---------------------------------------------------------------------

def _entry(zh: str, en: str, t: str = "https://w3id.org/policykg/ontology#County"):
    return ((t,), [(zh, "zh", True), (en, "en", True)])


def test_update_replaces_an_entry_and_drops_gone_ones():
    index = SearchIndex()
    index.add("urn:x:a", *_entry("什邡市", "Shifang City"))
    index.add("urn:x:b", *_entry("广汉市", "Guanghan City"))
    assert [h.iri for h in index.search("什邡")] == ["urn:x:a"]
    index.update({"urn:x:a": _entry("什邡县", "Shifang County")}, gone=["urn:x:b"])
    assert index.search("什邡市") == []
    assert [h.label for h in index.search("shifang county")] == ["Shifang County"]
    assert index.search("Guanghan") == [] and index.search("广汉") == []
    assert len(index) == 1
    assert index.pref_labels("urn:x:a") == {"zh": "什邡县", "en": "Shifang County"}
    assert index.pref_labels("urn:x:b") == {"zh": None, "en": None}


def test_many_updates_compact_and_answer_as_a_fresh_index():
    index = SearchIndex()
    for round_ in range(3):
        entries = {f"urn:x:{i}": _entry(f"试验区{i}号{round_}", f"Zone {i} r{round_}")
                   for i in range(800)}
        index.update(entries)
    assert len(index) == 800
    assert len(index._retired) <= max(1000, len(index))  # compacted, not growing for ever
    fresh = SearchIndex()
    for iri, (types, labels) in sorted(entries.items()):
        fresh.add(iri, types, labels)
    for q in ("试验区12号2", "zone 12 r2", "shiyanqu"):
        assert index.page(q, limit=50) == fresh.page(q, limit=50), q
    assert index.search("试验区12号1") == []  # an older round's label is gone


def test_a_rebuilt_index_reuses_each_labels_analysis_and_finds_the_same(graph, monkeypatch):
    """The service rebuilds its index after every write: labels seen before are not
    segmented and romanised again, and the rebuilt index answers as the first did."""
    import policykg.search as search

    calls = []
    real = search.syllables
    monkeypatch.setattr(search, "syllables", lambda key: calls.append(key) or real(key))
    search._zh_forms.cache_clear()
    first = SearchIndex.from_graph(graph)
    assert len(calls) > 100, len(calls)
    calls.clear()
    second = SearchIndex.from_graph(graph)
    assert calls == []
    for q in ("城乡融合", "試驗區", "shifang", "chengxiang ronghe", "State Council", "什邡"):
        assert first.search(q, limit=50) == second.search(q, limit=50), q
    assert [h.lang for h in second.search("shifang")][:1] == ["pinyin"]


# --- autocomplete -----------------------------------------------------------------------------

def _prefixes(index: SearchIndex) -> set[str]:
    """Two to six characters from the start of every label (as written, and its folded
    English or pinyin key), and whole labels."""
    out: set[str] = set()
    for k in index._keys:
        for text in (k.label, k.key):
            out.update(text[:n] for n in range(2, 7) if len(text) >= n)
            out.add(text)
    return out


def _search_says(index: SearchIndex, prefix: str, n: int) -> list:
    """What `suggest` must answer: the exact and prefix hits among `search`'s first n (they
    rank before any other)."""
    return [h for h in index.search(prefix, limit=n) if h.match in ("exact", "prefix")][:n]


def _agree(index: SearchIndex, prefixes: set[str]) -> int:
    """Prefixes of one character once folded are left out: `search` finds only a label that
    is that character, `suggest` the labels it begins too."""
    checked = 0
    for p in sorted(prefixes):
        folded = fold_zh(p) if re.search(r"[\u3400-\u9fff]", p) else fold_en(p)
        if len(folded) < 2:
            continue
        for n in (3, 10):
            assert index.suggest(p, n) == _search_says(index, p, n), (p, n)
        checked += 1
    return checked


def test_suggest_answers_what_search_ranks_first_for_every_label_prefix(index):
    assert _agree(index, _prefixes(index)) > 1000
    assert index.suggest("什邡", 3)[0].label == "什邡市"
    first = index.suggest("Shifang C", 3)[0]
    assert (first.label, first.lang) == ("Shifang City", "en")


def test_suggest_stays_right_as_the_index_is_updated():
    index = SearchIndex()
    for i in range(300):
        index.add(f"urn:x:{i}", *_entry(f"试验区{i}号", f"Zone {i}"))
    for round_ in range(3):  # replacements, removals and additions in place, then compaction
        index.update({f"urn:x:{i}": _entry(f"试验区{i}号{round_}", f"Zone {i} r{round_}")
                      for i in range(0, 800, 2)}, gone=[f"urn:x:{i}" for i in range(1, 300, 7)])
        assert _agree(index, _prefixes(index)) > 100
    assert index.suggest("试验区4号0", 10) == []  # an older round's label is gone
    assert [h.iri for h in index.suggest("试验区4号2", 10)] == ["urn:x:4"]
    assert [h.label for h in index.suggest("zone 2 r", 10)] == ["Zone 2 r2"]
    assert "urn:x:8" in [h.iri for h in index.suggest("zone 8", 10)]
    assert "urn:x:15" not in [h.iri for h in index.suggest("zone 15", 10)]  # gone
    assert "urn:x:151" in [h.iri for h in index.suggest("zone 15", 10)]


def test_one_character_suggests_the_labels_it_begins():
    index = _small()
    assert set(_ids(index.suggest("城", 10))) == {"a", "b"}  # not c: 推进城乡…
    assert _ids(index.suggest("什", 10)) == ["e"]
    assert _ids(index.suggest("M", 10)) == ["d"]  # Ministry of Finance
    assert index.suggest("  ", 10) == []
