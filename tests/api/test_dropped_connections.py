"""PostgreSQL connections killed under the app: a read is retried once, a write gets 503, never a 500.

A database of this module's own; the app's engine names its connections (``application_name``) so that
an administrator connection can kill exactly them with ``pg_terminate_backend``, as a restarted server
or a failover would. To kill a connection in the middle of a request, an engine event (SQLAlchemy's
``before_cursor_execute``, a real hook, not a stand-in for our code) kills the backend of the very
connection about to run a chosen statement, once; the statement then meets a dead connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.persistence.records import PropertyRecord
from app.services import auth
from app.settings import Settings
from tests.api.conftest import (
    POSTGRES,
    bearer,
    create_postgres_database,
    drop_postgres_database,
    property_body,
)

ADMIN = f"{POSTGRES}/postgres"


class Killer:
    """Kills the app's backends: all of them now, or the one about to run the next matching statement."""

    def __init__(self, engine: sa.Engine, application_name: str) -> None:
        self.application_name = application_name
        self.armed: str | None = None
        self.kills = 0
        sa.event.listen(engine, "before_cursor_execute", self._before_execute)

    def kill_all(self) -> int:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            pids = [
                row[0]
                for row in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [self.application_name]
                )
            ]
        for pid in pids:
            self._terminate(pid)
        return len(pids)

    def arm(self, statement_prefix: str) -> None:
        self.armed = statement_prefix

    def _before_execute(self, connection: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if self.armed is not None and statement.lstrip().upper().startswith(self.armed):
            self.armed = None
            dbapi = connection.connection.dbapi_connection
            assert isinstance(dbapi, psycopg.Connection)
            self._terminate(dbapi.info.backend_pid)

    def _terminate(self, pid: int) -> None:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            deadline = time.monotonic() + 10
            while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                assert time.monotonic() < deadline, f"backend {pid} did not end"
                time.sleep(0.02)
        self.kills += 1


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = create_postgres_database()
    yield name
    drop_postgres_database(name)


@pytest.fixture
def setup(database: str) -> Iterator[tuple[TestClient, Killer, sa.Engine, str]]:
    application_name = f"attrition-{uuid.uuid4().hex[:8]}"
    url = f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{database}"
    engine = make_engine(f"{url}?application_name={application_name}")
    migrate(engine)
    with Session(engine) as session:
        _, key = auth.create_api_key(session, "drop test", auth.Access.ADMIN, frozenset())
        session.commit()
    killer = Killer(engine, application_name)
    app = create_app(Settings(database_url=url), engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, killer, engine, key
    engine.dispose()


def properties(engine: sa.Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PropertyRecord)).one()


def test_after_every_app_connection_is_killed_the_next_read_and_write_succeed(
    setup: tuple[TestClient, Killer, sa.Engine, str],
) -> None:
    client, killer, _, key = setup
    assert client.get("/api/v1/properties", headers=bearer(key)).status_code == 200
    assert killer.kill_all() >= 1
    assert client.get("/api/v1/properties", headers=bearer(key)).status_code == 200
    assert killer.kill_all() >= 1
    created = client.post("/api/v1/properties", headers=bearer(key), json=property_body(name="After"))
    assert created.status_code == 201, created.text


def test_a_read_whose_connection_is_killed_mid_request_is_retried_once_and_succeeds(
    setup: tuple[TestClient, Killer, sa.Engine, str],
) -> None:
    client, killer, _, key = setup
    client.post("/api/v1/properties", headers=bearer(key), json=property_body(name="Harbor"))
    killer.arm("SELECT")
    listed = client.get("/api/v1/properties", headers=bearer(key))
    assert killer.kills == 1
    assert listed.status_code == 200, listed.text
    assert "Harbor" in [item["name"] for item in listed.json()["items"]]


def test_a_write_whose_connection_is_killed_mid_request_gets_503_and_writes_nothing(
    setup: tuple[TestClient, Killer, sa.Engine, str],
) -> None:
    client, killer, engine, key = setup
    before = properties(engine)
    killer.arm("INSERT")
    response = client.post("/api/v1/properties", headers=bearer(key), json=property_body(name="Lost"))
    assert killer.kills == 1
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    assert properties(engine) == before
    again = client.post("/api/v1/properties", headers=bearer(key), json=property_body(name="Lost"))
    assert again.status_code == 201, again.text


def test_a_read_killed_twice_gets_503_not_500(
    setup: tuple[TestClient, Killer, sa.Engine, str],
) -> None:
    client, killer, _, key = setup
    original = killer._before_execute

    def twice(connection: sa.Connection, cursor: Any, statement: str, *rest: Any) -> None:
        if killer.kills < 2:
            killer.arm("SELECT")
        original(connection, cursor, statement, *rest)

    sa.event.remove(client.app.state.engine, "before_cursor_execute", original)  # type: ignore[attr-defined]
    sa.event.listen(client.app.state.engine, "before_cursor_execute", twice)  # type: ignore[attr-defined]
    response = client.get("/api/v1/properties", headers=bearer(key))
    assert killer.kills == 2
    assert response.status_code == 503, response.text
    assert "Retry-After" in response.headers
