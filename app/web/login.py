"""Staff sign-in and sign-out: a server-side session (only its hash is stored) in an HttpOnly cookie.

- Login CSRF: the form carries a random token that must equal the one in a SameSite=Strict, HttpOnly
  cookie set with the form (double submit), so another site cannot sign a browser into its own account.
- Rate limiting: at most ``EMAIL_LIMIT`` failures per email and ``CLIENT_LIMIT`` per client address in
  ``WINDOW``; past that the answer is 429 with ``Retry-After``, decided *before* the password is checked
  (so a locked-out guesser learns nothing, and spends none of our argon2 time). Counting and recording
  an attempt is one atomic step under a lock per client and per email, so parallel guesses get exactly
  the limit of password checks. Refused and successful attempts are not counted; a success does not
  clear earlier failures.
- After signing in, the browser goes to ``next`` if it is a path on this site, else to the dashboard.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.api.deps import CSRF_HEADER, SESSION_COOKIE, SessionDep
from app.persistence import db, login_repository
from app.persistence.records import utc_now
from app.services import auth
from app.services.errors import ForbiddenError, NotAuthenticatedError
from app.web.templating import page_context, templates

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "attrition_login_csrf"
WINDOW = timedelta(minutes=15)
EMAIL_LIMIT = 5
CLIENT_LIMIT = 20
_TOKEN_BYTES = 24


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site (``/contracts/3?as_of=…``), else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(character) < 32 or ord(character) == 127 for character in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _form(
    request: Request,
    *,
    token: str | None = None,
    email: str = "",
    next_path: str = "/",
    error: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in page, with the login CSRF cookie (kept if the browser already has a good one)."""
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = token or (held if len(held) >= 32 else secrets.token_urlsafe(_TOKEN_BYTES))
    response = templates.TemplateResponse(
        request,
        "login.html",
        page_context(
            title="Sign in",
            staff=None,
            email=email,
            next=safe_next(next_path),
            error=error,
            csrf_token=token,
        ),
        status_code=status,
        headers=headers,
    )
    if token == held:
        return response
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _form(request, next_path=next)


def _retry_after(times: Sequence[datetime], limit: int, now: datetime) -> int | None:
    """Seconds until fewer than ``limit`` failures remain in the window, or None if fewer already do."""
    if len(times) < limit:
        return None
    return max(1, math.ceil((times[limit - 1] + WINDOW - now).total_seconds()))


def _locked_for(session: Session, email: str, client: str, now: datetime) -> int | None:
    since = now - WINDOW
    waits = [
        _retry_after(
            login_repository.recent_failures(session, email=email, since=since, limit=EMAIL_LIMIT),
            EMAIL_LIMIT,
            now,
        ),
        _retry_after(
            login_repository.recent_failures(session, client=client, since=since, limit=CLIENT_LIMIT),
            CLIENT_LIMIT,
            now,
        ),
    ]
    found = [wait for wait in waits if wait is not None]
    return max(found) if found else None


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not held or not csrf_token or not secrets.compare_digest(held, csrf_token):
        return _form(
            request,
            token=secrets.token_urlsafe(_TOKEN_BYTES),
            email=email,
            next_path=next,
            error="this sign-in form has expired or did not come from this site; please try again",
            status=403,
        )
    if not email.strip() or not password:
        # A form left empty is shown again (docs/architecture.md, "Pages and forms"), not answered
        # with problem+json.
        return _form(
            request, email=email, next_path=next, error="enter your email and your password", status=422
        )
    key = email.strip().lower()
    client = _client(request)
    now = utc_now()
    # One atomic step, before the password is checked: under the locks of this client and this email,
    # count their recent failures and, below both limits, record this attempt as a failure. Committed
    # at once, so the slow password check holds no lock; a right password then forgets the attempt.
    # Parallel guesses therefore get exactly the limit of checks, however they interleave.
    db.begin_write(session)
    login_repository.lock_login_keys(session, f"login client {client}", f"login email {key}")
    wait = _locked_for(session, key, client, now)
    if wait is not None:
        session.rollback()
        minutes = math.ceil(wait / 60)
        return _form(
            request,
            email=email,
            next_path=next,
            error=f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}",
            status=429,
            headers={"Retry-After": str(wait)},
        )
    login_repository.prune_failures(session, now - WINDOW)
    attempt = login_repository.record_failed_login(session, key, client, now)
    session.commit()
    db.begin_read(session)
    try:
        user = auth.verify_password(session, email, password)
    except NotAuthenticatedError as error:
        session.rollback()
        return _form(request, email=email, next_path=next, error=error.detail, status=401)
    session.commit()  # a password hash upgraded to the current parameters, if it was
    db.begin_write(session)
    login_repository.forget_attempt(session, attempt)
    token = auth.open_staff_session(session, user)
    session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    x_csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> RedirectResponse:
    """End this browser's session. A live session must send its CSRF token, so that another site cannot
    sign the user out; an expired or unknown cookie is simply cleared."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            principal = auth.authenticate_staff_session(session, token)
        except NotAuthenticatedError:
            principal = None
        if principal is not None:
            sent = x_csrf_token if x_csrf_token is not None else csrf_token
            if not secrets.compare_digest(sent, principal.csrf_token or ""):
                raise ForbiddenError(
                    "this form has expired or did not come from this site; reload the page and try again"
                )
            auth.close_staff_session(session, token)
            session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
