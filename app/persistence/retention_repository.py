"""Deleting rows whose use has passed (the retention rules are in ``app/services/retention.py``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from app.persistence.records import IngestionRecord, LoginAttemptRecord, StaffSessionRecord


def _deleted(session: Session, statement: sa.Delete) -> int:
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def delete_ingestions_before(session: Session, cutoff: datetime) -> int:
    """Idempotency records written before ``cutoff``."""
    return _deleted(session, sa.delete(IngestionRecord).where(col(IngestionRecord.created_at) < cutoff))


def delete_staff_sessions_expired(session: Session, now: datetime) -> int:
    """Sign-in sessions whose expiry has passed (they no longer sign anyone in)."""
    return _deleted(session, sa.delete(StaffSessionRecord).where(col(StaffSessionRecord.expires_at) <= now))


def delete_login_attempts_before(session: Session, cutoff: datetime) -> int:
    """Failed sign-in attempts made before ``cutoff``."""
    return _deleted(
        session, sa.delete(LoginAttemptRecord).where(col(LoginAttemptRecord.attempted_at) < cutoff)
    )
