"""Locate the files that ship inside the package: ontology, shapes, data tables, corpus.

In a wheel they sit inside the `policykg` package (hatch force-include). In a source
checkout (editable install) they sit at the repository root, two levels above this file.
Never resolved through the current directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


@cache
def _folder(name: str) -> Path:
    for candidate in (_PACKAGE / name, _CHECKOUT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"policykg is installed without its {name}/ folder")


def ontology_path() -> Path:
    return _folder("ontology") / "policykg.ttl"


def shapes_dir() -> Path:
    return _folder("shapes")


def corpus_dir() -> Path:
    return _folder("corpus")


def data_path(name: str) -> Path:
    """A bundled data table (termbase, gazetteer, readings) under src/policykg/data."""
    return _PACKAGE / "data" / name
