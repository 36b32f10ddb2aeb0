"""The pipeline for a set of files: normalise → extract → map → validate, per document.
A bad file is reported and skipped; the others are built."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph

from policykg.doc_graph import DocumentGraph
from policykg.extract import extract
from policykg.ids import DEFAULT_BASE
from policykg.mapping import to_dataset, to_document_graph
from policykg.normalise import NormaliseError, normalise
from policykg.records import Extraction

SUFFIXES = (".txt", ".html", ".htm", ".xhtml")


@dataclass
class DocumentBuild:
    path: Path
    extraction: Extraction | None = None
    mapped: DocumentGraph | None = None
    error: str | None = None
    unreadable: bool = False  # the input, not the pipeline, is at fault (undecodable, …)

    @property
    def graph(self) -> Graph | None:
        """The document graph as an rdflib Graph (built on first use)."""
        return self.mapped.graph() if self.mapped is not None else None


@dataclass
class BuildResult:
    documents: list[DocumentBuild] = field(default_factory=list)

    @property
    def failures(self) -> list[DocumentBuild]:
        return [d for d in self.documents if d.error]

    def dataset(self) -> Dataset:
        return to_dataset([d.graph for d in self.documents if d.graph is not None])


def input_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the documents inside folders (recursively), sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and f.suffix.lower() in SUFFIXES))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return out


def build_one(path: Path, base: str = DEFAULT_BASE) -> DocumentBuild:
    try:
        data = path.read_bytes()
    except OSError as e:
        return DocumentBuild(path, error=str(e), unreadable=True)
    return build_data(data, path, base)


def build_data(data: bytes, path: Path, base: str = DEFAULT_BASE) -> DocumentBuild:
    """One document's bytes through normalise → extract → map (no validation)."""
    try:
        norm = normalise(data, path.name)
    except NormaliseError as e:
        return DocumentBuild(path, error=str(e), unreadable=True)
    try:
        ex = extract(norm)
        mapped = to_document_graph(ex, base)
        mapped.text()  # written now, so that a term N-Triples cannot hold is reported here
    except Exception as e:  # a bug must not lose the rest of the corpus: report it
        return DocumentBuild(path, error=f"{path.name}: extraction failed: "
                                         f"{type(e).__name__}: {e}")
    return DocumentBuild(path, extraction=ex, mapped=mapped)


def build(paths: Iterable[Path], base: str = DEFAULT_BASE,
          on_file: Callable[[DocumentBuild], None] | None = None) -> BuildResult:
    result = BuildResult()
    for path in input_files(paths):
        doc = build_one(path, base)
        result.documents.append(doc)
        if on_file:
            on_file(doc)
    return result
