"""Sign-in limits under parallel attempts on PostgreSQL: exactly the limit of password checks happen.

The attempts go to the real uvicorn server of ``test_concurrency`` (its fixtures are imported here),
each from its own thread and connection, released together by a barrier. Each thread connects from a
loopback address of the test's choosing (any 127.x.y.z reaches a server on 127.0.0.1), which the server
sees as ``request.client.host``: one address per test, so the per-address limit is the test's own.

A password is checked exactly when the answer is 401 (wrong password) or a redirect (right one); an
attempt refused by a limit is a 429 decided before the password is looked at. So counting the answers
counts the checks. (A right password is not counted as a failure, so it frees its slot for one more
attempt: the limits count failures, and the races here are all of wrong passwords.)
"""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from collections.abc import Callable

import httpx2
from sqlmodel import Session

from app.services import auth
from app.web.login import CLIENT_LIMIT, EMAIL_LIMIT
from tests.api.test_concurrency import Server, all_at_once, server  # noqa: F401  (fixtures)

PASSWORD = "correct horse battery staple"


def loopback_address() -> str:
    """An address of 127.0.0.0/8 no other test run is likely to have used (the database is shared)."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def staff_user(live: Server) -> str:
    email = f"night.audit.{uuid.uuid4().hex[:8]}@harbor.example"
    with Session(live.engine) as session:
        auth.create_staff_user(session, email, PASSWORD)
        session.commit()
    return email


def sign_in(
    live: Server, address: str, email: str, password: str
) -> Callable[[httpx2.Client], httpx2.Response]:
    """One attempt from ``address``: the form first (its CSRF cookie and token), then the post."""
    client = httpx2.Client(
        base_url=live.url, transport=httpx2.HTTPTransport(local_address=address), timeout=60
    )
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    token = found.group(1)

    def attempt(_: httpx2.Client) -> httpx2.Response:
        try:
            return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        finally:
            client.close()

    return attempt


def test_thirty_parallel_wrong_passwords_for_one_email_get_exactly_five_password_checks(
    server: Server,  # noqa: F811
) -> None:
    email = staff_user(server)
    address = loopback_address()
    attempts = [sign_in(server, address, email, f"wrong guess {n}") for n in range(30)]

    statuses = Counter(response.status_code for response in all_at_once(server, attempts))

    assert statuses == {401: EMAIL_LIMIT, 429: 30 - EMAIL_LIMIT}
    assert server.in_flight.most > 1
    # Locked out: even the right password is refused, unchecked.
    right = sign_in(server, address, email, PASSWORD)
    with httpx2.Client() as unused:
        assert right(unused).status_code == 429


def test_forty_parallel_attempts_from_one_address_get_exactly_twenty_password_checks(
    server: Server,  # noqa: F811
) -> None:
    address = loopback_address()
    emails = [staff_user(server) for _ in range(2)] + [f"nobody.{n}@harbor.example" for n in range(38)]
    # Each email is tried once, so only the address's limit can refuse. All are wrong: a right password
    # is not counted as a failure, so it would free its slot for one more check.
    attempts = [sign_in(server, address, email, "wrong guess") for email in emails]

    statuses = Counter(response.status_code for response in all_at_once(server, attempts))

    assert statuses == {401: CLIENT_LIMIT, 429: 40 - CLIENT_LIMIT}
    assert server.in_flight.most > 1
