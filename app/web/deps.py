"""What every staff page needs: the signed-in user (else a redirect to the sign-in page) and the CSRF
check of each form post.

Pages use the same server-side session as the API's cookie authentication (``app.services.auth``). A
form carries the session's CSRF token in a hidden ``csrf_token`` field; htmx requests send it in the
``X-CSRF-Token`` header instead (set once on ``<body hx-headers>``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from app.api.deps import CSRF_HEADER, SESSION_COOKIE, SessionDep
from app.persistence import repositories as repo
from app.persistence.records import StaffUserRecord
from app.services import auth
from app.services.auth import Principal
from app.services.errors import ForbiddenError, NotAuthenticatedError

CSRF_FIELD = "csrf_token"


class LoginRequiredError(Exception):
    """Raised by a page that needs a signed-in user; answered with a redirect to ``/login?next=``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class Staff:
    principal: Principal
    user_id: int
    name: str
    email: str
    csrf_token: str


def get_staff(request: Request, session: SessionDep) -> Staff:
    token = request.cookies.get(SESSION_COOKIE)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise LoginRequiredError(here)
    try:
        principal = auth.authenticate_staff_session(session, token)
    except NotAuthenticatedError:
        raise LoginRequiredError(here) from None
    user_id = int(principal.label.removeprefix("user:"))
    user = repo.get(session, StaffUserRecord, user_id)
    # authenticate_staff_session found both
    assert user is not None
    assert principal.csrf_token is not None
    return Staff(principal, user_id, user.name or user.email, user.email, principal.csrf_token)


StaffDep = Annotated[Staff, Depends(get_staff)]


async def get_checked_staff(request: Request, staff: StaffDep) -> Staff:
    """The signed-in user of a form post whose CSRF token matches the session's (else 403)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()  # Starlette keeps the parsed form: the route's Form() reads it again
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else ""
    if not secrets.compare_digest(sent, staff.csrf_token):
        raise ForbiddenError(
            "this form has expired or did not come from this site; reload the page and try again"
        )
    return staff


CheckedStaffDep = Annotated[Staff, Depends(get_checked_staff)]


def login_redirect(request: Request, error: Exception) -> RedirectResponse:
    assert isinstance(error, LoginRequiredError)
    target = (
        error.next_path if error.next_path.startswith("/") and not error.next_path.startswith("//") else "/"
    )
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
