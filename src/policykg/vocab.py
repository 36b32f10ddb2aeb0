"""RDF namespaces and the IRIs of the project's own terms."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

PKG = Namespace("https://w3id.org/policykg/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")

LABEL_METHOD = {
    "official": PKG.OfficialLabel,
    "curated": PKG.CuratedLabel,
    "composed": PKG.ComposedLabel,
    "transliterated": PKG.TransliteratedLabel,
}

GENRE = {
    "函": PKG.GenreLetter, "通知": PKG.GenreNotice, "意见": PKG.GenreOpinion,
    "方案": PKG.GenrePlan, "批复": PKG.GenreApproval, "决定": PKG.GenreDecision,
    "报告": PKG.GenreReport, "汇报": PKG.GenreReport, "请示": PKG.GenreRequest,
    "办法": PKG.GenreMeasures, "条例": PKG.GenreRegulation, "规划": PKG.GenrePlanning,
    "提案": PKG.GenreProposal, "答复": PKG.GenreReply, "通报": PKG.GenreCommunique,
    "纲要": PKG.GenreGuideline, "规定": PKG.GenreRules, "细则": PKG.GenreRules,
}

LEVEL = {"national": PKG.NationalLevel, "provincial": PKG.ProvincialLevel,
         "prefecture": PKG.PrefecturalLevel, "county": PKG.CountyLevel}

# roles of bodies responsible for a task (policykg.extract.responsible)
DUTY = {"lead": PKG.leadBody, "participant": PKG.participatingBody,
        "responsible": PKG.responsibleBody, "guide": PKG.guidingBody}

DIVISION_CLASS = {"province": PKG.Province, "prefecture": PKG.Prefecture, "county": PKG.County}

PREFIXES = {"pkg": PKG, "oa": OA, "skos": SKOS, "rdfs": RDFS, "rdf": RDF, "xsd": XSD,
            "prov": PROV, "dct": DCTERMS, "owl": OWL, "org": ORG}
