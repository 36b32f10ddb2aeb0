"""Shared fixtures: the bundled corpus and gold live in the repository (corpus/, tests/gold/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOLD = Path(__file__).resolve().parent / "gold"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


def load_gold(name: str) -> dict:
    return json.loads((GOLD / name).read_text(encoding="utf-8"))
