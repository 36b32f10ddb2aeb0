"""Writes need the configured bearer token; reads stay open."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import PlainTextResponse


def write_denied(request: Request, what: str) -> PlainTextResponse | None:
    """None when the request may write; otherwise the 401/403 response to send."""
    token = request.app.state.settings.token
    if not token:
        return PlainTextResponse(f"{what} is disabled on this server (no token configured)\n",
                                 status_code=403)
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return PlainTextResponse(f"{what} needs 'Authorization: Bearer <token>'\n",
                                 status_code=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="policykg"'})
    if not hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
        return PlainTextResponse("wrong token\n", status_code=403)
    return None
