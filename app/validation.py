"""Pydantic validation errors as (field path, message) pairs, the same in files, the API and the web."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from pydantic_core import ErrorDetails


def field_text(loc: Sequence[Hashable]) -> str:
    """``("block", 3, "rate")`` -> ``"block[3].rate"``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else f".{part}"
    return text.removeprefix(".")


def error_message(detail: ErrorDetails) -> str:
    """Pydantic's message, without the "Value error, " prefix our own rules would otherwise carry."""
    if detail["type"] == "value_error" and "error" in detail.get("ctx", {}):
        return str(detail["ctx"]["error"])
    return detail["msg"]
