"""Service configuration: flags of `policykg serve`, or environment variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from policykg.ids import DEFAULT_BASE
from policykg.remote_config import RemoteConfig
from policykg.store import default_store_dir

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1024, "mi": 1024**2,
          "gi": 1024**3}


def parse_size(text: str) -> int:
    """Bytes from '1000000', '10MB', '10M', '512KiB' …; ValueError naming what is wrong."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a size: use bytes, or a number with KB, MB, GB "
                         "(or KiB, MiB, GiB)")
    unit = (m.group(2) or "").lower().removesuffix("b")
    return int(m.group(1)) * _UNITS[unit]


def _env_float(name: str, default: float) -> float:
    v = os.environ.get(name)
    return float(v) if v else default


def _env_size(name: str, default: int) -> int:
    v = os.environ.get(name)
    if not v:
        return default
    try:
        return parse_size(v)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


@dataclass
class Settings:
    # a store folder, or a remote SPARQL server's configuration
    store: Path | RemoteConfig = field(default_factory=default_store_dir)
    base: str = field(default_factory=lambda: os.environ.get("POLICYKG_BASE", DEFAULT_BASE))
    query_timeout: float = field(
        default_factory=lambda: _env_float("POLICYKG_QUERY_TIMEOUT", 30.0))
    max_rows: int = field(default_factory=lambda: int(os.environ.get("POLICYKG_MAX_ROWS",
                                                                     "10000")))
    token: str | None = field(default_factory=lambda: os.environ.get("POLICYKG_TOKEN") or None)
    cors_origins: list[str] = field(default_factory=lambda: [
        o.strip() for o in os.environ.get("POLICYKG_CORS_ORIGINS", "*").split(",") if o.strip()])
    workers: int = field(default_factory=lambda: int(os.environ.get("POLICYKG_QUERY_WORKERS",
                                                                    "2")))
    # more worker processes, up to this many, while queries wait for one: room for four
    # long queries, the cheap one beside them and a spare
    max_workers: int = field(default_factory=lambda: int(os.environ.get(
        "POLICYKG_MAX_QUERY_WORKERS", "6")))
    # a SPARQL query or update, and any request body but a document's (413 beyond)
    max_query_bytes: int = field(
        default_factory=lambda: _env_size("POLICYKG_MAX_QUERY_BYTES", 1_000_000))
    # one document posted to /ingest (413 beyond)
    max_document_bytes: int = field(
        default_factory=lambda: _env_size("POLICYKG_MAX_DOCUMENT_BYTES", 20_000_000))
