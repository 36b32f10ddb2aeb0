"""Plain-text error answers."""

from __future__ import annotations

from fastapi.responses import PlainTextResponse


def text_error(status: int, message: str,
               headers: dict[str, str] | None = None) -> PlainTextResponse:
    """`message` as one line of text/plain with the status."""
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def not_acceptable(offered: list[str], hint: str = "",
                   headers: dict[str, str] | None = None) -> PlainTextResponse:
    """406, listing the media types offered (and `hint`: another way to ask)."""
    return text_error(406, "none of the accepted media types is offered; offered: "
                      + ", ".join(offered) + hint, headers)
