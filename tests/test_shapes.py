"""The SHACL data contract (shapes/policykg-shapes.ttl), exercised through policykg.validate.

valid_graph builds, in code, one document's graph exactly as docs/graph-model.md describes it.
Each other test breaks one thing and asserts the complete set of results it causes: the focus
node, the path and the constraint component of every result, so that a shape which starts
reporting too much fails a test as surely as one that reports nothing.

Values typed with a sub-class (a pkg:Prefecture as the parent of a county) satisfy
sh:class pkg:AdministrativeDivision through the rdfs:subClassOf links of ontology/policykg.ttl,
which validate() mixes in; these tests rely on the ontology for those links and nothing else.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from rdflib import RDF, RDFS, SKOS, BNode, Dataset, Graph, Literal, Namespace, URIRef

from policykg.validate import ValidationReport, Violation, load_shapes, term_text, validate

PKG = Namespace("https://w3id.org/policykg/ontology#")
ID = Namespace("https://w3id.org/policykg/id/")
OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SHAPES = Namespace("https://w3id.org/policykg/shapes#")
# A plain Namespace: rdflib's closed XSD namespace warns when pytest probes module attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

# The normalised text of the (invented) source document; evidence offsets index into it.
TEXT = (
    "国务院办公厅关于四川省有关问题的函\n"
    "国办函〔2004〕71号\n"
    "四川省人民政府：\n"
    "根据《国务院关于投资体制改革的决定》（国发〔2004〕20号），现将有关问题函复如下。\n"
    "一、支持什邡市开展两项改革：（一）农村土地制度改革；（二）农村金融服务改革。\n"
    "二、2004年9月召开项目启动会，安排资金1500万元。\n"
)
DOC_KEY = "guobanhan-2004-71"
DOC = ID[f"doc/{DOC_KEY}"]
CITED = ID["doc/guofa-2004-20"]
ORG = ID["org/guowuyuan-bangongting"]
PROVINCE = ID["place/510000"]
PREFECTURE = ID["place/510600"]
COUNTY = ID["place/510682"]
LIST = ID[f"list/{DOC_KEY}/1"]
ITEM1 = ID[f"list/{DOC_KEY}/1/1"]
ITEM2 = ID[f"list/{DOC_KEY}/1/2"]
EVENT = ID[f"event/{DOC_KEY}/5c1d0e7a"]
GRAPH = URIRef(f"https://w3id.org/policykg/graph/{DOC_KEY}")
GAZETTEER = ID["dataset/gazetteer"]

VIOLATION = "Violation"


# ---- building graphs ---------------------------------------------------------------------


def add_labels(g: Graph, node: URIRef, zh: str, en: str, method: URIRef) -> None:
    for text, lang in ((zh, "zh"), (en, "en")):
        add_label(g, node, text, lang)
    g.add((node, PKG.labelMethod, method))


def add_label(g: Graph, node: URIRef, text: str, lang: str | None) -> None:
    # rdfs:label mirrors skos:prefLabel, as the graph model says.
    g.add((node, SKOS.prefLabel, Literal(text, lang=lang)))
    g.add((node, RDFS.label, Literal(text, lang=lang)))


def drop_label(g: Graph, node: URIRef, lang: str) -> None:
    for predicate in (SKOS.prefLabel, RDFS.label):
        for label in list(g.objects(node, predicate)):
            if isinstance(label, Literal) and label.language == lang:
                g.remove((node, predicate, label))


def add_evidence(g: Graph, node: URIRef, exact: str) -> URIRef:
    """Evidence for `node`: the first occurrence of `exact` in TEXT, with its sentence."""
    start = TEXT.index(exact)
    end = start + len(exact)
    evidence = ID[f"evidence/{DOC_KEY}/{start}-{end}"]
    quote, position = URIRef(f"{evidence}/quote"), URIRef(f"{evidence}/position")
    line_start = TEXT.rfind("\n", 0, start) + 1
    sentence = TEXT[line_start : TEXT.index("\n", end)]
    g.add((node, PKG.evidence, evidence))
    g.add((evidence, RDF.type, PKG.Evidence))
    g.add((evidence, OA.hasSource, DOC))
    g.add((evidence, PKG.sentence, Literal(sentence, lang="zh")))
    g.add((evidence, OA.hasSelector, quote))
    g.add((evidence, OA.hasSelector, position))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal(exact)))
    g.add((quote, OA.prefix, Literal(TEXT[max(0, start - 8) : start])))
    g.add((quote, OA.suffix, Literal(TEXT[end : end + 8])))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
    g.add((position, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)))
    return evidence


def assertion_iri(s: URIRef, p: URIRef, o: URIRef) -> URIRef:
    digest = hashlib.sha1(f"{s} {p} {o}".encode()).hexdigest()[:16]
    return ID[f"assertion/{digest}"]


def relate(g: Graph, s: URIRef, p: URIRef, o: URIRef, exact: str) -> URIRef:
    """A relation read from text: the triple, and the reified fact carrying its evidence."""
    g.add((s, p, o))
    assertion = assertion_iri(s, p, o)
    g.add((assertion, RDF.type, PKG.Assertion))
    g.add((assertion, RDF.subject, s))
    g.add((assertion, RDF.predicate, p))
    g.add((assertion, RDF.object, o))
    add_evidence(g, assertion, exact)
    return assertion


def ordinal(n: int) -> Literal:
    return Literal(n, datatype=XSD.positiveInteger)


def build_valid_graph() -> Graph:
    g = Graph()
    # The source document, and a document it cites (which names no issuer: allowed).
    g.add((DOC, RDF.type, PKG.PolicyDocument))
    add_labels(
        g,
        DOC,
        "国务院办公厅关于四川省有关问题的函",
        "Letter of the General Office of the State Council on Issues Concerning Sichuan",
        PKG.CuratedLabel,
    )
    add_evidence(g, DOC, "国务院办公厅关于四川省有关问题的函")
    g.add((DOC, PKG.documentNumber, Literal("国办函〔2004〕71号")))
    g.add((DOC, PKG.issued, Literal("2004-10-15", datatype=XSD.date)))
    g.add((DOC, PKG.posted, Literal("2018-12-24", datatype=XSD.date)))

    g.add((CITED, RDF.type, PKG.PolicyDocument))
    add_labels(
        g,
        CITED,
        "国务院关于投资体制改革的决定",
        "Decision of the State Council on Reforming the Investment System",
        PKG.OfficialLabel,
    )
    add_evidence(g, CITED, "国务院关于投资体制改革的决定")
    g.add((CITED, PKG.documentNumber, Literal("国发〔2004〕20号")))

    g.add((ORG, RDF.type, PKG.Organization))
    add_labels(g, ORG, "国务院办公厅", "General Office of the State Council", PKG.OfficialLabel)
    add_evidence(g, ORG, "国务院办公厅")

    relate(g, DOC, PKG.issuedBy, ORG, "国务院办公厅")
    relate(g, DOC, PKG.cites, CITED, "根据《国务院关于投资体制改革的决定》")

    # Places: the county is read from text; its prefecture and province are gazetteer parents.
    for place, cls, code, zh, en in (
        (PROVINCE, PKG.Province, "510000", "四川省", "Sichuan Province"),
        (PREFECTURE, PKG.Prefecture, "510600", "德阳市", "Deyang"),
        (COUNTY, PKG.County, "510682", "什邡市", "Shifang"),
    ):
        g.add((place, RDF.type, cls))
        add_labels(g, place, zh, en, PKG.CuratedLabel)
        g.add((place, PKG.adminCode, Literal(code)))
    g.add((PREFECTURE, PKG.within, PROVINCE))
    g.add((COUNTY, PKG.within, PREFECTURE))
    g.add((PROVINCE, PROV.wasDerivedFrom, GAZETTEER))
    g.add((PREFECTURE, PROV.wasDerivedFrom, GAZETTEER))
    add_evidence(g, COUNTY, "什邡市")

    # A numbered list of two reform items, one of which the county explores.
    g.add((LIST, RDF.type, PKG.ItemList))
    add_labels(g, LIST, "两项改革", "Two reforms", PKG.CuratedLabel)
    add_evidence(g, LIST, "两项改革")
    g.add((LIST, PKG.definedIn, DOC))
    g.add((LIST, PKG.itemClass, PKG.ReformItem))
    g.add((LIST, PKG.statedCount, Literal(2, datatype=XSD.integer)))
    for item, n, zh, en in (
        (ITEM1, 1, "农村土地制度改革", "Rural land system reform"),
        (ITEM2, 2, "农村金融服务改革", "Rural financial services reform"),
    ):
        g.add((item, RDF.type, PKG.ReformItem))
        add_labels(g, item, zh, en, PKG.CuratedLabel)
        add_evidence(g, item, zh)
        g.add((item, PKG.inList, LIST))
        g.add((item, PKG.ordinal, ordinal(n)))
        g.add((item, PKG.definedIn, DOC))
    relate(g, COUNTY, PKG.explores, ITEM1, "支持什邡市开展两项改革")

    # An event with a date and an amount in yuan.
    g.add((EVENT, RDF.type, PKG.Event))
    add_labels(g, EVENT, "项目启动会", "Project launch meeting", PKG.CuratedLabel)
    add_evidence(g, EVENT, "2004年9月召开项目启动会，安排资金1500万元")
    g.add((EVENT, PKG.date, Literal("2004-09", datatype=XSD.gYearMonth)))
    g.add((EVENT, PKG.amount, Literal("15000000", datatype=XSD.decimal)))

    # The named graph describes itself.
    g.add((GRAPH, RDF.type, PKG.DocumentGraph))
    g.add((GRAPH, PKG.describes, DOC))
    content_hash = "sha256:" + hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    g.add((GRAPH, PKG.contentHash, Literal(content_hash)))
    g.add((GRAPH, PKG.sourceFile, Literal("state-council-reply-sichuan-2004-10-15.txt")))
    return g


@pytest.fixture
def valid_graph() -> Graph:
    return build_valid_graph()


# ---- asserting on reports ------------------------------------------------------------------

Expected = tuple[URIRef, URIRef | None, str]  # focus, path, constraint component


def results(report: ValidationReport) -> set[tuple[str, str | None, str, str]]:
    return {(r.focus, r.path, r.constraint, r.severity) for r in report.results}


def assert_only(report: ValidationReport, *expected: Expected) -> list[Violation]:
    """The report holds exactly these violations (focus, path, component), each once, and
    nothing else: no other result of any severity."""
    wanted = sorted(
        (
            (str(focus), None if path is None else str(path), component, VIOLATION)
            for focus, path, component in expected
        ),
        key=repr,
    )
    found = sorted(((r.focus, r.path, r.constraint, r.severity) for r in report.results), key=repr)
    assert found == wanted, report.text()
    assert not report.conforms
    return list(report.results)


def evidence_of(g: Graph, node: URIRef) -> URIRef:
    evidence = g.value(node, PKG.evidence)
    assert isinstance(evidence, URIRef)
    return evidence


# ---- the valid graph -------------------------------------------------------------------------


def test_valid_graph_conforms_without_results(valid_graph: Graph) -> None:
    report = validate(valid_graph)
    assert report.conforms, report.text()
    assert report.results == ()
    assert report.violations() == [] and report.warnings() == []


def test_valid_graph_conforms_as_a_named_graph_of_a_dataset(valid_graph: Graph) -> None:
    dataset = Dataset()
    named = dataset.graph(GRAPH)
    for triple in valid_graph:
        named.add(triple)
    report = validate(dataset)
    assert report.conforms, report.text()
    assert report.results == ()


def test_validation_leaves_the_data_graph_alone(valid_graph: Graph) -> None:
    before = set(valid_graph)
    validate(valid_graph)
    assert set(valid_graph) == before  # the ontology is mixed into a copy


def test_subclass_links_come_from_the_ontology(
    valid_graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the ontology a pkg:Prefecture is not known to be a pkg:AdministrativeDivision,
    # so the county's and the prefecture's parents fail sh:class. This is the one thing the
    # shapes take from the ontology.
    import policykg.validate

    monkeypatch.setattr(policykg.validate, "_load_ontology", lambda: None)
    assert_only(
        validate(valid_graph),
        (COUNTY, PKG.within, "ClassConstraintComponent"),
        (PREFECTURE, PKG.within, "ClassConstraintComponent"),
    )


def test_dataset_is_validated_as_the_union_of_its_graphs(valid_graph: Graph) -> None:
    # The second list's item reuses ordinal 1 of the first list, but in another graph: only
    # the union can show it, so the union is what must be validated.
    dataset = Dataset()
    named = dataset.graph(GRAPH)
    for triple in valid_graph:
        named.add(triple)
    other = dataset.graph(URIRef("https://w3id.org/policykg/graph/other"))
    other.add((ID[f"list/{DOC_KEY}/1/9"], PKG.inList, LIST))
    other.add((ID[f"list/{DOC_KEY}/1/9"], PKG.ordinal, ordinal(1)))
    report = validate(dataset)
    assert_only(report, (LIST, None, "SPARQLConstraintComponent"))


def test_shapes_name_a_node_shape_for_every_class() -> None:
    shapes = load_shapes()
    sh = Namespace("http://www.w3.org/ns/shacl#")
    classes = (
        "PolicyDocument Proposal Organization TrialZone TrialTask ReformItem Project "
        "PilotProgram Measure Event AdministrativeDivision Province Prefecture County ItemList "
        "Evidence Assertion DocumentGraph"
    ).split()
    for name in classes:
        shape = SHAPES[f"{name}Shape"]
        assert (shape, RDF.type, sh.NodeShape) in shapes, name
        assert (shape, sh.targetClass, PKG[name]) in shapes, name


# ---- labels ----------------------------------------------------------------------------------


def test_entity_without_zh_label(valid_graph: Graph) -> None:
    drop_label(valid_graph, ORG, "zh")
    (result,) = assert_only(
        validate(valid_graph), (ORG, SKOS.prefLabel, "QualifiedMinCountConstraintComponent")
    )
    assert result.message == "missing Chinese label: no skos:prefLabel@zh"
    assert result.shape == str(SHAPES["prefLabel-zh-missing"])


def test_entity_without_en_label(valid_graph: Graph) -> None:
    drop_label(valid_graph, ITEM1, "en")
    (result,) = assert_only(
        validate(valid_graph), (ITEM1, SKOS.prefLabel, "QualifiedMinCountConstraintComponent")
    )
    assert result.message == "missing English label: no skos:prefLabel@en"


def test_entity_with_two_zh_labels(valid_graph: Graph) -> None:
    add_label(valid_graph, COUNTY, "什邡", "zh")
    (result,) = assert_only(
        validate(valid_graph), (COUNTY, SKOS.prefLabel, "QualifiedMaxCountConstraintComponent")
    )
    assert result.message.startswith("more than one Chinese label")


def test_entity_with_two_en_labels(valid_graph: Graph) -> None:
    add_label(valid_graph, DOC, "State Council General Office letter", "en")
    (result,) = assert_only(
        validate(valid_graph), (DOC, SKOS.prefLabel, "QualifiedMaxCountConstraintComponent")
    )
    assert result.message.startswith("more than one English label")


def test_untagged_label_counts_as_neither_language(valid_graph: Graph) -> None:
    drop_label(valid_graph, ORG, "en")
    add_label(valid_graph, ORG, "General Office of the State Council", None)
    assert_only(
        validate(valid_graph),
        (ORG, SKOS.prefLabel, "LanguageInConstraintComponent"),
        (ORG, SKOS.prefLabel, "QualifiedMinCountConstraintComponent"),
    )


def test_rdfs_label_must_mirror_pref_label(valid_graph: Graph) -> None:
    valid_graph.remove((ORG, RDFS.label, Literal("国务院办公厅", lang="zh")))
    (result,) = assert_only(validate(valid_graph), (ORG, RDFS.label, "EqualsConstraintComponent"))
    assert result.value == Literal("国务院办公厅", lang="zh").n3()


# ---- dates -----------------------------------------------------------------------------------


def raw(lexical: str, datatype: URIRef | None = None) -> Literal:
    """A literal exactly as written. rdflib normalises lexical forms it can parse (it would
    turn "2025-10-09T17:38" into "2025-10-09T17:38:00" and "1e3" into "1000"); a graph
    written or loaded by another tool is not normalised, and the contract must hold there."""
    return Literal(lexical, datatype=datatype, normalize=False)


def literal_id(literal: Literal) -> str:
    datatype = "" if literal.datatype is None else "^^" + literal.datatype.split("#")[-1]
    return f"{literal}{datatype}"


@pytest.mark.parametrize(
    "literal",
    [
        raw("2004"),  # a plain string, however date-like
        raw("2004-10-15"),
        raw("2004-10-15", XSD.string),
        raw("2025-13-45", XSD.date),  # month 13, day 45
        raw("2025-02-30", XSD.date),  # no such day
        raw("20041015", XSD.date),  # ISO basic format is not XSD
        raw("2004-13", XSD.gYearMonth),
        raw("2004-1", XSD.gYearMonth),
        raw("04", XSD.gYear),
        raw("2025-10-09T17:38", XSD.dateTime),  # XSD requires seconds
        raw("2025-10-09 17:38:00", XSD.dateTime),
        raw("2004-10-15", XSD.dateTime),  # a date is not a date-time
    ],
    ids=literal_id,
)
def test_date_must_be_a_valid_date_literal(valid_graph: Graph, literal: Literal) -> None:
    valid_graph.set((DOC, PKG.issued, literal))
    (result,) = assert_only(validate(valid_graph), (DOC, PKG.issued, "NodeConstraintComponent"))
    assert result.value == term_text(literal)
    assert result.message.startswith("pkg:issued: at most one, an xsd:date, xsd:gYearMonth")


@pytest.mark.parametrize(
    "literal",
    [
        Literal("2004-10-15", datatype=XSD.date),
        Literal("2004-10-15+08:00", datatype=XSD.date),
        Literal("2004-10", datatype=XSD.gYearMonth),
        Literal("2004", datatype=XSD.gYear),
        Literal("2025-10-09T17:38:00", datatype=XSD.dateTime),
    ],
    ids=literal_id,
)
def test_each_date_type_is_accepted(valid_graph: Graph, literal: Literal) -> None:
    for node, predicate in ((DOC, PKG.issued), (DOC, PKG.posted), (EVENT, PKG.date)):
        valid_graph.set((node, predicate, literal))
    report = validate(valid_graph)
    assert report.conforms and report.results == (), report.text()


def test_event_date_with_invalid_lexical_form(valid_graph: Graph) -> None:
    valid_graph.set((EVENT, PKG.date, Literal("2025-13-45", datatype=XSD.date)))
    assert_only(validate(valid_graph), (EVENT, PKG.date, "NodeConstraintComponent"))


def test_posted_as_plain_string(valid_graph: Graph) -> None:
    valid_graph.set((DOC, PKG.posted, Literal("2018-12-24")))
    assert_only(validate(valid_graph), (DOC, PKG.posted, "NodeConstraintComponent"))


# ---- administrative codes --------------------------------------------------------------------


@pytest.mark.parametrize("code", ["51068", "51068X", "5106821", "５１０６８２"])
def test_admin_code_must_be_six_digits(valid_graph: Graph, code: str) -> None:
    valid_graph.set((COUNTY, PKG.adminCode, Literal(code)))
    (result,) = assert_only(
        validate(valid_graph), (COUNTY, PKG.adminCode, "PatternConstraintComponent")
    )
    assert result.shape == str(SHAPES["AdministrativeDivision-adminCode"])


def test_admin_code_must_be_a_string(valid_graph: Graph) -> None:
    valid_graph.set((COUNTY, PKG.adminCode, Literal(510682)))
    assert_only(validate(valid_graph), (COUNTY, PKG.adminCode, "DatatypeConstraintComponent"))


def test_admin_code_exactly_one(valid_graph: Graph) -> None:
    valid_graph.remove((COUNTY, PKG.adminCode, None))
    assert_only(validate(valid_graph), (COUNTY, PKG.adminCode, "MinCountConstraintComponent"))


def test_county_with_a_prefecture_level_code(valid_graph: Graph) -> None:
    valid_graph.set((COUNTY, PKG.adminCode, Literal("510600")))
    (result,) = assert_only(validate(valid_graph), (COUNTY, PKG.adminCode, "OrConstraintComponent"))
    assert result.message == "a county's pkg:adminCode does not end in 00"


def test_prefecture_within_a_county(valid_graph: Graph) -> None:
    valid_graph.set((PREFECTURE, PKG.within, COUNTY))
    (result,) = assert_only(
        validate(valid_graph), (PREFECTURE, PKG.within, "OrConstraintComponent")
    )
    assert result.shape == str(SHAPES["Prefecture-parent"])


def test_place_without_evidence_or_gazetteer_provenance(valid_graph: Graph) -> None:
    valid_graph.remove((PROVINCE, PROV.wasDerivedFrom, GAZETTEER))
    (result,) = assert_only(validate(valid_graph), (PROVINCE, None, "SPARQLConstraintComponent"))
    assert result.message.startswith("place without provenance")


# ---- ordinals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        Literal("0", datatype=XSD.positiveInteger),
        Literal("-1", datatype=XSD.positiveInteger),
        Literal("abc", datatype=XSD.positiveInteger),
        Literal("abc"),
        Literal(1),  # xsd:integer: only xsd:positiveInteger is accepted
        Literal(0),
        Literal(-1),
    ],
    ids=literal_id,
)
def test_ordinal_must_be_a_positive_integer(valid_graph: Graph, literal: Literal) -> None:
    valid_graph.set((ITEM1, PKG.ordinal, literal))
    (result,) = assert_only(
        validate(valid_graph), (ITEM1, PKG.ordinal, "DatatypeConstraintComponent")
    )
    assert result.value == term_text(literal)


def test_duplicate_ordinal_in_one_list(valid_graph: Graph) -> None:
    valid_graph.set((ITEM2, PKG.ordinal, ordinal(1)))
    (result,) = assert_only(validate(valid_graph), (LIST, None, "SPARQLConstraintComponent"))
    assert result.value == ordinal(1).n3()
    assert result.message.startswith("duplicate ordinal 1:")


def test_same_ordinal_in_two_lists_is_fine(valid_graph: Graph) -> None:
    other_list = ID[f"list/{DOC_KEY}/2"]
    item = ID[f"list/{DOC_KEY}/2/1"]
    g = valid_graph
    g.add((other_list, RDF.type, PKG.ItemList))
    add_labels(g, other_list, "两项改革", "Two reforms (second list)", PKG.CuratedLabel)
    add_evidence(g, other_list, "（一）")
    g.add((other_list, PKG.definedIn, DOC))
    g.add((item, RDF.type, PKG.ReformItem))
    add_labels(g, item, "农村土地制度改革", "Rural land system reform", PKG.CuratedLabel)
    add_evidence(g, item, "（一）农村土地制度改革")
    g.add((item, PKG.inList, other_list))
    g.add((item, PKG.ordinal, ordinal(1)))
    report = validate(g)
    assert report.conforms and report.results == (), report.text()


# ---- amounts ---------------------------------------------------------------------------------


def test_negative_amount(valid_graph: Graph) -> None:
    valid_graph.set((EVENT, PKG.amount, Literal("-5", datatype=XSD.decimal)))
    assert_only(validate(valid_graph), (EVENT, PKG.amount, "MinInclusiveConstraintComponent"))


def test_amount_as_string(valid_graph: Graph) -> None:
    # A string is not comparable with 0 either, and SHACL counts an incomparable value as a
    # failed minimum: two results for the one bad value.
    valid_graph.set((EVENT, PKG.amount, Literal("100", datatype=XSD.string)))
    assert_only(
        validate(valid_graph),
        (EVENT, PKG.amount, "DatatypeConstraintComponent"),
        (EVENT, PKG.amount, "MinInclusiveConstraintComponent"),
    )


def test_amount_as_integer_is_rejected(valid_graph: Graph) -> None:
    # Decided: exactly xsd:decimal. xsd:integer derives from xsd:decimal in XSD, but
    # sh:datatype compares datatype IRIs and the contract keeps one datatype for money.
    valid_graph.set((EVENT, PKG.amount, Literal("100", datatype=XSD.integer)))
    assert_only(validate(valid_graph), (EVENT, PKG.amount, "DatatypeConstraintComponent"))


def test_amount_in_exponent_form_is_not_an_xsd_decimal(valid_graph: Graph) -> None:
    valid_graph.set((EVENT, PKG.amount, raw("1e3", XSD.decimal)))
    assert_only(validate(valid_graph), (EVENT, PKG.amount, "PatternConstraintComponent"))


# ---- classes of objects ----------------------------------------------------------------------


def test_cites_an_organization(valid_graph: Graph) -> None:
    valid_graph.add((DOC, PKG.cites, ORG))
    (result,) = assert_only(validate(valid_graph), (DOC, PKG.cites, "ClassConstraintComponent"))
    assert result.value == str(ORG)


def test_issued_by_a_document(valid_graph: Graph) -> None:
    valid_graph.add((DOC, PKG.issuedBy, CITED))
    (result,) = assert_only(validate(valid_graph), (DOC, PKG.issuedBy, "ClassConstraintComponent"))
    assert result.value == str(CITED)


def test_within_an_organization(valid_graph: Graph) -> None:
    valid_graph.set((COUNTY, PKG.within, ORG))
    (result,) = assert_only(validate(valid_graph), (COUNTY, PKG.within, "ClassConstraintComponent"))
    assert result.value == str(ORG)
    assert result.shape == str(SHAPES["AdministrativeDivision-within"])


def test_organization_within_a_place(valid_graph: Graph) -> None:
    valid_graph.add((ORG, PKG.within, PROVINCE))
    assert_only(validate(valid_graph), (ORG, PKG.within, "MaxCountConstraintComponent"))


def test_explores_a_place(valid_graph: Graph) -> None:
    valid_graph.add((COUNTY, PKG.explores, PREFECTURE))
    assert_only(validate(valid_graph), (COUNTY, PKG.explores, "OrConstraintComponent"))


# ---- evidence and assertions -----------------------------------------------------------------


def test_reform_item_without_evidence(valid_graph: Graph) -> None:
    valid_graph.remove((ITEM2, PKG.evidence, None))
    (result,) = assert_only(
        validate(valid_graph), (ITEM2, PKG.evidence, "MinCountConstraintComponent")
    )
    assert result.message.startswith("no evidence")


def test_evidence_offsets_disagree_with_quote(valid_graph: Graph) -> None:
    evidence = evidence_of(valid_graph, EVENT)
    position = URIRef(f"{evidence}/position")
    start = valid_graph.value(position, OA.start).toPython()
    end = valid_graph.value(position, OA.end).toPython()
    valid_graph.set((position, OA.end, Literal(end + 1, datatype=XSD.nonNegativeInteger)))
    (result,) = assert_only(validate(valid_graph), (evidence, None, "SPARQLConstraintComponent"))
    assert result.message == (
        f"evidence offsets disagree with the quote: oa:end - oa:start = {end + 1} - {start}, "
        f"but oa:exact has {end - start} characters"
    )


def test_evidence_start_not_before_end(valid_graph: Graph) -> None:
    evidence = evidence_of(valid_graph, ORG)
    position = URIRef(f"{evidence}/position")
    end = valid_graph.value(position, OA.end)
    valid_graph.set((position, OA.start, end))
    # The length check fails too: end - start is now 0, the quote is not empty.
    assert_only(
        validate(valid_graph),
        (position, OA.start, "LessThanConstraintComponent"),
        (evidence, None, "SPARQLConstraintComponent"),
    )


def test_evidence_offset_typed_integer(valid_graph: Graph) -> None:
    evidence = evidence_of(valid_graph, ORG)
    position = URIRef(f"{evidence}/position")
    start = valid_graph.value(position, OA.start).toPython()
    valid_graph.set((position, OA.start, Literal(start)))  # xsd:integer, as bare Turtle
    assert_only(validate(valid_graph), (position, OA.start, "DatatypeConstraintComponent"))


def test_evidence_without_quote_text(valid_graph: Graph) -> None:
    evidence = evidence_of(valid_graph, ORG)
    quote = URIRef(f"{evidence}/quote")
    valid_graph.remove((quote, OA.exact, None))
    assert_only(validate(valid_graph), (quote, OA.exact, "MinCountConstraintComponent"))


def test_evidence_with_two_sources(valid_graph: Graph) -> None:
    evidence = evidence_of(valid_graph, ORG)
    valid_graph.add((evidence, OA.hasSource, CITED))
    assert_only(validate(valid_graph), (evidence, OA.hasSource, "MaxCountConstraintComponent"))


def test_evidence_pointing_at_a_non_evidence_node(valid_graph: Graph) -> None:
    valid_graph.add((ITEM1, PKG.evidence, DOC))
    assert_only(validate(valid_graph), (ITEM1, PKG.evidence, "ClassConstraintComponent"))


def test_assertion_of_a_triple_the_graph_does_not_state(valid_graph: Graph) -> None:
    valid_graph.remove((DOC, PKG.cites, CITED))
    assertion = assertion_iri(DOC, PKG.cites, CITED)
    assert_only(validate(valid_graph), (assertion, None, "SPARQLConstraintComponent"))


def test_assertion_with_two_objects(valid_graph: Graph) -> None:
    assertion = assertion_iri(DOC, PKG.issuedBy, ORG)
    valid_graph.add((assertion, RDF.object, CITED))
    # (DOC issuedBy CITED) is not stated, so the reification check reports it as well.
    assert_only(
        validate(valid_graph),
        (assertion, RDF.object, "MaxCountConstraintComponent"),
        (assertion, None, "SPARQLConstraintComponent"),
    )


# ---- the named graph's self-description --------------------------------------------------------


@pytest.mark.parametrize("value", ["sha256:ABC", "sha1:" + "0" * 40, "sha256:" + "A" * 64])
def test_content_hash_format(valid_graph: Graph, value: str) -> None:
    valid_graph.set((GRAPH, PKG.contentHash, Literal(value)))
    assert_only(validate(valid_graph), (GRAPH, PKG.contentHash, "PatternConstraintComponent"))


def test_document_graph_describes_one_document(valid_graph: Graph) -> None:
    valid_graph.add((GRAPH, PKG.describes, CITED))
    # CITED names no issuer, which is fine for a cited document but not for a source one.
    assert_only(
        validate(valid_graph),
        (GRAPH, PKG.describes, "MaxCountConstraintComponent"),
        (GRAPH, PKG.describes, "NodeConstraintComponent"),
    )


def test_source_document_without_issuer(valid_graph: Graph) -> None:
    assertion = assertion_iri(DOC, PKG.issuedBy, ORG)
    valid_graph.remove((DOC, PKG.issuedBy, ORG))
    valid_graph.remove((assertion, None, None))
    (result,) = assert_only(
        validate(valid_graph), (GRAPH, PKG.describes, "NodeConstraintComponent")
    )
    assert "issuer" in result.message


# ---- label method: warnings ------------------------------------------------------------------


@pytest.mark.parametrize("method", [PKG.ComposedLabel, PKG.TransliteratedLabel])
def test_uncurated_label_is_a_warning_only(valid_graph: Graph, method: URIRef) -> None:
    valid_graph.set((COUNTY, PKG.labelMethod, method))
    report = validate(valid_graph)
    assert report.conforms, report.text()
    assert report.violations() == []
    assert results(report) == {
        (str(COUNTY), str(PKG.labelMethod), "InConstraintComponent", "Warning")
    }
    (warning,) = report.warnings()
    assert warning.message.startswith("English label not curated")
    assert warning.value == str(method)


def test_unknown_label_method(valid_graph: Graph) -> None:
    valid_graph.set((COUNTY, PKG.labelMethod, PKG.GuessedLabel))
    report = validate(valid_graph)
    assert results(report) == {
        (str(COUNTY), str(PKG.labelMethod), "InConstraintComponent", "Violation"),
        (str(COUNTY), str(PKG.labelMethod), "InConstraintComponent", "Warning"),
    }
    assert not report.conforms


def test_missing_label_method(valid_graph: Graph) -> None:
    valid_graph.remove((COUNTY, PKG.labelMethod, None))
    assert_only(validate(valid_graph), (COUNTY, PKG.labelMethod, "MinCountConstraintComponent"))


# ---- the report itself -----------------------------------------------------------------------


def test_report_text_is_grouped_and_ordered(valid_graph: Graph) -> None:
    valid_graph.set((COUNTY, PKG.labelMethod, PKG.TransliteratedLabel))
    valid_graph.remove((ITEM2, PKG.evidence, None))
    text = validate(valid_graph).text()
    assert text == validate(valid_graph).text()
    lines = text.splitlines()
    assert lines[0] == "conforms: False (1 violations, 1 warnings, 0 infos)"
    assert lines[1] == "Violation (1):"
    assert lines[2].startswith(
        f"  {ITEM2} {PKG.evidence}: MinCountConstraintComponent: no evidence"
    )
    assert lines[3] == "Warning (1):"
    assert lines[4].startswith(f"  {COUNTY} {PKG.labelMethod}: InConstraintComponent: English")
    assert len(lines) == 5


def test_blank_node_entity(valid_graph: Graph) -> None:
    node = BNode("org")
    for p, o in list(valid_graph.predicate_objects(ORG)):
        valid_graph.add((node, p, o))
    report = validate(valid_graph)
    assert {(r.focus, r.constraint) for r in report.results} == {
        ("_:org", "NodeKindConstraintComponent")
    }, report.text()


def test_concurrent_validations_agree(valid_graph: Graph) -> None:
    broken = build_valid_graph()
    broken.set((ITEM2, PKG.ordinal, ordinal(1)))
    graphs = [valid_graph, broken] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        reports = list(pool.map(validate, graphs))
    assert [r.conforms for r in reports] == [True, False] * 3
    assert all(r.results == reports[1].results for r in reports[1::2])
