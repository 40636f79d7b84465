"""The service layer's errors, one root; the API maps each to a problem+json status in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: where (a dotted field path, ``""`` for the whole) and what."""

    field: str
    message: str
    line: int | None = None


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = tuple(problems)


class InvalidInputError(ServiceError):
    status = 422
    title = "Invalid input"


class MalformedInputError(ServiceError):
    status = 400
    title = "Malformed request"


class NotAuthenticatedError(ServiceError):
    status = 401
    title = "Credentials required"


class ForbiddenError(ServiceError):
    status = 403
    title = "Not allowed"


class NotFoundError(ServiceError):
    status = 404
    title = "Not found"


class ConflictError(ServiceError):
    status = 409
    title = "Conflict"


class StoredDataError(ServiceError):
    """A stored row that no longer validates (written by an older version, or edited by hand): named,
    with what is wrong, for the one contract it belongs to."""

    status = 409
    title = "Stored data cannot be read"


class PreconditionFailedError(ServiceError):
    status = 412
    title = "Precondition failed"


class PreconditionRequiredError(ServiceError):
    status = 428
    title = "Precondition required"


class UnavailableError(ServiceError):
    status = 503
    title = "Service unavailable"
