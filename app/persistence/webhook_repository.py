"""Webhooks' SQL: endpoints, the outbox (events), deliveries and their attempts, and alert levels.

Like every repository it never commits; ``app.services.webhooks`` owns the transactions, and the write
paths that add events own theirs (the event is written with the change it reports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.persistence.records import (
    ContractRecord,
    PropertyAlertLevelsRecord,
    PropertyRecord,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
    WebhookEventRecord,
)
from app.persistence.repositories import Page, _count, _equals, _page

#: Delivery states: waiting for its next try, being sent by a worker (until its lease ends), done.
PENDING, SENDING, DELIVERED, FAILED, CANCELLED = "pending", "sending", "delivered", "failed", "cancelled"


# --- endpoints ---------------------------------------------------------------------------------------


def endpoints(
    session: Session, property_id: int, page: Page, *, active_only: bool = False
) -> tuple[Sequence[WebhookEndpointRecord], int]:
    statement = select(WebhookEndpointRecord).where(_equals(WebhookEndpointRecord.property_id, property_id))
    if active_only:
        statement = statement.where(col(WebhookEndpointRecord.revoked_at).is_(None))
    statement = statement.order_by(col(WebhookEndpointRecord.id))
    return session.exec(_page(statement, page)).all(), _count(session, statement)


def active_endpoints(session: Session, property_id: int) -> Sequence[WebhookEndpointRecord]:
    statement = (
        select(WebhookEndpointRecord)
        .where(WebhookEndpointRecord.property_id == property_id)
        .where(col(WebhookEndpointRecord.revoked_at).is_(None))
        .order_by(col(WebhookEndpointRecord.id))
    )
    return session.exec(statement).all()


def count_active_endpoints(session: Session, property_id: int) -> int:
    statement = (
        select(WebhookEndpointRecord)
        .where(WebhookEndpointRecord.property_id == property_id)
        .where(col(WebhookEndpointRecord.revoked_at).is_(None))
    )
    return _count(session, statement)


def endpoint(session: Session, property_id: int, endpoint_id: int) -> WebhookEndpointRecord | None:
    statement = (
        select(WebhookEndpointRecord)
        .where(_equals(WebhookEndpointRecord.id, endpoint_id))
        .where(WebhookEndpointRecord.property_id == property_id)
    )
    return session.exec(statement).first()


def revoke_endpoint(session: Session, endpoint_id: int, at: datetime) -> None:
    """Stop the endpoint; what it had not yet received is cancelled (its log stays readable)."""
    session.execute(
        sa.update(WebhookEndpointRecord)
        .where(col(WebhookEndpointRecord.id) == endpoint_id)
        .where(col(WebhookEndpointRecord.revoked_at).is_(None))
        .values(revoked_at=at)
    )
    session.execute(
        sa.update(WebhookDeliveryRecord)
        .where(col(WebhookDeliveryRecord.endpoint_id) == endpoint_id)
        .where(col(WebhookDeliveryRecord.status).in_((PENDING, SENDING)))
        .values(status=CANCELLED)
    )
    session.expire_all()


# --- events ------------------------------------------------------------------------------------------


def event_exists(session: Session, event_key: str) -> bool:
    statement = select(WebhookEventRecord.id).where(WebhookEventRecord.event_key == event_key)
    return session.exec(statement).first() is not None


def last_event(session: Session, contract_id: int, event_type: str) -> WebhookEventRecord | None:
    statement = (
        select(WebhookEventRecord)
        .where(WebhookEventRecord.contract_id == contract_id)
        .where(WebhookEventRecord.event_type == event_type)
        .order_by(col(WebhookEventRecord.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def events_of_property(session: Session, property_id: int) -> Sequence[WebhookEventRecord]:
    statement = (
        select(WebhookEventRecord)
        .where(WebhookEventRecord.property_id == property_id)
        .order_by(col(WebhookEventRecord.id))
    )
    return session.exec(statement).all()


# --- deliveries --------------------------------------------------------------------------------------


def deliveries(
    session: Session, endpoint_id: int, page: Page, status: str | None = None
) -> tuple[Sequence[tuple[WebhookDeliveryRecord, WebhookEventRecord]], int]:
    """An endpoint's deliveries, newest first, each with its event."""
    statement = (
        select(WebhookDeliveryRecord, WebhookEventRecord)
        .join(WebhookEventRecord, col(WebhookEventRecord.id) == col(WebhookDeliveryRecord.event_id))
        .where(WebhookDeliveryRecord.endpoint_id == endpoint_id)
    )
    if status is not None:
        statement = statement.where(WebhookDeliveryRecord.status == status)
    statement = statement.order_by(col(WebhookDeliveryRecord.id).desc())
    rows = session.exec(_page(statement, page)).all()
    return [(delivery, event) for delivery, event in rows], _count(session, statement)


def delivery(session: Session, endpoint_id: int, delivery_id: int) -> WebhookDeliveryRecord | None:
    statement = (
        select(WebhookDeliveryRecord)
        .where(_equals(WebhookDeliveryRecord.id, delivery_id))
        .where(WebhookDeliveryRecord.endpoint_id == endpoint_id)
    )
    return session.exec(statement).first()


def attempts_of(session: Session, delivery_ids: Iterable[int]) -> dict[int, list[WebhookAttemptRecord]]:
    ids = list(delivery_ids)
    found: dict[int, list[WebhookAttemptRecord]] = {delivery_id: [] for delivery_id in ids}
    if not ids:
        return found
    statement = (
        select(WebhookAttemptRecord)
        .where(col(WebhookAttemptRecord.delivery_id).in_(ids))
        .order_by(col(WebhookAttemptRecord.id))
    )
    for attempt in session.exec(statement).all():
        found[attempt.delivery_id].append(attempt)
    return found


def due_delivery_ids(session: Session, now: datetime, limit: int, *, skip_locked: bool) -> list[int]:
    """Deliveries due at ``now``: pending ones whose time has come, and ones whose sender's lease ran out
    (a worker that stopped mid-send). On PostgreSQL the rows are locked, skipping those another worker
    holds, so that two workers claim different rows."""
    statement = (
        select(WebhookDeliveryRecord.id)
        .where(col(WebhookDeliveryRecord.status).in_((PENDING, SENDING)))
        .where(WebhookDeliveryRecord.next_attempt_at <= now)
        .order_by(col(WebhookDeliveryRecord.next_attempt_at), col(WebhookDeliveryRecord.id))
        .limit(limit)
    )
    if skip_locked:
        statement = statement.with_for_update(skip_locked=True)
    return [int(found) for found in session.exec(statement).all() if found is not None]


def claim_delivery(session: Session, delivery_id: int, now: datetime, lease_until: datetime) -> bool:
    """Mark one due delivery as being sent until ``lease_until``; False if another worker has it."""
    result = session.execute(
        sa.update(WebhookDeliveryRecord)
        .where(col(WebhookDeliveryRecord.id) == delivery_id)
        .where(col(WebhookDeliveryRecord.status).in_((PENDING, SENDING)))
        .where(col(WebhookDeliveryRecord.next_attempt_at) <= now)
        .values(status=SENDING, next_attempt_at=lease_until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claimed(
    session: Session, delivery_id: int
) -> tuple[WebhookDeliveryRecord, WebhookEventRecord, WebhookEndpointRecord] | None:
    statement = (
        select(WebhookDeliveryRecord, WebhookEventRecord, WebhookEndpointRecord)
        .join(WebhookEventRecord, col(WebhookEventRecord.id) == col(WebhookDeliveryRecord.event_id))
        .join(WebhookEndpointRecord, col(WebhookEndpointRecord.id) == col(WebhookDeliveryRecord.endpoint_id))
        .where(col(WebhookDeliveryRecord.id) == delivery_id)
    )
    row = session.exec(statement).first()
    return None if row is None else (row[0], row[1], row[2])


def finish_attempt(
    session: Session,
    delivery_id: int,
    lease_until: datetime,
    *,
    status: str,
    attempts: int,
    next_attempt_at: datetime,
    delivered_at: datetime | None,
) -> bool:
    """Record the outcome of a try, if the delivery is still this worker's (its lease unchanged)."""
    result = session.execute(
        sa.update(WebhookDeliveryRecord)
        .where(col(WebhookDeliveryRecord.id) == delivery_id)
        .where(col(WebhookDeliveryRecord.status) == SENDING)
        .where(col(WebhookDeliveryRecord.next_attempt_at) == lease_until)
        .values(status=status, attempts=attempts, next_attempt_at=next_attempt_at, delivered_at=delivered_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_delivery(session: Session, delivery_id: int, **values: object) -> None:
    session.execute(
        sa.update(WebhookDeliveryRecord).where(col(WebhookDeliveryRecord.id) == delivery_id).values(**values)
    )
    session.expire_all()


# --- alert levels --------------------------------------------------------------------------------------


def alert_levels(session: Session, property_id: int) -> PropertyAlertLevelsRecord | None:
    return session.get(PropertyAlertLevelsRecord, property_id)


def open_contracts(session: Session, property_id: int, statuses: Iterable[str]) -> Sequence[ContractRecord]:
    statement = (
        select(ContractRecord)
        .where(ContractRecord.property_id == property_id)
        .where(col(ContractRecord.status).in_(list(statuses)))
        .order_by(col(ContractRecord.id))
    )
    return session.exec(statement).all()


def properties_with_endpoints(session: Session) -> Sequence[PropertyRecord]:
    """The properties that have at least one active endpoint (the only ones a scan has news for)."""
    active = (
        select(WebhookEndpointRecord.property_id)
        .where(col(WebhookEndpointRecord.revoked_at).is_(None))
        .distinct()
    )
    statement = (
        select(PropertyRecord).where(col(PropertyRecord.id).in_(active)).order_by(col(PropertyRecord.id))
    )
    return session.exec(statement).all()
