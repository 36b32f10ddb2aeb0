"""Entity IRIs and the paths that name them: `{base}id/{path}` from a request path (checked,
so that no user text makes an invalid IRI), and the `/page/…` path of an entity IRI."""

from __future__ import annotations

import re
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import Request

_NOT_IN_IRI = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f-\x9f?#]")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
MAX_PATH = 1024


class BadPath(ValueError):
    """A path that cannot make an entity IRI (answered with 400)."""


def entity_iri(request: Request, path: str) -> str:
    """`{base}id/{path}`, or BadPath when the path cannot make a valid entity IRI."""
    if not path or len(path) > MAX_PATH:
        raise BadPath(f"an entity path must have 1 to {MAX_PATH} characters")
    if any(seg in ("", ".", "..") for seg in path.split("/")):
        raise BadPath("an entity path has no empty, '.' or '..' segments")
    if _NOT_IN_IRI.search(path) or _PERCENT.search(path):
        raise BadPath(f"{path!r} contains characters that cannot appear in an IRI")
    iri = f"{request.app.state.settings.base}id/{path}"
    try:
        ox.NamedNode(iri)
    except ValueError as e:
        raise BadPath(f"{path!r} does not make a valid IRI: {e}") from None
    return iri


def page_path(request: Request, iri: str) -> str | None:
    """`/page/…` for an entity IRI under the base, None for any other IRI."""
    prefix = request.app.state.settings.base + "id/"
    if iri.startswith(prefix) and len(iri) > len(prefix):
        return "/page/" + quote(iri[len(prefix):], safe="/")
    return None
