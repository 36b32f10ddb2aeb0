"""Service configuration: flags of `policykg serve`, or environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policykg.ids import DEFAULT_BASE
from policykg.remote_config import RemoteConfig
from policykg.store import default_store_dir


def _env_float(name: str, default: float) -> float:
    v = os.environ.get(name)
    return float(v) if v else default


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
    max_query_bytes: int = 1_000_000
