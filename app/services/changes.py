"""What follows a change to a contract, in the transaction of the change: its portfolio snapshot is
refreshed (``app.services.snapshots``) and the webhook events it causes are written.

Every write path calls :func:`contract_changed` after its write and before its caller commits: pickup
(the API's JSON, CSV and .xlsx, OpenTravel, the staff grid and upload), other actuals, the terms (create,
amend, status), and invoices issued or credited. So an event exists exactly when its change does: a
write that fails or is rolled back leaves none (the outbox pattern), and ``app.services.webhooks``
delivers what was committed.

Events are written only for a property that has an active endpoint subscribed to the event's type, and
each gets one delivery row per such endpoint. ``assessment.changed`` compares the contract's total as of
the hotel's today with the total of its last ``assessment.changed`` event; the first one for a contract
(after an endpoint subscribed) is always sent, with ``previous_total`` null, so that a receiver starts
from the current figure.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.persistence import repositories as repo
from app.persistence import webhook_repository as hooks_repo
from app.persistence.records import (
    ContractRecord,
    ExposureSnapshotRecord,
    InvoiceRecord,
    PropertyRecord,
    WebhookDeliveryRecord,
    WebhookEventRecord,
    utc_now,
)

if TYPE_CHECKING:
    from app.engine.money import Money
    from app.services.actuals import PickupReport
    from app.services.contracts import StoredContract


class EventType(StrEnum):
    PICKUP_RECORDED = "pickup.recorded"
    ASSESSMENT_CHANGED = "assessment.changed"
    THRESHOLD_CROSSED = "threshold.crossed"
    DEADLINE_APPROACHING = "deadline.approaching"
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_CREDITED = "invoice.credited"


EVENT_TYPES: tuple[str, ...] = tuple(member.value for member in EventType)


class Change(StrEnum):
    """What a write path changed."""

    PICKUP = "pickup"
    ACTUALS = "actuals"
    TERMS = "terms"
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_CREDITED = "invoice.credited"


_INVOICE_EVENTS = {
    Change.INVOICE_ISSUED: EventType.INVOICE_ISSUED,
    Change.INVOICE_CREDITED: EventType.INVOICE_CREDITED,
}
#: The changes that can move the contract's total.
_ASSESSED = {Change.PICKUP, Change.ACTUALS, Change.TERMS}


def contract_changed(
    session: Session,
    stored: StoredContract,
    change: Change,
    by: str,
    *,
    pickup: PickupReport | None = None,
    invoice: InvoiceRecord | None = None,
) -> None:
    """Write the events ``change`` to ``stored`` causes, in the session's transaction (the caller
    commits). ``by`` is who changed it (a principal's label); ``pickup`` is the report just recorded,
    ``invoice`` the invoice or credit note just stored."""
    record = stored.record
    snapshot = _refresh_snapshot(session, stored)
    subscribed = _subscribed_types(session, record.property_id)
    if not subscribed:
        return
    if change is Change.PICKUP and pickup is not None and EventType.PICKUP_RECORDED in subscribed:
        emit_event(
            session,
            record,
            EventType.PICKUP_RECORDED,
            f"pickup.recorded:{uuid.uuid4().hex}",
            {
                "as_of": pickup.as_of.isoformat(),
                "rows": len(pickup.entries),
                "room_nights": sum(entry.room_nights for entry in pickup.entries),
            },
        )
    if change in _ASSESSED and EventType.ASSESSMENT_CHANGED in subscribed:
        _assessment_changed(session, record, snapshot)
    if invoice is not None:
        kind = _INVOICE_EVENTS.get(change)
        if kind is not None and kind in subscribed:
            emit_event(session, record, kind, f"{kind.value}:{invoice.number}", _invoice_data(invoice))


def _refresh_snapshot(session: Session, stored: StoredContract) -> ExposureSnapshotRecord | None:
    """The portfolio pages read the contract's snapshot: a change refreshes it in the same transaction.
    It holds the total as of the hotel's today, which ``assessment.changed`` reports."""
    # Imported here: the snapshots service reads actuals and forecasts, whose write paths import this.
    from app.services.snapshots import refresh_contract_snapshot

    assert stored.record.id is not None
    return refresh_contract_snapshot(session, stored.record.id)


def _subscribed_types(session: Session, property_id: int) -> set[str]:
    return {
        kind for endpoint in hooks_repo.active_endpoints(session, property_id) for kind in endpoint.events
    }


def _assessment_changed(
    session: Session, record: ContractRecord, snapshot: ExposureSnapshotRecord | None
) -> None:
    """From the snapshot just refreshed, whose assessment is the contract's as of the hotel's today."""
    assert record.id is not None
    current = None if snapshot is None else snapshot.summary.get("current")
    if snapshot is None or current is None:
        return  # terms the engine cannot assess yet: no total to report
    now = {"amount": current["amount"], "currency": current["currency"]}
    last = hooks_repo.last_event(session, record.id, EventType.ASSESSMENT_CHANGED)
    previous = None if last is None else last.payload.get("data", {}).get("total")
    if previous == now:
        return
    emit_event(
        session,
        record,
        EventType.ASSESSMENT_CHANGED,
        f"assessment.changed:{uuid.uuid4().hex}",
        {
            "as_of": snapshot.as_of.isoformat(),
            "contract_version": snapshot.contract_version,
            "is_final": current["is_final"],
            "total": now,
            "previous_total": previous,
        },
    )


def _invoice_data(invoice: InvoiceRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "kind": invoice.kind,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "as_of": invoice.as_of.isoformat(),
        "total": {"amount": str(invoice.total_amount), "currency": invoice.currency},
    }
    if invoice.credits_invoice_id is not None:
        data["credits_invoice_id"] = invoice.credits_invoice_id
    return data


def money_json(value: Money) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": value.currency}


def timestamp_text(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def contract_data(session: Session, record: ContractRecord) -> dict[str, Any]:
    """The ids and codes every contract event carries (codes only where they are set)."""
    prop = repo.get(session, PropertyRecord, record.property_id)
    data: dict[str, Any] = {
        "property_id": record.property_id,
        "contract_id": record.id,
        "contract_reference": record.reference,
    }
    if prop is not None and prop.hotel_code:
        data["hotel_code"] = prop.hotel_code
    if record.block_code:
        data["block_code"] = record.block_code
    return data


def emit_event(
    session: Session,
    record: ContractRecord,
    event_type: EventType,
    event_key: str,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
) -> WebhookEventRecord | None:
    """Write one event of ``record``'s property to the outbox, with a delivery to each active endpoint
    subscribed to its type; nothing if none is, or if ``event_key`` was already written (an event
    happens once). Returns the event written, if any."""
    endpoints = [
        endpoint
        for endpoint in hooks_repo.active_endpoints(session, record.property_id)
        if event_type.value in endpoint.events
    ]
    if not endpoints or hooks_repo.event_exists(session, event_key):
        return None
    created = now or utc_now()
    payload = {
        "type": event_type.value,
        "timestamp": timestamp_text(created),
        "data": {**contract_data(session, record), **data},
    }
    try:
        with session.begin_nested():
            event = repo.add(
                session,
                WebhookEventRecord(
                    property_id=record.property_id,
                    contract_id=record.id,
                    event_type=event_type.value,
                    event_key=event_key,
                    payload=payload,
                    created_at=created,
                ),
            )
            assert event.id is not None
            _deliveries(session, event.id, [endpoint.id for endpoint in endpoints if endpoint.id], created)
    except IntegrityError:  # another transaction wrote the same event first
        return None
    return event


def _deliveries(session: Session, event_id: int, endpoint_ids: Sequence[int], created: datetime) -> None:
    repo.add_all(
        session,
        (
            WebhookDeliveryRecord(
                event_id=event_id, endpoint_id=endpoint_id, next_attempt_at=created, created_at=created
            )
            for endpoint_id in endpoint_ids
        ),
    )
