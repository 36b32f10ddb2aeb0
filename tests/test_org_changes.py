"""Former bodies (环保总局, 国土资源部, 农业部, 国家计委) stay organisations of their own, linked to
their successors by W3C ORG change events read from data/org_changes.tsv — never merged."""

from __future__ import annotations

import re

from conftest import CORPUS
from rdflib import RDF, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from policykg.extract import extract
from policykg.mapping import to_graph
from policykg.normalise import normalise
from policykg.tables import read_table
from policykg.termbase import load_termbase
from policykg.validate import validate
from policykg.vocab import ORG, PKG

ID = "https://w3id.org/policykg/id/"
# A plain Namespace: rdflib's defined XSD namespace warns when pytest probes its attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


def org(key: str) -> URIRef:
    return URIRef(f"{ID}org/{key}")


def test_every_former_body_has_its_change_and_every_id_exists():
    rows = list(read_table("organizations.tsv"))
    ids = {r["id"] for r in rows}
    former = {r["id"] for r in rows if r["status"] == "former"}
    changes = load_termbase().changes
    assert set(changes) == former
    for ch in changes.values():
        assert ch.successors and set(ch.successors) <= ids, ch
        assert ch.former not in ch.successors
        assert ch.year is None or (re.fullmatch(r"\d{4}", ch.year) and 1949 < int(ch.year) < 2030)
        assert ch.kind in ("renamed", "reorganised", "merged", "split")


def test_successor_chains_end_in_a_current_body():
    tb = load_termbase()
    status = {o.key: o.status for o in tb.orgs}
    for key in tb.changes:
        seen, todo = set(), [key]
        while todo:
            k = todo.pop()
            assert k not in seen, f"cycle through {k}"
            seen.add(k)
            if k in tb.changes:
                todo.extend(tb.changes[k].successors)
            else:
                assert status[k] == "current", k


def _graph(text: str):
    return to_graph(extract(normalise(text.encode("utf-8"), "t.txt")))


def test_former_name_is_its_own_body_linked_through_the_chain():
    g = _graph("国务院办公厅关于某项目问题的函\n环保总局会同国家计委研究提出了办理意见。\n")
    sepa, mep, mee = org("sepa"), org("mep"), org("mee")
    # the body the text names, with its evidence and its own label
    assert (sepa, SKOS.prefLabel, Literal("国家环境保护总局", lang="zh")) in g
    assert (sepa, PKG.evidence, None) in g
    # its change: one event, the year, the successor — and onwards to today's ministry
    event = g.value(sepa, ORG.changedBy)
    assert (event, RDF.type, ORG.ChangeEvent) in g
    assert (event, ORG.originalOrganization, sepa) in g
    assert (event, ORG.resultingOrganization, mep) in g
    assert (mep, ORG.resultedFrom, event) in g
    assert g.value(event, DCTERMS.date) == Literal("2008", datatype=XSD.gYear)
    later = g.value(mep, ORG.changedBy)
    assert (later, ORG.resultingOrganization, mee) in g
    assert g.value(later, DCTERMS.date) == Literal("2018", datatype=XSD.gYear)
    # successors are described from the table, not as if the text named them
    for s in (mep, mee):
        assert (s, RDF.type, PKG.Organization) in g
        assert (s, PKG.evidence, None) not in g
        assert (s, PROV.wasDerivedFrom, URIRef(f"{ID}dataset/organizations")) in g
    assert (mee, SKOS.prefLabel, Literal("生态环境部", lang="zh")) in g
    # never merged: the former body carries no label of its successor
    assert not any("生态环境部" in str(o) for o in g.objects(sepa, SKOS.altLabel))
    # 国家计委 → 国家发展和改革委员会
    sdpc_event = g.value(org("sdpc"), ORG.changedBy)
    assert (sdpc_event, ORG.resultingOrganization, org("ndrc")) in g
    report = validate(g)
    assert report.conforms, report.text()


def test_a_split_has_one_event_with_several_results():
    g = _graph("国务院关于某事的通知\n国家质检总局要加强监管。\n")
    event = g.value(org("aqsiq"), ORG.changedBy)
    assert set(g.objects(event, ORG.resultingOrganization)) == {org("samr"), org("gac")}


def test_current_bodies_have_no_change():
    g = _graph("国务院关于某事的通知\n生态环境部要加强监管。\n")
    assert not list(g.subjects(RDF.type, ORG.ChangeEvent))


def test_organisation_without_provenance_fails_the_shapes():
    g = _graph("国务院办公厅关于某项目问题的函\n农业部研究提出了办理意见。\n")
    g.remove((org("mara"), PROV.wasDerivedFrom, None))
    report = validate(g)
    assert not report.conforms
    assert any(v.focus == str(org("mara")) for v in report.violations())


def test_the_2004_reply_links_its_ministries_to_their_successors():
    path = CORPUS / "state-council-reply-sichuan-2004-10-15.txt"
    g = to_graph(extract(normalise(path.read_bytes(), path.name)))
    pairs = {(str(g.value(e, ORG.originalOrganization)).rsplit("/", 1)[1],
              str(s).rsplit("/", 1)[1])
             for e in g.subjects(RDF.type, ORG.ChangeEvent)
             for s in g.objects(e, ORG.resultingOrganization)}
    for pair in [("moa", "mara"), ("mlr", "mnr"), ("sepa", "mep"), ("mep", "mee"),
                 ("ministry-of-construction", "mohurd"), ("ministry-of-communications", "mot"),
                 ("sfa", "nfga"), ("western-development-office", "ndrc")]:
        assert pair in pairs
    # 发展改革委 is current and named in the text: its evidence is its own
    assert (org("ndrc"), PKG.evidence, None) in g
