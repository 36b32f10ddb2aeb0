"""Ingest: build each document, validate it alone, and put it into the store. A document
that fails the shapes is refused (nothing of it is stored); the others go in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from policykg.build import build_one, input_files
from policykg.ids import DEFAULT_BASE
from policykg.store import GraphStore
from policykg.validate import validate


@dataclass
class IngestReport:
    outcomes: dict[str, list[str]] = field(default_factory=dict)  # outcome → file names
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    graphs: list = field(default_factory=list)  # the graphs stored (added or replaced)

    def count(self, outcome: str) -> int:
        return len(self.outcomes.get(outcome, []))


def ingest(paths: Iterable[Path], store: GraphStore, base: str = DEFAULT_BASE,
           on_file: Callable[[Path], None] | None = None) -> IngestReport:
    report = IngestReport()
    for path in input_files(paths):
        doc = build_one(path, base)
        if doc.error or doc.graph is None:
            report.refused.append((path.name, doc.error or "no graph"))
        else:
            v = validate(doc.graph)
            if not v.conforms:
                first = v.violations()[0]
                report.refused.append((path.name, f"{len(v.violations())} SHACL violations, "
                                                  f"e.g. {first.message}"))
            else:
                outcome = store.put_document(doc.graph)
                report.outcomes.setdefault(outcome, []).append(path.name)
                if outcome != "unchanged":
                    report.graphs.append(doc.graph)
        if on_file:
            on_file(path)
    return report
