"""Staff password login: a server-side session (only its hash is stored) in an HttpOnly cookie."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.api.deps import SESSION_COOKIE, SessionDep
from app.services import auth
from app.services.errors import NotAuthenticatedError

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in · attrition</title></head>
<body><main><h1>Sign in</h1>{error}
<form method="post" action="/login">
<p><label for="email">Email</label><br><input id="email" name="email" type="email" autocomplete="username"
 required value="{email}"></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password"
 autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>"""


def _page(error: str = "", email: str = "", status: int = 200) -> HTMLResponse:
    shown = f'<p role="alert">{escape(error)}</p>' if error else ""
    return HTMLResponse(_PAGE.format(error=shown, email=escape(email)), status_code=status)


@router.get("/login")
def login_form() -> HTMLResponse:
    return _page()


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse | RedirectResponse:
    if not email.strip() or not password:
        # A form left empty is shown again (style.md), not answered with problem+json.
        return _page("enter your email and your password", email, status=422)
    try:
        user = auth.verify_password(session, email, password)
    except NotAuthenticatedError as error:
        return _page(error.detail, email, status=401)
    token = auth.open_staff_session(session, user)
    session.commit()
    response = RedirectResponse("/docs", status_code=303)
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
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.close_staff_session(session, token)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
