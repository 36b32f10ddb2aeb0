"""How the embedded store lays out the union of its document graphs, in the files beside
RocksDB's. Kept free of heavy imports: the service's query workers read it as they start.

The store's default graph holds the union of its named graphs, each triple once (an RDF
merge), written in the same transaction as the documents. Why not pyoxigraph's own union
(`use_default_graph_as_union`): pyoxigraph 0.5 returns a triple once for every graph that
holds it, and every document repeats the labels, types and `within` chain of what it names —
joins then grow with the corpus ("counties per reform item by province" took 5.7 s at 1M
triples, rdflib 49 ms) and COUNT counts the copies.

- `FORMAT.policykg` says the store has that layout. A store without it (made by an older
  policykg) is migrated by its next writer; until then readers use pyoxigraph's union.
- `UNION-STALE.policykg` is written before a write that brings the default graph up to date
  in a second step (a user's SPARQL Update, a bulk load into a store that is not empty) and
  removed after; a crash in between leaves it, and the next writer rebuilds the union.
  Readers meanwhile use pyoxigraph's union, which is right, only slower.
"""

from __future__ import annotations

from pathlib import Path

FORMAT_FILE = "FORMAT.policykg"
FORMAT_TEXT = "default graph = union of the named graphs\n"
STALE_FILE = "UNION-STALE.policykg"


def materialised(path: Path | None) -> bool:
    """Whether the store's default graph is the union, up to date (None: in memory, always)."""
    if path is None:
        return True
    return (path / FORMAT_FILE).is_file() and not (path / STALE_FILE).exists()
