"""Failed sign-ins (``login_attempts``): recorded, counted per email and per client address, pruned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.persistence.records import LoginAttemptRecord


def lock_login_keys(session: Session, *keys: str) -> None:
    """Serialise sign-ins that share any of ``keys`` until the transaction ends, so that counting their
    recent failures and recording a new attempt is one atomic step.

    PostgreSQL: a transaction-level advisory lock per key, taken in the order given (always the same
    order, so two sign-ins cannot deadlock). SQLite: the caller's transaction is a write (``BEGIN
    IMMEDIATE``), which already excludes every other writer."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def record_failed_login(session: Session, email: str, client: str, at: datetime) -> int:
    """Record an attempt as failed (the sign-in records it before checking the password, and forgets it
    if the password was right); its id."""
    record = LoginAttemptRecord(email=email[:320], client=client[:64], attempted_at=at)
    session.add(record)
    session.flush()
    assert record.id is not None
    return record.id


def forget_attempt(session: Session, attempt_id: int) -> None:
    session.execute(sa.delete(LoginAttemptRecord).where(col(LoginAttemptRecord.id) == attempt_id))


def recent_failures(
    session: Session, *, email: str | None = None, client: str | None = None, since: datetime, limit: int
) -> Sequence[datetime]:
    """The times of the most recent failures (newest first, at most ``limit``) for an email or a client."""
    statement = select(LoginAttemptRecord.attempted_at).where(col(LoginAttemptRecord.attempted_at) >= since)
    if email is not None:
        statement = statement.where(LoginAttemptRecord.email == email[:320])
    if client is not None:
        statement = statement.where(LoginAttemptRecord.client == client[:64])
    statement = statement.order_by(col(LoginAttemptRecord.attempted_at).desc()).limit(limit)
    return session.exec(statement).all()


def prune_failures(session: Session, before: datetime) -> None:
    """Forget failures older than the window: they no longer limit anyone."""
    session.execute(sa.delete(LoginAttemptRecord).where(col(LoginAttemptRecord.attempted_at) < before))
