"""The API against real databases: every test runs on SQLite and on PostgreSQL (127.0.0.1:5432).

Each database is built by the Alembic migrations. Each test runs inside one outer transaction that is
rolled back at the end; the app's sessions join it through savepoints, so a route's commit is real to
the route and invisible to the next test. Tests that need real commits from several connections (the
concurrency tests) use ``committed_engine``, a fresh PostgreSQL database of their own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.services import auth
from app.settings import Settings

POSTGRES = os.environ.get("ATTRITION_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def _admin_url() -> str:
    return f"{POSTGRES}/postgres"


def create_postgres_database() -> str:
    name = f"attrition_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_postgres_database(name: str) -> None:
    with psycopg.connect(_admin_url(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "attrition.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    name = create_postgres_database()
    engine = make_engine(f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}")
    migrate(engine)
    yield engine
    engine.dispose()
    drop_postgres_database(name)


@pytest.fixture
def connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def session(connection: sa.Connection) -> Iterator[Session]:
    """A session for setting up data in the test's transaction (commits become savepoint releases)."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


@pytest.fixture(scope="session")
def shared_app(engine: sa.Engine) -> FastAPI:
    """One app per database for the whole run. FastAPI builds a route's dependency graph on the first
    request that reaches it in an app, so an app made per test paid that again in every test (about half
    of a one-request test's time)."""
    return create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), engine)


@pytest.fixture
def app(shared_app: FastAPI, connection: sa.Connection) -> Iterator[FastAPI]:
    """The shared app, its sessions joined to this test's transaction; what a test changes in its state
    (its settings, say) is put back afterwards."""
    state = dict(vars(shared_app.state)["_state"])
    overrides = dict(shared_app.dependency_overrides)
    shared_app.state.sessions = lambda: Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield shared_app
    vars(shared_app.state)["_state"].clear()
    vars(shared_app.state)["_state"].update(state)
    shared_app.dependency_overrides.clear()
    shared_app.dependency_overrides.update(overrides)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def admin_key(session: Session) -> str:
    _, raw = auth.create_api_key(session, "test admin", auth.Access.ADMIN, frozenset())
    session.commit()
    return raw


@pytest.fixture
def make_key(session: Session) -> Callable[[auth.Access, set[int]], str]:
    def make(access: auth.Access, property_ids: set[int]) -> str:
        _, raw = auth.create_api_key(session, f"test {access}", access, frozenset(property_ids))
        session.commit()
        return raw

    return make


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


CONTRACTS = Path(__file__).parents[2] / "contracts"


def sample_files() -> list[Path]:
    return sorted(
        path
        for path in CONTRACTS.glob("*.*")
        if path.suffix in {".yaml", ".json"} and path.name != "schema.json"
    )


def property_body(**overrides: Any) -> dict[str, Any]:
    return {"name": "Harbor Point Hotel", "currency": "USD", "timezone": "America/Los_Angeles", **overrides}


@pytest.fixture(scope="session")
def committed_engine() -> Iterator[sa.Engine]:
    """A PostgreSQL database of its own, for tests whose requests must really commit in parallel."""
    name = create_postgres_database()
    engine = make_engine(f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}")
    migrate(engine)
    yield engine
    engine.dispose()
    drop_postgres_database(name)
