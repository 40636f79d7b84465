"""Errors on web pages: the same statuses and messages as the API, as a page a person can read."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import Response

from app.services.errors import Problem
from app.web.templating import page_context, templates

_TITLES = {
    400: "The request could not be read",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Conflict",
    410: "This link is no longer valid",
    412: "Someone else changed this first",
    413: "Too large",
    415: "Unsupported file",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Busy: please try again in a moment",
}


def error_page(request: Request, status: int, detail: str, problems: Sequence[Problem]) -> Response:
    fragment = "hx-request" in request.headers
    return templates.TemplateResponse(
        request,
        "_error.html" if fragment else "error.html",
        page_context(
            title=_TITLES.get(status, "Error"),
            status=status,
            detail=detail,
            problems=list(problems),
            staff=None,
        ),
        status_code=status,
    )
