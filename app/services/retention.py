"""Retention: what the service keeps only while it is useful, and ``prune`` to delete the rest.

- idempotency records (``Idempotency-Key``): 24 hours, long enough for any client's retries; a key is
  honoured for that long and no longer;
- staff sign-in sessions: until they expire, since an expired session signs no one in;
- failed sign-in attempts: 1 day; the limits look back 15 minutes, and a day leaves room to look into
  an attack;
- webhook deliveries that are no longer waiting (delivered, given up, cancelled) and their attempts: 30
  days, long enough to read the delivery log of a month and to send a failed one again;
- webhook events: until their deliveries are gone, but ``assessment.changed`` (the next one is compared
  with the last), ``deadline.approaching`` and ``threshold.crossed`` (one per deadline or level: they
  say what was already sent), which are kept.

Everything else (contracts, versions, pickup history, assessments, invoices, share links) is the
record of the business and is never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.persistence import retention_repository as retention
from app.persistence.webhook_repository import PENDING, SENDING
from app.services.changes import EventType

IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)
LOGIN_ATTEMPT_RETENTION = timedelta(days=1)
WEBHOOK_DELIVERY_RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Pruned:
    idempotency_records: int
    staff_sessions: int
    login_attempts: int
    webhook_deliveries: int = 0
    webhook_events: int = 0


def prune(session: Session, now: datetime) -> Pruned:
    """Delete what the retention rules no longer keep, as of ``now`` (aware UTC). The caller commits."""
    delivered_before = now - WEBHOOK_DELIVERY_RETENTION
    kept = (EventType.ASSESSMENT_CHANGED, EventType.DEADLINE_APPROACHING, EventType.THRESHOLD_CROSSED)
    return Pruned(
        idempotency_records=retention.delete_ingestions_before(session, now - IDEMPOTENCY_KEY_LIFETIME),
        staff_sessions=retention.delete_staff_sessions_expired(session, now),
        login_attempts=retention.delete_login_attempts_before(session, now - LOGIN_ATTEMPT_RETENTION),
        webhook_deliveries=retention.delete_finished_deliveries_before(
            session, delivered_before, (PENDING, SENDING)
        ),
        webhook_events=retention.delete_delivered_events_before(
            session, delivered_before, tuple(kind.value for kind in kept)
        ),
    )
