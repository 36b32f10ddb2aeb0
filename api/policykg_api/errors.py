"""Plain-text error answers."""

from __future__ import annotations

from fastapi.responses import PlainTextResponse


def text_error(status: int, message: str,
               headers: dict[str, str] | None = None) -> PlainTextResponse:
    """`message` as one line of text/plain with the status."""
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)
