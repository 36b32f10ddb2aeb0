"""Read the bundled tab-separated data tables (reviewable files, not code)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from policykg.resources import data_path


def read_table(name: str | Path) -> Iterator[dict[str, str]]:
    """Rows of a TSV with a header line; lines starting with '#' are comments."""
    path = name if isinstance(name, Path) else data_path(name)
    with path.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if line.strip() and not line.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield {k: (v or "").strip() for k, v in row.items() if k is not None}


def split_cell(cell: str) -> list[str]:
    return [x.strip() for x in cell.split("|") if x.strip()]
