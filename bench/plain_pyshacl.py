"""The baseline for whole-graph SHACL: plain pySHACL on one in-memory rdflib graph, with the
same shapes, the same ontology class hierarchy and the same options as policykg uses, and
no policykg code at all. Prints: parse seconds, validation seconds, conforms, results.

    python bench/plain_pyshacl.py DATA.nq
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyshacl
import rdflib
from rdflib import RDFS, URIRef

ROOT = Path(__file__).resolve().parent.parent


def main(data: Path) -> None:
    shapes = rdflib.Graph()
    for p in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes.parse(p, format="turtle")
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "policykg.ttl", format="turtle")
    hierarchy = rdflib.Graph()
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            hierarchy.add((sub, RDFS.subClassOf, sup))
    t = time.perf_counter()
    ds = rdflib.Dataset()
    ds.parse(data, format="nquads")
    graph = rdflib.Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        graph.add((s, p, o))
    del ds
    parse_s = time.perf_counter() - t
    t = time.perf_counter()
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=hierarchy,
                                           inference="none", advanced=True,
                                           allow_warnings=True, abort_on_first=False)
    validate_s = time.perf_counter() - t
    results = sum(1 for _ in report.subjects(rdflib.RDF.type, rdflib.SH.ValidationResult))
    print(f"{parse_s:.3f} {validate_s:.3f} {conforms} {results}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
