"""Deleting rows whose use has passed (the retention rules are in ``app/services/retention.py``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from app.persistence.records import (
    IngestionRecord,
    LoginAttemptRecord,
    StaffSessionRecord,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEventRecord,
)


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


def delete_finished_deliveries_before(session: Session, cutoff: datetime, unfinished: tuple[str, ...]) -> int:
    """Webhook deliveries no longer waiting to be sent (delivered, given up, cancelled), created before
    ``cutoff``, with their attempts."""
    finished = sa.select(col(WebhookDeliveryRecord.id)).where(
        col(WebhookDeliveryRecord.created_at) < cutoff, col(WebhookDeliveryRecord.status).not_in(unfinished)
    )
    _deleted(
        session, sa.delete(WebhookAttemptRecord).where(col(WebhookAttemptRecord.delivery_id).in_(finished))
    )
    return _deleted(
        session, sa.delete(WebhookDeliveryRecord).where(col(WebhookDeliveryRecord.id).in_(finished))
    )


def delete_delivered_events_before(session: Session, cutoff: datetime, kept_types: tuple[str, ...]) -> int:
    """Outbox events created before ``cutoff`` that no delivery refers to any more, but for the types
    in ``kept_types`` (they are what later events are compared with or deduplicated by)."""
    referred = sa.select(col(WebhookDeliveryRecord.event_id))
    return _deleted(
        session,
        sa.delete(WebhookEventRecord).where(
            col(WebhookEventRecord.created_at) < cutoff,
            col(WebhookEventRecord.event_type).not_in(kept_types),
            col(WebhookEventRecord.id).not_in(referred),
        ),
    )
