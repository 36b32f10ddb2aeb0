"""Many distinct, valid documents made from one of the corpus's: the 2004 reply of the State
Council's General Office with its own document number (国办函〔2004〕N号, so its own named
graph) and a window of its paragraphs. Small on purpose: ingest validates each document
against the shapes, which costs about a second for a document of this size."""

from __future__ import annotations

from pathlib import Path

from conftest import CORPUS
from rdflib import Graph

from policykg.build import build_data

SOURCE = CORPUS / "state-council-reply-sichuan-2004-10-15.txt"
NUMBER = "国办函〔2004〕71号"
SIGNATURE = "国务院办公厅\n二〇〇四年十月十五日\n"


def variant_text(k: int) -> str:
    """Document k: number 1000 + k, and three of the body's lines starting at k mod their
    count (the lines after the addressee)."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("一、"))
    head, body = lines[:start], [line for line in lines[start:-3] if line.strip()]
    i = k % (len(body) - 2)
    text = "\n".join([*head, *body[i:i + 3]]) + "\n" + SIGNATURE
    return text.replace(NUMBER, f"国办函〔2004〕{1000 + k}号")


def write_variants(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        path = folder / f"reply-{k:03d}.txt"
        path.write_text(variant_text(k), encoding="utf-8")
        paths.append(path)
    return paths


def expected_graphs(paths: list[Path]) -> dict[str, Graph]:
    """Each document's graph as a clean build makes it, by graph IRI."""
    out = {}
    for path in paths:
        doc = build_data(path.read_bytes(), path)
        assert doc.graph is not None, doc.error
        out[str(doc.graph.identifier)] = doc.graph
    assert len(out) == len(paths), "two variants made the same graph"
    return out
