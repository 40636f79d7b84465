"""SQLite with another writer holding the database: reads go on, a write gets 503 with Retry-After.

The database is a file of this test's own, migrated as ``attrition serve`` does; the other writer is a
plain ``sqlite3`` connection that holds ``BEGIN IMMEDIATE`` (the write lock) with an uncommitted row,
as a slow request of another process would. A write waits the busy timeout (a few seconds), then is
refused without writing anything.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.persistence.records import PropertyRecord
from app.services import auth
from app.settings import Settings
from tests.api.conftest import bearer, property_body

PASSWORD = "correct horse battery staple"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[sa.Engine, Path]]:
    path = tmp_path / "busy.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    yield engine, path
    engine.dispose()


@pytest.fixture
def client(database: tuple[sa.Engine, Path]) -> Iterator[TestClient]:
    engine, _ = database
    app = create_app(Settings(database_url=str(engine.url)), engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def key(database: tuple[sa.Engine, Path]) -> str:
    engine, _ = database
    with Session(engine) as session:
        _, raw = auth.create_api_key(session, "busy test", auth.Access.ADMIN, frozenset())
        auth.create_staff_user(session, "night.audit@harbor.example", PASSWORD, is_admin=True)
        session.commit()
    return raw


@pytest.fixture
def other_writer(database: tuple[sa.Engine, Path]) -> Iterator[sqlite3.Connection]:
    """Another connection holding the write lock, with a row it has inserted and not committed."""
    _, path = database
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO login_attempts (email, client, attempted_at) VALUES ('x@y.example', '10.0.0.1', "
        "'2026-01-01 00:00:00')"
    )
    yield connection
    connection.rollback()
    connection.close()


def property_names(engine: sa.Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(PropertyRecord.name)).all())


def test_reads_go_on_while_another_connection_holds_the_write_lock(
    client: TestClient, key: str, other_writer: sqlite3.Connection
) -> None:
    assert client.get("/healthz").status_code == 200
    listed = client.get("/api/v1/properties", headers=bearer(key))
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []


def test_a_write_waits_the_busy_timeout_then_gets_503_with_retry_after_and_writes_nothing(
    client: TestClient, key: str, database: tuple[sa.Engine, Path], other_writer: sqlite3.Connection
) -> None:
    engine, _ = database
    response = client.post("/api/v1/properties", headers=bearer(key), json=property_body(name="Blocked"))
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    assert "try again" in response.json()["detail"]
    other_writer.rollback()
    assert property_names(engine) == []
    retried = client.post("/api/v1/properties", headers=bearer(key), json=property_body(name="Later"))
    assert retried.status_code == 201, retried.text
    assert property_names(engine) == ["Later"]


def test_a_signed_in_page_write_gets_the_busy_page_with_retry_after(
    client: TestClient, key: str, other_writer: sqlite3.Connection
) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": "night.audit@harbor.example", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "try again" in response.text
    assert "Retry-After" in response.headers
