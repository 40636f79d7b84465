"""Failed sign-ins (``login_attempts``): recorded, counted per email and per client address, pruned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.persistence.records import LoginAttemptRecord


def record_failed_login(session: Session, email: str, client: str, at: datetime) -> None:
    session.add(LoginAttemptRecord(email=email[:320], client=client[:64], attempted_at=at))
    session.flush()


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
