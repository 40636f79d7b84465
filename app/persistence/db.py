"""Engines, sessions and migrations: one code path for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"

#: How long a SQLite writer waits for another writer before giving up ("database is locked"), which
#: the service answers with 503 and ``Retry-After`` (``app.api.problems``). Readers never wait: WAL.
BUSY_TIMEOUT_SECONDS = 5
#: The execution option that makes a SQLite transaction ``BEGIN IMMEDIATE`` (see ``begin_write``).
WRITE = "attrition_write"


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; a SQLite file's folder is created on first use (no set-up)."""
    parsed = sa.make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
    else:
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # pysqlite starts transactions lazily and breaks SAVEPOINT; let SQLAlchemy's "begin" event start
    # them instead (the documented recipe).
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    # A read is a deferred transaction: under WAL it reads its snapshot and never waits for a writer.
    # A transaction that will write starts IMMEDIATE (it takes the write lock first, queueing on
    # busy_timeout), because a deferred one that upgrades after another writer committed fails at once
    # with SQLITE_BUSY instead of waiting.
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writing(bind: sa.Engine) -> sa.Engine:
    """``bind`` whose transactions all take SQLite's write lock when they begin (a request that writes);
    on PostgreSQL the option changes nothing."""
    return bind.execution_options(**{WRITE: True})


def begin_read(session: Session) -> None:
    """Start the session's next transaction as a read (deferred on SQLite); none may be open."""
    _begin(session, write=False)


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a write (``BEGIN IMMEDIATE`` on SQLite); none may be
    open. On PostgreSQL a write takes its row locks as it goes, so this changes nothing there."""
    _begin(session, write=True)


def _begin(session: Session, *, write: bool) -> None:
    assert not session.in_transaction(), "a transaction is already open"
    session.connection(execution_options={WRITE: write})


def end_reads(session: Session) -> None:
    """End a transaction that wrote nothing (so that slow work after it holds no lock or snapshot)."""
    pending = bool(session.new) or bool(session.dirty) or bool(session.deleted)
    assert not pending, "unsaved changes would be committed"
    session.commit()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


#: The PostgreSQL advisory lock key migrations hold, so that two starts cannot migrate at once.
MIGRATION_LOCK = 0x617474726974  # "attrit"


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the latest migration (the only way the schema is built).

    On PostgreSQL the upgrade runs under a transaction-level advisory lock: a second ``migrate`` started
    meanwhile waits, then finds the schema at head and does nothing. (SQLite's ``BEGIN IMMEDIATE``
    already serialises writers.) On PostgreSQL it also creates the job queue's schema when missing."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if connection.dialect.name == "postgresql":
            apply_queue_schema(connection)


def apply_queue_schema(connection: sa.Connection) -> bool:
    """Create the job queue's tables and functions (procrastinate's own schema, ``app/jobs.py``) in a
    PostgreSQL database that has none yet; True if they were created. ``migrate`` calls it under its
    advisory lock, so concurrent runs cannot both create them."""
    from procrastinate.schema import SchemaManager

    if connection.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
        return False
    driver = connection.connection.driver_connection
    assert driver is not None
    # The schema is one script of many statements: psycopg runs it as a simple query (no parameters).
    driver.execute(SchemaManager.get_schema())
    return True


@lru_cache(maxsize=1)
def schema_head() -> str | None:
    """The latest migration's revision (read once: the migrations ship with the code)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def readiness_problem(session: Session) -> str | None:
    """Why the database is not ready to serve (unreachable, or its schema not at the latest migration),
    in words, or None when it is ready."""
    from alembic.runtime.migration import MigrationContext

    try:
        current = MigrationContext.configure(session.connection()).get_current_revision()
    except sa.exc.SQLAlchemyError:
        return "the database cannot be reached"
    if current != schema_head():
        return "the database schema is not at the latest migration: run `attrition migrate`"
    return None


def schema_is_current(engine: sa.Engine) -> bool:
    """Whether the database's schema is at the latest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """A session for a command: the caller commits; anything not committed is rolled back. Commands
    write, so their transactions take SQLite's write lock when they begin (``writing``)."""
    with Session(writing(engine), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()
