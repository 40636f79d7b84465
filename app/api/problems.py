"""One error mapping: every failure is ``application/problem+json`` (RFC 9457), never a traceback."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.services.errors import Problem, ServiceError
from app.validation import error_message, field_text

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("attrition")


class FieldProblem(BaseModel):
    field: str
    message: str
    line: int | None = None


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; ``errors`` names each field that is wrong."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldProblem] = []


#: Renders an error as an HTML page for a browser on a web page (set by ``install``).
HtmlErrorPage = Callable[[Request, int, str, Sequence[Problem]], Response]


def problem_response(
    status: int, detail: str, problems: Sequence[Problem] = (), headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ProblemDetails(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=[FieldProblem(field=p.field, message=p.message, line=p.line) for p in problems],
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _respond(
    request: Request,
    status: int,
    detail: str,
    problems: Sequence[Problem] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """problem+json, except for a browser on a web page (not under /api), which gets an HTML page."""
    page: HtmlErrorPage | None = getattr(request.app.state, "html_error_page", None)
    if page is not None and not request.url.path.startswith("/api/") and _wants_html(request):
        response = page(request, status, detail, problems)
        response.headers.update({k: v for k, v in (headers or {}).items() if k != "WWW-Authenticate"})
        return response
    return problem_response(status, detail, problems, headers)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def _service_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ServiceError)
    headers = {"WWW-Authenticate": 'Bearer realm="attrition"'} if error.status == 401 else None
    return _respond(request, error.status, error.detail, error.problems, headers)


def _request_validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    details: list[Any] = list(error.errors())
    problems = [Problem(field_text(detail["loc"]), error_message(detail)) for detail in details]
    return _respond(request, 422, "the request does not validate", problems)


def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return _respond(request, error.status_code, detail, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method the path answers: Starlette names only those of the first route that matched the
    path, but a path whose methods are separate routes (GET and POST /contracts) supports them all,
    and RFC 9110 §15.5.6 wants them all in ``Allow``."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    if request.url.path.startswith("/api/") and "GET" in allowed and "HEAD" not in allowed:
        # app.api.middleware.HeadWhereGet
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return ", ".join(allowed)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


#: Seconds a client is told to wait before retrying a request the database could not take (503).
RETRY_AFTER_SECONDS = 2


def is_unavailable(error: BaseException) -> bool:
    """The database could not take the request now, though it may a moment later: a SQLite writer that
    waited its busy timeout for another ("database is locked"), a dropped connection, or a PostgreSQL
    lock, serialization or statement timeout (all its operational errors)."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.OperationalError):
        text = str(error.orig).lower()
        return "locked" in text or "busy" in text
    return isinstance(error, sa.exc.OperationalError)


def _unexpected(request: Request, error: Exception) -> Response:
    if is_unavailable(error):
        log.warning("database busy or unreachable on %s %s: %s", request.method, request.url.path, error)
        return _respond(
            request,
            503,
            "the service is busy; try again in a moment",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    # Not log.exception: a sync handler runs in a worker thread, where sys.exc_info() is empty.
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return _respond(request, 500, "an unexpected error occurred; it has been logged")


def install(app: FastAPI, html_error_page: HtmlErrorPage | None = None) -> None:
    app.state.html_error_page = html_error_page
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
