"""Request bodies into models: JSON syntax errors are 400s, validation errors 422s naming each field."""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.engine.money import currency_scope
from app.services.errors import InvalidInputError, MalformedInputError, Problem
from app.validation import error_message, field_text

Model = TypeVar("Model", bound=BaseModel)

MAX_BODY_BYTES = 5_000_000


def parse_json(raw: bytes) -> Any:
    if len(raw) > MAX_BODY_BYTES:
        raise MalformedInputError(f"the body is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        raise MalformedInputError("the body is empty: send a JSON object")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise MalformedInputError("the body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise MalformedInputError(
            f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
            [Problem("", error.msg, error.lineno)],
        ) from None
    except RecursionError:
        raise MalformedInputError("the JSON is nested too deeply") from None


def validation_problems(error: ValidationError, prefix: Sequence[Hashable] = ()) -> list[Problem]:
    return [
        Problem(field_text((*prefix, *detail["loc"])), error_message(detail)) for detail in error.errors()
    ]


def parse_input(
    model: type[Model], data: Any, *, currency: str | None = None, prefix: Sequence[Hashable] = ()
) -> Model:
    """Validate ``data`` as ``model`` (lax at this boundary, strict inside the engine)."""
    if not isinstance(data, dict):
        raise InvalidInputError(
            "the body must be a JSON object", [Problem(field_text(prefix), "expected a JSON object")]
        )
    try:
        with currency_scope(currency):
            return model.model_validate(data, strict=False)
    except ValidationError as error:
        raise InvalidInputError("the request does not validate", validation_problems(error, prefix)) from None
    except RecursionError:
        raise MalformedInputError("the JSON is nested too deeply") from None
