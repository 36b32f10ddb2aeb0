"""The Sichuan reply letter against what a careful reader extracts (tests/gold/)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import CORPUS, load_gold
from graphview import View
from rdflib import Literal
from rdflib.namespace import RDF, SKOS, XSD

from policykg.build import build_one
from policykg.normalise import normalise
from policykg.vocab import OA, PKG

SOURCE = CORPUS / "sichuan-reply-03906-2025-10-09.txt"
GOLD = load_gold("sichuan-reply-03906.json")
LIST_CLASSES = (PKG.ReformItem, PKG.Project, PKG.TrialTask, PKG.Measure)


@pytest.fixture(scope="module")
def built():
    doc = build_one(SOURCE)
    assert doc.error is None, doc.error
    return doc


@pytest.fixture(scope="module")
def v(built) -> View:
    return View(built.graph)


@pytest.fixture(scope="module")
def letter(v):
    return v.one(PKG.PolicyDocument, GOLD["document"]["title_zh"])


def _org(v: View, name: str):
    return v.one(PKG.Organization, name)


def _doc(v: View, title: str):
    return v.one(PKG.PolicyDocument, title)


def _list_with_items(v: View, items: list[str]):
    for lst in v.of_class(PKG.ItemList):
        got = v.items(lst)
        if [got.get(i + 1) for i in range(len(items))] == items:
            return lst
    raise AssertionError(f"no list whose items are {items[:2]}…")


# --- the document -------------------------------------------------------------------------

def test_document_metadata(v, letter):
    d = GOLD["document"]
    assert v.pref(letter, "zh") == [d["title_zh"]]
    assert v.value(letter, PKG.genre) == PKG.GenreLetter
    issued = v.value(letter, PKG.issued)
    assert issued.datatype == XSD.dateTime and str(issued).startswith(d["issued"])
    assert v.objects(letter, PKG.issuedBy) == {_org(v, d["issuer"])}
    assert v.value(letter, PKG.publishedBy) == _org(v, d["published_by"])
    assert str(v.value(letter, PKG.editor)) == d["editor"]


def test_answers_the_proposal(v, letter):
    p = GOLD["document"]["answers_proposal"]
    prop = v.value(letter, PKG.answers)
    assert (prop, RDF.type, PKG.Proposal) in v.g
    assert str(v.value(prop, PKG.proposalNumber)) == p["number"]
    assert str(v.value(prop, PKG.categoryNumber)) == p["category_number"]
    assert str(v.value(prop, PKG.session)) == p["session"]
    assert v.pref(prop, "zh") == [p["title_zh"]]
    assert v.value(prop, PKG.submittedTo) == _org(v, "政协第十四届全国委员会")


def test_no_page_chrome(built, v):
    text = normalise(SOURCE.read_bytes(), SOURCE.name).text
    labels = [str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in v.g.objects(None, p)]
    for junk in GOLD["document"]["not_content"]:
        assert junk not in text, junk
        assert not any(junk in lab for lab in labels), junk
    assert "责任编辑" in text  # the editor line is kept


# --- citations ----------------------------------------------------------------------------

@pytest.mark.parametrize("cited", GOLD["cited_documents"], ids=lambda c: c["title_zh"][:12])
def test_cited_document(v, letter, cited):
    d = _doc(v, cited["title_zh"])
    assert v.pref(d, "zh") == [cited["title_zh"]]
    assert d in v.objects(letter, PKG.cites)
    if "issued" in cited:
        issued = v.value(d, PKG.issued)
        assert issued == Literal(cited["issued"], datatype=XSD.gYearMonth)
    else:
        assert v.value(d, PKG.issued) is None
    assert v.objects(d, PKG.issuedBy) == {_org(v, n) for n in cited["issuers"]}
    if "issuer_count_stated" in cited:
        assert int(v.value(d, PKG.statedIssuerCount)) == cited["issuer_count_stated"]
    for alias in cited.get("aliases", []):
        assert alias in v.zh_labels(d)


def test_documents_total(v):
    docs = v.of_class(PKG.PolicyDocument) | v.of_class(PKG.Proposal)
    assert len(docs) == GOLD["counts_summary"]["documents_total"]


# --- organisations ------------------------------------------------------------------------

@pytest.mark.parametrize("org", GOLD["organizations"], ids=lambda o: o["label_zh"])
def test_organization(v, org):
    s = _org(v, org["label_zh"])
    for alias in org.get("aliases", []):
        assert _org(v, alias) == s, alias
    en = v.pref(s, "en")
    assert len(en) == 1
    for word in org["en_contains"]:
        assert word.lower() in en[0].lower(), (word, en)
    assert v.value(s, PKG.labelMethod) in (PKG.OfficialLabel, PKG.CuratedLabel)


def test_no_junk_organizations(v):
    expected = {_org(v, o["label_zh"]) for o in GOLD["organizations"]}
    assert v.of_class(PKG.Organization) == expected
    assert len(expected) >= GOLD["counts_summary"]["organizations_at_least"]


# --- places -------------------------------------------------------------------------------

LEVEL = {"province": PKG.Province, "prefecture": PKG.Prefecture, "county": PKG.County}


@pytest.mark.parametrize("place", GOLD["places"], ids=lambda p: p["label_zh"])
def test_place(v, place):
    s = v.one(PKG.AdministrativeDivision, place["label_zh"])
    assert (s, RDF.type, LEVEL[place["level"]]) in v.g
    assert str(v.value(s, PKG.adminCode)) == place["adcode"]
    assert str(s).endswith("/id/place/" + place["adcode"])
    for alias in place.get("aliases", []):
        assert alias in v.zh_labels(s)
    if "within" in place:
        assert v.value(s, PKG.within) == v.one(PKG.AdministrativeDivision, place["within"])
    for word in place["en_contains"]:
        assert word in v.pref(s, "en")[0]


def test_no_junk_places(v):
    expected = {v.one(PKG.AdministrativeDivision, p["label_zh"]) for p in GOLD["places"]}
    assert v.of_class(PKG.AdministrativeDivision) == expected
    # 德阳市 is never written: it is there as a parent, from the gazetteer, without evidence
    deyang = v.one(PKG.AdministrativeDivision, "德阳市")
    assert not v.objects(deyang, PKG.evidence)
    assert v.objects(deyang, PKG.evidence) == set()


def test_no_county_inside_ordinary_words(v):
    # 公共资源 must not give 资源县; 平安法治乡村 must not give 平安区/平安县
    labels = {lab for s in v.of_class(PKG.AdministrativeDivision) for lab in v.zh_labels(s)}
    assert not {"资源县", "平安区", "平安县"} & labels


# --- the zone, its tasks and lists --------------------------------------------------------

def test_trial_zone(v):
    z = GOLD["trial_zone"]
    s = v.one(PKG.TrialZone, z["label_zh"])
    for alias in z["aliases"]:
        assert alias in v.zh_labels(s)
    assert int(v.value(s, PKG.statedCaseCount)) == z["typical_cases"]
    assert v.value(s, PKG.establishedBy) == _doc(v, z["established_by"])
    national = v.value(s, PKG.partOf)
    assert int(v.value(national, PKG.statedParticipantCount)) == z["national_zone_count"]
    assert v.value(national, PKG.level) == PKG.NationalLevel
    lists = [lst for lst in v.of_class(PKG.ItemList)
             if str(v.value(lst, PKG.statedCountText) or "").startswith(
                 z["experiences_promoted_nationwide"])]
    assert len(lists) == 1
    assert set(v.items(lists[0]).values()) == set(z["examples_of_experiences"])
    assert v.value(lists[0], PKG.concerns) == s


def test_trial_tasks(v):
    t = GOLD["trial_tasks"]
    lists = [lst for lst in v.of_class(PKG.ItemList)
             if v.value(lst, PKG.itemClass) == PKG.TrialTask]
    assert len(lists) == 1
    assert int(v.value(lists[0], PKG.statedCount)) == t["count_stated"]
    items = v.items(lists[0])
    assert set(items.values()) == set(t["named"])  # two named, none invented
    assert all(k >= 1000 for k in items)  # unnumbered: no ordinal


@pytest.mark.parametrize("key", ["reform_items_zone", "projects_ten", "reform_tasks_county"])
def test_numbered_list(v, key):
    gold = GOLD["numbered_lists"][key]
    lst = _list_with_items(v, gold["items"])
    assert v.items(lst) == {i + 1: t for i, t in enumerate(gold["items"])}
    assert int(v.value(lst, PKG.statedCount)) == len(gold["items"])
    if "defined_in" in gold:
        assert v.value(lst, PKG.definedIn) == _doc(v, gold["defined_in"])
    for i in v.g.subjects(PKG.inList, lst):
        assert v.value(i, PKG.ordinal).datatype == XSD.positiveInteger
        assert v.value(i, PKG.definedIn) == v.value(lst, PKG.definedIn)


@pytest.mark.parametrize("key,mentions", [
    ("projects_ten", GOLD["numbered_lists"]["projects_ten"]["body_mentions"]),
    ("reform_items_zone", GOLD["numbered_lists"]["body_mentions_of_zone_items"]),
])
def test_body_mentions_link_to_listed_items(v, key, mentions):
    lst = _list_with_items(v, GOLD["numbered_lists"][key]["items"])
    by_ordinal = {int(v.value(i, PKG.ordinal)): i for i in v.g.subjects(PKG.inList, lst)}
    for mention, ordinal in mentions.items():
        assert mention in v.evidence_quotes(by_ordinal[ordinal])
        # …and no second entity carries that name
        others = [s for c in LIST_CLASSES for s in v.of_class(c)
                  if mention in v.zh_labels(s) and s != by_ordinal[ordinal]]
        assert others == []


def test_numbered_items_total(v):
    numbered = [s for c in (PKG.ReformItem, PKG.Project) for s in v.of_class(c)
                if v.value(s, PKG.ordinal) is not None]
    assert len(numbered) == GOLD["counts_summary"]["numbered_list_items_total"]


# --- programmes, events, measures ---------------------------------------------------------

@pytest.mark.parametrize("prog", GOLD["pilot_programs"], ids=lambda p: p["label_zh"])
def test_pilot_program(v, prog):
    s = v.one(PKG.PilotProgram, prog["label_zh"])
    assert v.value(s, PKG.level) == PKG.ProvincialLevel
    assert v.value(s, PKG.definedIn) == _doc(v, prog["defined_in"])
    assert int(v.value(s, PKG.statedParticipantCount)) == prog["participant_count"]
    named = {v.one(PKG.AdministrativeDivision, n) for n in prog["named_participants"]}
    assert named <= v.objects(s, PKG.participant)
    if "formula" in prog:
        assert str(v.value(s, PKG.participantFormula)) == prog["formula"]
    if "each_selects" in prog:
        assert int(v.value(s, PKG.selectCount)) == prog["each_selects"]
        src = v.value(s, PKG.selectsFrom)
        assert list(v.items(src).values()) == \
            GOLD["numbered_lists"][prog["from_list"]]["items"]
    if "shifang_explores" in prog:
        shifang = v.one(PKG.AdministrativeDivision, "什邡市")
        explored = {v.pref(i, "zh")[0] for i in v.objects(shifang, PKG.explores)}
        assert explored == set(prog["shifang_explores"])
    if "example_action" in prog:
        actions = [lst for lst in v.of_class(PKG.ItemList) if v.value(lst, PKG.concerns) == s
                   and prog["actions"].strip("“”") in v.pref(lst, "zh")[0]]
        assert len(actions) == 1
        assert list(v.items(actions[0]).values()) == [prog["example_action"]]
        assert int(v.value(actions[0], PKG.statedCount)) == 5


def test_no_junk_programs(v):
    expected = {v.one(PKG.PilotProgram, p["label_zh"]) for p in GOLD["pilot_programs"]}
    national = v.value(v.one(PKG.TrialZone, GOLD["trial_zone"]["label_zh"]), PKG.partOf)
    assert v.of_class(PKG.PilotProgram) == expected | {national}


def test_event(v):
    (e,) = GOLD["events"]
    (s,) = v.of_class(PKG.Event)
    assert v.pref(s, "zh") == [e["what"]]
    assert v.value(s, PKG.date) == Literal(e["date"], datatype=XSD.gYearMonth)
    assert int(v.value(s, PKG.statedProjectCount)) == e["projects_started"]
    amount = v.value(s, PKG.amount)
    assert amount.datatype == XSD.decimal
    assert Decimal(str(amount)) == Decimal(e["total_investment_cny"])


def test_next_step_measures(v):
    gold = GOLD["measures_next_steps"]
    lst = _list_with_items(v, [m["label_zh"] for m in gold])
    for i in v.g.subjects(PKG.inList, lst):
        m = gold[int(v.value(i, PKG.ordinal)) - 1]
        deadline = v.value(i, PKG.deadline)
        if "deadline" in m:
            assert deadline == Literal(m["deadline"], datatype=XSD.gYear)
        else:
            assert deadline is None


# --- evidence, duplicates -----------------------------------------------------------------

def test_every_evidence_quote_is_found_at_its_offsets(built, v):
    text = built.extraction.text
    evs = v.of_class(PKG.Evidence)
    assert len(evs) > 100
    for ev in evs:
        sels = v.objects(ev, OA.hasSelector)
        exact = next(str(q) for s in sels for q in v.g.objects(s, OA.exact))
        start = next(int(x) for s in sels for x in v.g.objects(s, OA.start))
        end = next(int(x) for s in sels for x in v.g.objects(s, OA.end))
        assert text[start:end] == exact
        assert exact in str(v.value(ev, PKG.sentence))


def test_every_extracted_entity_has_evidence(v):
    for cls in (PKG.PolicyDocument, PKG.Organization, PKG.TrialZone, PKG.PilotProgram,
                PKG.ItemList, PKG.Event, PKG.Assertion, *LIST_CLASSES):
        for s in v.of_class(cls):
            assert v.objects(s, PKG.evidence), s


def test_each_fact_once_although_the_body_is_printed_twice(v):
    raw = SOURCE.read_text(encoding="utf-8")
    assert raw.count("构建生态发展新格局") == 2
    for c in LIST_CLASSES:
        labels = [v.pref(s, "zh")[0] for s in v.of_class(c)]
        assert len(labels) == len(set(labels)), c
    for s in v.of_class(PKG.Organization):
        assert len(v.pref(s, "zh")) == 1 and len(v.pref(s, "en")) == 1
