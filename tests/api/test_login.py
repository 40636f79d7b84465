"""Staff sign-in: the form, the session cookie it sets, and signing out."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from app.api.deps import SESSION_COOKIE
from app.persistence.records import StaffSessionRecord, StaffUserRecord, utc_now
from app.services import auth
from app.services.properties import PropertyCreate, create_property
from tests.api.conftest import property_body

EMAIL = "front.office@harbor.example"
PASSWORD = "correct horse battery staple"
ADMIN = auth.Principal("test setup", None, can_write=True, is_admin=True)


@pytest.fixture
def user(session: Session) -> StaffUserRecord:
    """A staff user of one hotel (not an administrator); a second hotel exists that it may not see."""
    mine = create_property(session, ADMIN, PropertyCreate.model_validate(property_body(name="Harbor")))
    create_property(session, ADMIN, PropertyCreate.model_validate(property_body(name="Elsewhere")))
    assert mine.id is not None
    user = auth.create_staff_user(
        session, EMAIL, PASSWORD, name="Front Office", property_ids=frozenset({mine.id})
    )
    session.commit()
    return user


def sessions_of(session: Session, user: StaffUserRecord) -> list[StaffSessionRecord]:
    session.expire_all()
    return list(session.exec(select(StaffSessionRecord).where(StaffSessionRecord.user_id == user.id)).all())


def login_token(client: TestClient) -> str:
    """The login CSRF token of a freshly served sign-in form (its cookie is now in the client's jar)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    return found.group(1)


def post_login(client: TestClient, data: dict[str, str], follow_redirects: bool = False) -> Response:
    return client.post(
        "/login", data={**data, "csrf_token": login_token(client)}, follow_redirects=follow_redirects
    )


def session_csrf(session: Session, user: StaffUserRecord, token: str) -> str:
    """The CSRF token of the session whose cookie is ``token`` (what the pages' forms carry)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    [stored] = [row for row in sessions_of(session, user) if row.token_hash == digest]
    return stored.csrf_token


def alert(html: str) -> str:
    found = re.search(r'<p role="alert">(.*?)</p>', html)
    assert found is not None, html
    return found.group(1)


def test_login_form_labels_both_fields_and_posts_to_login(client: TestClient) -> None:
    response = client.get("/login")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<form method="post" action="/login">' in html
    for field in ("email", "password"):
        assert re.search(rf'<label for="{field}">\w+</label>', html), field
        assert re.search(rf'<input id="{field}" name="{field}"', html), field
    assert 'type="password"' in html
    assert 'role="alert"' not in html


def test_right_password_redirects_with_an_httponly_samesite_lax_session_cookie(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    response = post_login(client, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in attributes
    assert re.search(r"samesite=lax", cookie, re.IGNORECASE)
    assert re.search(r"max-age=43200", cookie, re.IGNORECASE)
    assert "secure" not in attributes  # the test app runs over plain HTTP (secure_cookies off)
    token = response.cookies[SESSION_COOKIE]
    [stored] = sessions_of(session, user)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.token_hash, stored.csrf_token}


def test_secure_cookie_setting_marks_the_session_cookie_secure(
    app: FastAPI, client: TestClient, user: StaffUserRecord
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"secure_cookies": True})
    # Secure cookies (the login CSRF one too) only come back over HTTPS.
    with TestClient(app, base_url="https://testserver") as secure:
        response = post_login(secure, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 303
    assert re.search(r";\s*secure", response.headers["set-cookie"], re.IGNORECASE)


def test_email_is_matched_whatever_its_case_and_surrounding_spaces(
    client: TestClient, user: StaffUserRecord
) -> None:
    response = post_login(
        client,
        data={"email": "  Front.Office@HARBOR.example ", "password": PASSWORD},
        follow_redirects=False,
    )

    assert response.status_code == 303, response.text


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (EMAIL, "wrong horse battery staple"),
        (EMAIL, PASSWORD.upper()),
        ("nobody@harbor.example", PASSWORD),
    ],
    ids=["wrong password", "password in the wrong case", "unknown email"],
)
def test_wrong_password_or_unknown_email_is_401_with_one_message_and_no_session(
    client: TestClient, session: Session, user: StaffUserRecord, email: str, password: str
) -> None:
    response = post_login(client, data={"email": email, "password": password}, follow_redirects=False)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert alert(response.text) == "wrong email or password"
    assert "set-cookie" not in response.headers
    assert f'value="{email}"' in response.text  # the form keeps what was typed
    assert password not in response.text
    assert sessions_of(session, user) == []
    assert client.get("/api/v1/properties").status_code == 401


def test_deactivated_user_cannot_log_in_and_gets_the_same_message(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    user.is_active = False
    session.add(user)
    session.commit()

    response = post_login(client, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 401
    assert alert(response.text) == "wrong email or password"


def test_typed_email_is_escaped_on_the_error_page(client: TestClient, user: StaffUserRecord) -> None:
    typed = '"><script>alert(1)</script>'

    response = post_login(client, data={"email": typed, "password": "x"}, follow_redirects=False)

    assert response.status_code == 401
    assert "<script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_cookie_from_login_authenticates_the_api_for_the_users_hotel_only(
    client: TestClient, user: StaffUserRecord
) -> None:
    post_login(client, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)

    response = client.get("/api/v1/properties")

    assert response.status_code == 200, response.text
    assert [item["name"] for item in response.json()["items"]] == ["Harbor"]
    assert response.json()["total"] == 1


def test_logout_ends_the_session_so_the_old_cookie_no_longer_works(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    post_login(client, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)
    token = client.cookies[SESSION_COOKIE]
    assert client.get("/api/v1/properties").status_code == 200
    csrf = session_csrf(session, user, token)

    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert re.search(rf'{SESSION_COOKIE}="?"?;.*max-age=0', response.headers["set-cookie"], re.IGNORECASE)
    assert sessions_of(session, user) == []
    assert client.get("/api/v1/properties").status_code == 401
    client.cookies.set(SESSION_COOKIE, token)  # a copy kept by an attacker or another tab
    replayed = client.get("/api/v1/properties")
    assert replayed.status_code == 401
    assert replayed.headers["content-type"] == "application/problem+json"


def test_logout_ends_only_its_own_session(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    post_login(client, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)
    first = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    post_login(client, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)
    csrf = session_csrf(session, user, client.cookies[SESSION_COOKIE])

    client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    client.cookies.set(SESSION_COOKIE, first)
    assert client.get("/api/v1/properties").status_code == 200
    assert len(sessions_of(session, user)) == 1


def test_logout_without_the_csrf_token_is_403_and_keeps_the_session(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    post_login(client, data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)

    response = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)

    assert response.status_code == 403
    assert len(sessions_of(session, user)) == 1
    assert client.get("/api/v1/properties").status_code == 200


def test_logout_without_a_session_just_redirects(client: TestClient) -> None:
    response = client.post("/logout", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_expired_session_cookie_is_401(client: TestClient, session: Session, user: StaffUserRecord) -> None:
    token = auth.open_staff_session(
        session, user, now=utc_now() - auth.SESSION_LIFETIME - timedelta(minutes=1)
    )
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)

    response = client.get("/api/v1/properties")

    assert response.status_code == 401
    assert "log in again" in response.json()["detail"]


@pytest.mark.parametrize(
    "data",
    [{"email": "", "password": ""}, {"email": EMAIL}, {"email": "  ", "password": PASSWORD}, {}],
    ids=["both empty", "no password", "blank email", "nothing sent"],
)
def test_incomplete_form_is_shown_again_with_422_and_no_session(
    client: TestClient, session: Session, user: StaffUserRecord, data: dict[str, str]
) -> None:
    response = post_login(client, data=data, follow_redirects=False)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert alert(response.text) == "enter your email and your password"
    assert '<form method="post" action="/login">' in response.text
    assert sessions_of(session, user) == []
