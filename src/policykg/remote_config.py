"""Where a remote SPARQL store is and how to log in to it.

`--store sparql+http://host:port/path` names the query endpoint; the update endpoint and the
Graph Store Protocol endpoint default to the query endpoint and to none, and can be given
apart (Virtuoso splits them: /sparql reads, /sparql-auth writes). Credentials come from
`POLICYKG_STORE_USER` / `POLICYKG_STORE_PASSWORD` (or `POLICYKG_STORE_TOKEN` for a bearer
token), or from a TOML file (`--store-config`, or `$POLICYKG_STORE_CONFIG`) — never from the
URL, which ends up in shell history, process lists and logs.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

SCHEMES = ("sparql+http://", "sparql+https://")


class StoreConfigError(ValueError):
    """A store address or configuration file that cannot be used."""


@dataclass(frozen=True)
class RemoteConfig:
    query_endpoint: str
    update_endpoint: str
    gsp_endpoint: str | None = None
    user: str | None = None
    # repr=False: a config printed in a log or a traceback never shows a secret
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    timeout: float = 60.0  # seconds for one HTTP exchange
    batch_triples: int = 2_000  # triples sent per update (halved when refused)
    union: str = "explicit"  # explicit | server: how the union default graph is formed

    @property
    def location(self) -> str:
        return self.query_endpoint


def is_remote(spec: str | Path | None) -> bool:
    return isinstance(spec, str) and spec.startswith(SCHEMES)


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreConfigError(f"{what} must be an http:// or https:// URL, not {value!r}")
    if parts.username or parts.password:
        raise StoreConfigError(f"{what}: put credentials in POLICYKG_STORE_USER / "
                               "POLICYKG_STORE_PASSWORD or a --store-config file, not in the URL")
    return value


def _read_file(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreConfigError(f"{path}: no such store configuration file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise StoreConfigError(f"{path}: not a TOML file: {e}") from None
    store = data.get("store", data)
    known = {"url", "update_endpoint", "gsp_endpoint", "user", "password", "token", "timeout",
             "batch_triples", "union"}
    unknown = sorted(set(store) - known)
    if unknown:
        raise StoreConfigError(f"{path}: unknown keys {', '.join(unknown)}; "
                               f"known: {', '.join(sorted(known))}")
    return store


def remote_config(url: str | None = None, update_endpoint: str | None = None,
                  gsp_endpoint: str | None = None, config_file: Path | None = None,
                  env: dict[str, str] | None = None) -> RemoteConfig:
    """The configuration from (in order of precedence) explicit arguments, the environment
    and the configuration file."""
    env = os.environ if env is None else env
    path = config_file or (Path(env["POLICYKG_STORE_CONFIG"])
                           if env.get("POLICYKG_STORE_CONFIG") else None)
    conf = _read_file(path) if path else {}
    url = url or conf.get("url")
    if not url or not is_remote(url):
        raise StoreConfigError(f"a remote store is named sparql+http://host:port/path "
                               f"(or sparql+https://), not {url!r}")
    query = _http_url(url.removeprefix("sparql+"), "--store")
    update = _http_url(update_endpoint or conf.get("update_endpoint") or query,
                       "--update-endpoint")
    gsp = gsp_endpoint or conf.get("gsp_endpoint")
    union = conf.get("union", "explicit")
    if union not in ("explicit", "server"):
        raise StoreConfigError(f"union must be 'explicit' or 'server', not {union!r}")
    cfg = RemoteConfig(
        query_endpoint=query, update_endpoint=update,
        gsp_endpoint=_http_url(gsp, "--gsp-endpoint") if gsp else None,
        user=env.get("POLICYKG_STORE_USER") or conf.get("user"),
        password=env.get("POLICYKG_STORE_PASSWORD") or conf.get("password"),
        token=env.get("POLICYKG_STORE_TOKEN") or conf.get("token"), union=union)
    if "timeout" in conf:
        cfg = replace(cfg, timeout=float(conf["timeout"]))
    if "batch_triples" in conf:
        cfg = replace(cfg, batch_triples=max(100, int(conf["batch_triples"])))
    if cfg.user and cfg.password is None:
        raise StoreConfigError("POLICYKG_STORE_USER is set but no password was given "
                               "(POLICYKG_STORE_PASSWORD or the configuration file)")
    return cfg
