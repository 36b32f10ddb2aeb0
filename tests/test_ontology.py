"""The ontology (ontology/policykg.ttl): it parses everywhere, defines every term the graph
model uses, labels and defines each term in Chinese and English, and aligns with the standard
vocabularies named in the architecture."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef

from policykg.resources import ontology_path

PKG = Namespace("https://w3id.org/policykg/ontology#")
ONTOLOGY_IRI = URIRef("https://w3id.org/policykg/ontology")
OA = Namespace("http://www.w3.org/ns/oa#")
DCT = Namespace("http://purl.org/dc/terms/")
# A plain Namespace: rdflib's defined XSD namespace warns when pytest probes its attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

GRAPH_MODEL = Path(__file__).resolve().parents[1] / "docs" / "graph-model.md"

# The core vocabulary of /work/shared/design/ARCHITECTURE.md ("Core vocabulary").
CORE_CLASSES = [
    "PolicyDocument",
    "Proposal",
    "Organization",
    "TrialZone",
    "TrialTask",
    "ReformItem",
    "Project",
    "PilotProgram",
    "Measure",
    "Event",
    "AdministrativeDivision",
    "Province",
    "Prefecture",
    "County",
]
CORE_PROPERTIES = [
    "issuedBy",
    "publishedBy",
    "addressee",
    "documentNumber",
    "issued",
    "posted",
    "cites",
    "answers",
    "definedIn",
    "ordinal",
    "statedCount",
    "adminCode",
    "within",
    "participant",
    "explores",
    "amount",
    "evidence",
]

DECLARING_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.NamedIndividual,
    SKOS.Concept,
    SKOS.ConceptScheme,
)
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty)

ALIGNMENT_PREDICATES = (
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    SKOS.closeMatch,
    SKOS.exactMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
)
ALIGNMENT_TARGETS = {
    "ELI": "http://data.europa.eu/eli/ontology#",
    "W3C ORG": "http://www.w3.org/ns/org#",
    "SKOS": "http://www.w3.org/2004/02/skos/core#",
    "PROV-O": "http://www.w3.org/ns/prov#",
    "Web Annotation": "http://www.w3.org/ns/oa#",
    "schema.org": "https://schema.org/",
    "Dublin Core terms": "http://purl.org/dc/terms/",
}

GENRE_NOTATIONS = {
    "GenreLetter": {"函"},
    "GenreNotice": {"通知"},
    "GenreOpinion": {"意见"},
    "GenrePlan": {"方案"},
    "GenreApproval": {"批复"},
    "GenreDecision": {"决定"},
    "GenreReport": {"报告"},
    "GenreRequest": {"请示"},
    "GenreMeasures": {"办法"},
    "GenreRegulation": {"条例"},
    "GenrePlanning": {"规划"},
    "GenreProposal": {"提案"},
    "GenreReply": {"答复"},
    "GenreCommunique": {"通报"},
    "GenreGuideline": {"纲要"},
    "GenreRules": {"规定", "细则"},
}

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def path() -> Path:
    found = ontology_path()
    assert found.is_file(), f"ontology not found at {found}"
    return found


@pytest.fixture(scope="module")
def graph(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle")
    return g


def _in_pkg(term: object) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(PKG))


def _declared(graph: Graph) -> set[URIRef]:
    return {s for t in DECLARING_TYPES for s in graph.subjects(RDF.type, t) if _in_pkg(s)}


def _properties(graph: Graph) -> set[URIRef]:
    return {s for t in PROPERTY_TYPES for s in graph.subjects(RDF.type, t) if _in_pkg(s)}


def _by_lang(graph: Graph, subject: URIRef, predicate: URIRef, lang: str) -> list[Literal]:
    return [
        o
        for o in graph.objects(subject, predicate)
        if isinstance(o, Literal) and o.language == lang
    ]


# --- parsing ---------------------------------------------------------------------------------


def test_parses_with_rdflib(graph: Graph) -> None:
    assert len(graph) > 0
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph


def test_parses_with_rapper(path: Path, graph: Graph) -> None:
    rapper = shutil.which("rapper")
    if rapper is None:
        pytest.fail(
            "rapper (Raptor RDF parser) is not installed; install it with "
            "`apt-get install raptor2-utils` to check the ontology with a second parser"
        )
    done = subprocess.run(
        [rapper, "-i", "turtle", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"rapper rejected {path}:\n{done.stderr}"
    counted = re.search(r"returned (\d+) triples", done.stderr)
    assert counted, f"no triple count in rapper's output:\n{done.stderr}"
    assert int(counted.group(1)) == len(graph), (
        f"rapper read {counted.group(1)} triples, rdflib {len(graph)}"
    )


_MIX_IN = """
import sys
import pyshacl
import rdflib

ontology = rdflib.Graph().parse(sys.argv[1], format="turtle")
data = rdflib.Graph()
data.add((rdflib.URIRef("urn:x"), rdflib.RDF.type, rdflib.URIRef(sys.argv[2])))
pyshacl.validate(data, shacl_graph=rdflib.Graph(), ont_graph=ontology, inference="none")
"""


def test_pyshacl_mixes_the_ontology_in_quickly(path: Path) -> None:
    # Users validating their own data hand this file to pySHACL as ont_graph. pySHACL
    # deep-copies every owl:NamedIndividual along every IRI it links to, so links between
    # individuals (SKOS scheme <-> concept) once made this take hours; keep it to seconds.
    try:
        done = subprocess.run(
            [sys.executable, "-c", _MIX_IN, str(path), str(PKG.Province)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("pySHACL took over 60 s to mix the ontology into a one-triple data graph")
    assert done.returncode == 0, done.stderr


# --- header ----------------------------------------------------------------------------------


def test_ontology_header(graph: Graph) -> None:
    assert {t.language for t in graph.objects(ONTOLOGY_IRI, DCT.title)} >= {"zh", "en"}
    assert list(graph.objects(ONTOLOGY_IRI, DCT.description))
    assert (ONTOLOGY_IRI, OWL.versionInfo, Literal("0.1.0")) in graph
    license_ = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert (ONTOLOGY_IRI, DCT.license, license_) in graph


# --- coverage --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORE_CLASSES)
def test_core_class_declared(graph: Graph, name: str) -> None:
    assert (PKG[name], RDF.type, OWL.Class) in graph, f"pkg:{name} is not an owl:Class"


@pytest.mark.parametrize("name", CORE_PROPERTIES)
def test_core_property_declared(graph: Graph, name: str) -> None:
    assert PKG[name] in _properties(graph), f"pkg:{name} is not an OWL property"


def test_every_graph_model_term_declared(graph: Graph) -> None:
    used = set(re.findall(r"\bpkg:(\w+)", GRAPH_MODEL.read_text(encoding="utf-8")))
    assert len(used) > 40, "graph-model.md names fewer pkg: terms than expected"
    declared = _declared(graph)
    missing = sorted(name for name in used if PKG[name] not in declared)
    assert not missing, f"used in docs/graph-model.md but not declared: {missing}"


def test_every_pkg_iri_mentioned_is_declared(graph: Graph) -> None:
    mentioned = {t for triple in graph for t in triple if _in_pkg(t)}
    undeclared = sorted(t.removeprefix(str(PKG)) for t in mentioned - _declared(graph))
    assert not undeclared, f"mentioned in the ontology but never declared: {undeclared}"


# --- labels and definitions ------------------------------------------------------------------


def test_every_term_labelled_and_defined_in_both_languages(graph: Graph) -> None:
    problems = []
    for term in sorted(_declared(graph)):
        name = term.removeprefix(str(PKG))
        for lang in ("zh", "en"):
            pref = _by_lang(graph, term, SKOS.prefLabel, lang)
            label = _by_lang(graph, term, RDFS.label, lang)
            definition = _by_lang(graph, term, SKOS.definition, lang)
            if len(pref) != 1:
                problems.append(f"{name}: {len(pref)} skos:prefLabel @{lang}")
            if len(label) != 1 or set(label) != set(pref):
                problems.append(f"{name}: rdfs:label @{lang} does not mirror skos:prefLabel")
            if len(definition) != 1:
                problems.append(f"{name}: {len(definition)} skos:definition @{lang}")
                continue
            text = str(definition[0])
            if lang == "zh" and (not CJK.search(text) or len(text) < 8):
                problems.append(f"{name}: the @zh definition is not a Chinese sentence")
            if lang == "en" and len(re.findall(r"[A-Za-z]+", text)) < 5:
                problems.append(f"{name}: the @en definition is not an English sentence")
        if (term, RDFS.isDefinedBy, ONTOLOGY_IRI) not in graph:
            problems.append(f"{name}: no rdfs:isDefinedBy <{ONTOLOGY_IRI}>")
    assert not problems, "\n".join(problems)


def test_definitions_differ_between_terms(graph: Graph) -> None:
    seen: dict[str, URIRef] = {}
    for term, _, definition in graph.triples((None, SKOS.definition, None)):
        if not _in_pkg(term):
            continue
        key = f"{definition.language}:{definition}"
        assert key not in seen, f"{term} and {seen[key]} share a definition"
        seen[key] = term


# --- properties ------------------------------------------------------------------------------


def test_every_property_has_domain_and_range(graph: Graph) -> None:
    missing = [
        f"{p.removeprefix(str(PKG))}: no rdfs:{what}"
        for p in sorted(_properties(graph))
        for what, predicate in (("domain", RDFS.domain), ("range", RDFS.range))
        if graph.value(p, predicate) is None
    ]
    assert not missing, "\n".join(missing)


def test_datatype_ranges_are_datatypes_and_object_ranges_are_not(graph: Graph) -> None:
    literal_ns = (str(XSD), str(RDF.langString))
    for p in graph.subjects(RDF.type, OWL.DatatypeProperty):
        if not _in_pkg(p):
            continue
        for r in graph.objects(p, RDFS.range):
            is_union = (r, RDF.type, RDFS.Datatype) in graph
            assert is_union or str(r).startswith(literal_ns), f"{p} ranges over {r}"
    for p in graph.subjects(RDF.type, OWL.ObjectProperty):
        if not _in_pkg(p):
            continue
        for r in graph.objects(p, RDFS.range):
            assert not str(r).startswith(str(XSD)), f"object property {p} ranges over {r}"


def test_date_properties_accept_every_precision(graph: Graph) -> None:
    wanted = {XSD.date, XSD.gYearMonth, XSD.gYear, XSD.dateTime}
    for name in ("issued", "posted", "deadline", "date"):
        rng = graph.value(PKG[name], RDFS.range)
        assert rng is not None and (rng, RDF.type, RDFS.Datatype) in graph, name
        members = set(graph.items(graph.value(rng, OWL.unionOf)))
        assert members == wanted, f"pkg:{name} ranges over {members}"


def test_participant_takes_divisions_or_zones(graph: Graph) -> None:
    rng = graph.value(PKG.participant, RDFS.range)
    members = set(graph.items(graph.value(rng, OWL.unionOf)))
    assert members == {PKG.AdministrativeDivision, PKG.TrialZone}


# --- hierarchy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sub", "predicate", "sup"),
    [
        (PKG.Province, RDFS.subClassOf, PKG.AdministrativeDivision),
        (PKG.Prefecture, RDFS.subClassOf, PKG.AdministrativeDivision),
        (PKG.County, RDFS.subClassOf, PKG.AdministrativeDivision),
        (PKG.Proposal, RDFS.subClassOf, PKG.PolicyDocument),
        (PKG.Evidence, RDFS.subClassOf, OA.SpecificResource),
        (PKG.Assertion, RDFS.subClassOf, RDF.Statement),
        (PKG.LabelMethod, RDFS.subClassOf, SKOS.Concept),
        (PKG.GovernmentLevel, RDFS.subClassOf, SKOS.Concept),
        (PKG.legalBasis, RDFS.subPropertyOf, PKG.cites),
        (PKG.statedIssuerCount, RDFS.subPropertyOf, PKG.statedCount),
        (PKG.statedCaseCount, RDFS.subPropertyOf, PKG.statedCount),
        (PKG.statedParticipantCount, RDFS.subPropertyOf, PKG.statedCount),
        (PKG.statedProjectCount, RDFS.subPropertyOf, PKG.statedCount),
    ],
)
def test_required_axiom(graph: Graph, sub: URIRef, predicate: URIRef, sup: URIRef) -> None:
    assert (sub, predicate, sup) in graph


# --- individuals and schemes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "scheme", "members"),
    [
        (
            PKG.LabelMethod,
            PKG.LabelMethodScheme,
            ["OfficialLabel", "CuratedLabel", "ComposedLabel", "TransliteratedLabel"],
        ),
        (
            PKG.GovernmentLevel,
            PKG.LevelScheme,
            ["NationalLevel", "ProvincialLevel", "PrefecturalLevel", "CountyLevel"],
        ),
    ],
)
def test_controlled_individuals(
    graph: Graph, cls: URIRef, scheme: URIRef, members: list[str]
) -> None:
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    for name in members:
        assert (PKG[name], RDF.type, cls) in graph, f"pkg:{name} is not a {cls}"
        assert (PKG[name], RDF.type, SKOS.Concept) in graph
        assert (PKG[name], SKOS.inScheme, scheme) in graph


def test_genre_scheme(graph: Graph) -> None:
    assert (PKG.GenreScheme, RDF.type, SKOS.ConceptScheme) in graph
    for name, notations in GENRE_NOTATIONS.items():
        concept = PKG[name]
        assert (concept, RDF.type, SKOS.Concept) in graph, name
        assert (concept, SKOS.inScheme, PKG.GenreScheme) in graph, name
        found = {str(n) for n in graph.objects(concept, SKOS.notation)}
        assert found == notations, f"pkg:{name} notations {found}"
    in_scheme = list(graph.subjects(SKOS.inScheme, PKG.GenreScheme))
    all_notations = [str(n) for c in in_scheme for n in graph.objects(c, SKOS.notation)]
    assert len(all_notations) == len(set(all_notations)), "a genre notation is used twice"


# --- alignment -------------------------------------------------------------------------------


@pytest.mark.parametrize("vocabulary", sorted(ALIGNMENT_TARGETS))
def test_aligned_with(graph: Graph, vocabulary: str) -> None:
    namespace = ALIGNMENT_TARGETS[vocabulary]
    links = [
        (s, o)
        for p in ALIGNMENT_PREDICATES
        for s, o in graph.subject_objects(p)
        if _in_pkg(s) and isinstance(o, URIRef) and str(o).startswith(namespace)
    ]
    assert links, f"no pkg: term is aligned with {vocabulary} ({namespace})"
