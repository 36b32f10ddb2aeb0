"""Graphs of N triples for sizes the text path would take too long to reach.

A seed block is built by the real pipeline (normalise → extract → map) from the bundled
corpus and from generated documents (`corpus_gen`); the block is then repeated, every
document-specific IRI (documents, their graphs, evidence, lists, events, amounts, …) made
unique per copy. Places, organisations, regions and programmes keep their IRIs, as they
would in a real corpus where many documents name the same county or ministry. Only whole
documents are written, so every document graph of the result passes the shapes.
Deterministic for a given seed and size: the block is sorted, each document's quads
together (rdflib's own order changed with Python's hash seed, and with it where a cut fell).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset

from bench.corpus_gen import generate_docs
from policykg.build import build_data
from policykg.ids import DEFAULT_BASE
from policykg.mapping import to_dataset
from policykg.resources import corpus_dir

# Namespaces under id/ whose IRIs belong to one document; the rest are shared entities.
PER_DOCUMENT = ("doc", "evidence", "list", "assertion", "target", "amount", "event",
                "proposal", "dataset", "item", "measure")


def seed_block(n_generated: int, seed: int = 0) -> str:
    """N-Quads of the bundled corpus plus `n_generated` generated documents, built by the
    pipeline (without validation: the block is copied, not ingested)."""
    graphs = []
    for path in sorted(corpus_dir().glob("*.txt")):
        d = build_data(path.read_bytes(), path)
        if d.graph is not None:
            graphs.append(d.graph)
    for doc in generate_docs(n_generated, seed):
        d = build_data(doc.text.encode("utf-8"), Path(doc.name))
        if d.graph is not None:
            graphs.append(d.graph)
    ds: Dataset = to_dataset(graphs)
    quads = ox.parse(ds.serialize(format="nquads").encode("utf-8"),
                     format=ox.RdfFormat.N_QUADS)
    return ox.serialize(sorted(quads, key=lambda q: (str(q.graph_name), str(q))),
                        format=ox.RdfFormat.N_QUADS).decode("utf-8")


def _documents(block: str) -> list[int]:
    """The number of lines of each run of quads of one graph, in the block's order (one quad
    a line, as N-Quads are written)."""
    runs: list[int] = []
    last = None
    for q in ox.parse(block.encode("utf-8"), format=ox.RdfFormat.N_QUADS):
        if q.graph_name != last:
            runs.append(0)
            last = q.graph_name
        runs[-1] += 1
    return runs


def _pieces(block: str, base: str = DEFAULT_BASE) -> list[str]:
    """The block cut right after every per-document namespace, so that a copy is one join
    with its tag (c7-) between the pieces."""
    kinds = "|".join(PER_DOCUMENT)
    cuts = [m.end() for m in re.finditer(rf"<{re.escape(base)}(?:graph/|id/(?:{kinds})/)",
                                          block)]
    return [block[a:b] for a, b in zip([0, *cuts], [*cuts, len(block)], strict=True)]


def write_graph(block: str, triples: int, out: Path) -> int:
    """Write about `triples` quads: whole copies of the block, then of the next copy as many
    whole documents as fit (at least one). Returns the number of quads written."""
    lines = block.count("\n")
    pieces = _pieces(block)
    written = 0
    copy = 0
    with out.open("w", encoding="utf-8") as fh:
        while written < triples:
            text = block if copy == 0 else f"c{copy}-".join(pieces)
            if written + lines <= triples:
                fh.write(text)
                written += lines
            else:
                take = 0
                for n in _documents(block):
                    if written + take + n > triples and (written or take):
                        break
                    take += n
                if take:
                    fh.write("\n".join(text.split("\n")[:take]) + "\n")
                return written + take
            copy += 1
    return written


def generate(triples: int, out: Path, n_generated: int = 0, seed: int = 0) -> int:
    """A graph of about `triples` quads from the bundled corpus (and `n_generated` generated
    documents) written to `out`; returns the number written."""
    return write_graph(seed_block(n_generated, seed), triples, out)


def load_store(nq: Path, store_dir: Path) -> None:
    """Bulk-load an N-Quads file into a new embedded store folder, as `policykg ingest` of an
    .nq file does on an empty store, without the command around it."""
    from policykg.store import OxigraphStore

    OxigraphStore(store_dir).bulk_load(nq)
