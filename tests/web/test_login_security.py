"""Sign-in hardening over HTTP on both databases: login CSRF, rate limiting, the ``next`` redirect."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.api.deps import SESSION_COOKIE
from app.persistence.records import LoginAttemptRecord, StaffSessionRecord, StaffUserRecord, utc_now
from app.services import auth
from app.web.login import CLIENT_LIMIT, EMAIL_LIMIT, LOGIN_CSRF_COOKIE, WINDOW, safe_next

EMAIL = "night.manager@harbor.example"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(session: Session) -> StaffUserRecord:
    user = auth.create_staff_user(session, EMAIL, PASSWORD, name="Night Manager", is_admin=True)
    session.commit()
    return user


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def sign_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    token = token_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, **extra},
        follow_redirects=False,
    )


def sessions(session: Session) -> list[StaffSessionRecord]:
    session.expire_all()
    return list(session.exec(select(StaffSessionRecord)).all())


def failures(session: Session) -> list[LoginAttemptRecord]:
    session.expire_all()
    return list(session.exec(select(LoginAttemptRecord)).all())


# --- login CSRF -------------------------------------------------------------------------------------


def test_the_form_sets_a_strict_httponly_token_cookie_matching_its_hidden_field(client: TestClient) -> None:
    response = client.get("/login")

    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{LOGIN_CSRF_COOKIE}=")
    assert re.search(r"samesite=strict", cookie, re.IGNORECASE)
    assert re.search(r";\s*httponly", cookie, re.IGNORECASE)
    assert re.search(r"path=/login", cookie, re.IGNORECASE)
    assert client.cookies[LOGIN_CSRF_COOKIE] == token_of(response.text)
    assert len(token_of(response.text)) >= 32


@pytest.mark.parametrize("sent", ["", "forged-token-forged-token-forged-token"], ids=["missing", "forged"])
def test_a_post_whose_token_does_not_match_the_cookie_is_403_without_a_session(
    client: TestClient, session: Session, user: StaffUserRecord, sent: str
) -> None:
    client.get("/login")

    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": sent}, follow_redirects=False
    )

    assert response.status_code == 403
    assert "expired or did not come from this site" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert sessions(session) == []
    assert f'value="{EMAIL}"' in response.text  # the form is shown again, ready for another try
    assert sign_in(client).status_code == 303  # with the fresh token it now carries


def test_a_post_from_a_browser_without_the_cookie_is_403(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    token = token_of(client.get("/login").text)
    client.cookies.clear()  # another site's form: our Strict cookie is not sent with it

    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )

    assert response.status_code == 403
    assert sessions(session) == []


# --- rate limiting ----------------------------------------------------------------------------------


def test_after_five_failures_for_an_email_even_the_right_password_gets_429(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    for _ in range(EMAIL_LIMIT):
        assert sign_in(client, password="wrong password!").status_code == 401

    response = sign_in(client)

    assert response.status_code == 429
    assert "too many failed sign-ins" in response.text
    assert 0 < int(response.headers["retry-after"]) <= WINDOW.total_seconds()
    assert sessions(session) == []
    assert len(failures(session)) == EMAIL_LIMIT  # the refused attempt is not counted


def test_the_email_limit_does_not_lock_out_other_accounts(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    auth.create_staff_user(session, "day.manager@harbor.example", PASSWORD, is_admin=True)
    session.commit()
    for _ in range(EMAIL_LIMIT):
        sign_in(client, password="wrong password!")

    assert sign_in(client, email="day.manager@harbor.example").status_code == 303


def test_twenty_failures_from_one_client_block_it_for_every_email(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    for index in range(CLIENT_LIMIT):
        assert sign_in(client, email=f"guess{index % 7}@harbor.example").status_code == 401

    response = sign_in(client)

    assert response.status_code == 429
    assert "retry-after" in response.headers
    assert sessions(session) == []


def test_failures_older_than_the_window_no_longer_count(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    old = utc_now() - WINDOW - timedelta(minutes=1)
    session.add_all(
        [LoginAttemptRecord(email=EMAIL, client="testclient", attempted_at=old) for _ in range(EMAIL_LIMIT)]
    )
    session.commit()

    assert sign_in(client).status_code == 303


def test_retry_after_counts_down_to_when_the_oldest_counted_failure_leaves_the_window(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    now = utc_now()
    ages = [timedelta(minutes=minutes) for minutes in (14, 10, 9, 3, 1)]
    session.add_all(
        [LoginAttemptRecord(email=EMAIL, client="10.0.0.9", attempted_at=now - age) for age in ages]
    )
    session.commit()

    response = sign_in(client)

    assert response.status_code == 429
    assert 50 <= int(response.headers["retry-after"]) <= 60  # the 14-minute-old failure leaves in a minute
    assert "try again in 1 minute" in response.text


def test_a_success_is_not_counted_and_does_not_clear_earlier_failures(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    for _ in range(EMAIL_LIMIT - 1):
        sign_in(client, password="wrong password!")
    assert sign_in(client).status_code == 303
    client.cookies.delete(SESSION_COOKIE)
    assert len(failures(session)) == EMAIL_LIMIT - 1

    assert sign_in(client, password="wrong password!").status_code == 401
    assert sign_in(client).status_code == 429


def test_an_incomplete_form_is_not_counted(
    client: TestClient, session: Session, user: StaffUserRecord
) -> None:
    for _ in range(EMAIL_LIMIT + 1):
        assert sign_in(client, password="").status_code == 422

    assert failures(session) == []
    assert sign_in(client).status_code == 303


# --- where the browser goes next ---------------------------------------------------------------------


def test_sign_in_goes_to_the_local_page_it_was_sent_from(client: TestClient, user: StaffUserRecord) -> None:
    form = client.get("/login", params={"next": "/contracts/7?as_of=2027-01-02"})
    assert 'name="next" value="/contracts/7?as_of=2027-01-02"' in form.text

    response = sign_in(client, next="/contracts/7?as_of=2027-01-02")

    assert response.status_code == 303
    assert response.headers["location"] == "/contracts/7?as_of=2027-01-02"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "", "contracts"],
)
def test_a_next_that_leaves_the_site_goes_to_the_dashboard(
    client: TestClient, user: StaffUserRecord, target: str
) -> None:
    response = sign_in(client, next=target)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert safe_next(target) == "/"


def test_a_signed_out_page_visit_comes_back_after_signing_in(
    client: TestClient, user: StaffUserRecord
) -> None:
    visit = client.get("/?sort=exposure", follow_redirects=False)
    assert visit.status_code == 303
    assert visit.headers["location"].startswith("/login?next=/")

    form = client.get(visit.headers["location"])
    response = client.post(
        "/login",
        data={
            "email": EMAIL,
            "password": PASSWORD,
            "csrf_token": token_of(form.text),
            "next": "/?sort=exposure",
        },
        follow_redirects=False,
    )

    assert response.headers["location"] == "/?sort=exposure"
    assert client.get("/").status_code == 200
