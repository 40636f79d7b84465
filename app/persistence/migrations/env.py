"""Alembic environment: migrations run on a connection we pass in, or on ATTRITION_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from app.persistence import records  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.persistence.db import make_engine
from app.settings import Settings

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or Settings.from_environment().database_url
    engine = make_engine(url)
    with engine.begin() as new_connection:
        _run(new_connection)
    engine.dispose()


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    """The job queue's tables are procrastinate's (app/jobs.py), not the migrations'."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
