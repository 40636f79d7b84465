"""Signed webhooks: endpoints, alert levels, delivery of the outbox, and the scheduled scan.

- **Endpoints.** An administrator registers a URL of a property with the event types it receives. We
  make its secret (Standard Webhooks form, ``whsec_`` + base64 of 32 random bytes) and show it once, at
  creation and on rotation. Revoking stops deliveries; the log stays readable.
- **Delivery** (:func:`deliver_due`). Events are written by ``app.services.changes`` in the transaction
  of their change, each with a delivery row per subscribed endpoint. A worker claims due rows (on
  PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED``; on both, a conditional ``UPDATE`` that only one worker
  can win) and marks them ``sending`` under a lease; it sends with no transaction open, then records
  the attempt. A 2xx answer delivers; anything else (another status, a time-out, a refused connection)
  is retried after :data:`RETRY_DELAYS` with ±10 % jitter, and after the last the delivery is ``failed``.
  Messages are signed with ``standardwebhooks`` (``webhook-id``: the event's id, the same on every try;
  ``webhook-timestamp``: when this try was sent; ``webhook-signature``). No response body is kept.
- **Scan** (:func:`scan_deadlines`): ``deadline.approaching`` and ``threshold.crossed``, once each (their
  ``event_key``), per property in the hotel's time zone.
"""

from __future__ import annotations

import base64
import json
import random
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.engine.limits import OneLine
from app.persistence import db
from app.persistence import repositories as repo
from app.persistence import webhook_repository as hooks_repo
from app.persistence.records import (
    ContractRecord,
    PropertyAlertLevelsRecord,
    PropertyRecord,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
    WebhookEventRecord,
    utc_now,
)
from app.services.auth import Principal
from app.services.changes import EVENT_TYPES, EventType, emit_event
from app.services.contracts import StoredContract
from app.services.deadlines import contract_deadlines
from app.services.errors import ConflictError, InvalidInputError, NotFoundError, Problem
from app.services.properties import get_property

#: How long to wait after the n-th failed try before the next (Standard Webhooks' schedule): eight
#: tries in all over about 28 hours; after the last failure the delivery is ``failed``.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1
#: How long one try may take (connect, send, first answer) before it counts as failed.
DEFAULT_TIMEOUT_SECONDS = 10.0
#: A claimed delivery is its worker's for this long; a worker that stops mid-send loses it after.
LEASE = timedelta(minutes=2)
MAX_ENDPOINTS_PER_PROPERTY = 20
MAX_URL_LENGTH = 2000
MAX_DELIVER_LIMIT = 1000
SECRET_BYTES = 32
#: ``deadline.approaching`` is sent once per deadline, when it is this many days away or fewer.
DEADLINE_WINDOW_DAYS = 7
USER_AGENT = "attrition-webhooks/1"
#: Who the scheduled scan reads contracts as: every property, nothing written but events.
SCANNER = Principal("webhooks scan", None, can_write=False, is_admin=False)


def _http_url(value: str) -> str:
    if any(character.isspace() or ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValueError("a URL has no spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError("give an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    return value


def _event_list(value: list[str]) -> list[str]:
    unknown = [kind for kind in value if kind not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}; the events are {', '.join(EVENT_TYPES)}")
    if len(set(value)) != len(value):
        raise ValueError("each event type once")
    return value


WebhookUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH), AfterValidator(_http_url)]
EventList = Annotated[
    list[Annotated[str, Field(max_length=60)]],
    Field(min_length=1, max_length=len(EVENT_TYPES)),
    AfterValidator(_event_list),
]


class WebhookEndpointCreate(BaseModel):
    """An endpoint to register: where to send, which events (at least one), and a note for people."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl = Field(description="http:// or https://, at most 2000 characters")
    events: EventList = Field(description=f"Any of: {', '.join(EVENT_TYPES)}")
    description: OneLine = Field(default="", max_length=200)


class AlertLevels(BaseModel):
    """When ``threshold.crossed`` is sent: pickup below the block's minimum this many days or fewer
    before cut-off, or a forecast probability of damages at or above this percentage. Null: never."""

    model_config = ConfigDict(extra="forbid")

    days_before_cutoff: int | None = Field(default=None, ge=0, le=365)
    damages_probability_pct: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=1)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# --- endpoints -----------------------------------------------------------------------------------------


def _admin_of(session: Session, principal: Principal, property_id: int) -> PropertyRecord:
    prop = get_property(session, principal, property_id)  # 404 for a property the caller cannot see
    principal.require_admin()
    return prop


def register_endpoint(
    session: Session, principal: Principal, property_id: int, data: WebhookEndpointCreate
) -> WebhookEndpointRecord:
    _admin_of(session, principal, property_id)
    if hooks_repo.count_active_endpoints(session, property_id) >= MAX_ENDPOINTS_PER_PROPERTY:
        raise ConflictError(
            f"the property already has {MAX_ENDPOINTS_PER_PROPERTY} active endpoints: revoke one first",
            [Problem("url", f"at most {MAX_ENDPOINTS_PER_PROPERTY} active endpoints per property")],
        )
    return repo.add(
        session,
        WebhookEndpointRecord(
            property_id=property_id,
            url=data.url,
            events=list(data.events),
            secret=new_secret(),
            description=data.description,
            created_by=principal.label,
        ),
    )


def list_endpoints(
    session: Session, principal: Principal, property_id: int, page: repo.Page
) -> tuple[Sequence[WebhookEndpointRecord], int]:
    get_property(session, principal, property_id)
    return hooks_repo.endpoints(session, property_id, page)


def get_endpoint(
    session: Session, principal: Principal, property_id: int, endpoint_id: int
) -> WebhookEndpointRecord:
    get_property(session, principal, property_id)
    found = hooks_repo.endpoint(session, property_id, endpoint_id)
    if found is None:
        raise NotFoundError(f"webhook endpoint {endpoint_id} not found")
    return found


def revoke_endpoint(
    session: Session, principal: Principal, property_id: int, endpoint_id: int
) -> WebhookEndpointRecord:
    _admin_of(session, principal, property_id)
    found = get_endpoint(session, principal, property_id, endpoint_id)
    assert found.id is not None
    hooks_repo.revoke_endpoint(session, found.id, utc_now())
    return get_endpoint(session, principal, property_id, endpoint_id)


def rotate_secret(
    session: Session, principal: Principal, property_id: int, endpoint_id: int
) -> WebhookEndpointRecord:
    """A new secret for the endpoint; messages from now on are signed with it (shown once)."""
    _admin_of(session, principal, property_id)
    found = get_endpoint(session, principal, property_id, endpoint_id)
    if found.revoked_at is not None:
        raise ConflictError(f"webhook endpoint {endpoint_id} is revoked")
    found.secret = new_secret()
    session.add(found)
    session.flush()
    return found


# --- the delivery log ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: WebhookDeliveryRecord
    event: WebhookEventRecord
    attempts: tuple[WebhookAttemptRecord, ...]


DELIVERY_STATUSES = (
    hooks_repo.PENDING,
    hooks_repo.SENDING,
    hooks_repo.DELIVERED,
    hooks_repo.FAILED,
    hooks_repo.CANCELLED,
)


def list_deliveries(
    session: Session,
    principal: Principal,
    property_id: int,
    endpoint_id: int,
    page: repo.Page,
    status: str | None = None,
) -> tuple[list[DeliveryView], int]:
    found = get_endpoint(session, principal, property_id, endpoint_id)
    assert found.id is not None
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidInputError(
            "unknown status", [Problem("query.status", f"one of {', '.join(DELIVERY_STATUSES)}")]
        )
    rows, total = hooks_repo.deliveries(session, found.id, page, status)
    attempts = hooks_repo.attempts_of(session, (delivery.id for delivery, _ in rows if delivery.id))
    views = [
        DeliveryView(delivery, event, tuple(attempts.get(delivery.id or 0, ()))) for delivery, event in rows
    ]
    return views, total


def redeliver(
    session: Session, principal: Principal, property_id: int, endpoint_id: int, delivery_id: int
) -> DeliveryView:
    """Send a failed delivery again from the start of the schedule (same event, same ``webhook-id``)."""
    _admin_of(session, principal, property_id)
    found = get_endpoint(session, principal, property_id, endpoint_id)
    assert found.id is not None
    if found.revoked_at is not None:
        raise ConflictError(f"webhook endpoint {endpoint_id} is revoked")
    delivery = hooks_repo.delivery(session, found.id, delivery_id)
    if delivery is None:
        raise NotFoundError(f"delivery {delivery_id} not found")
    if delivery.status != hooks_repo.FAILED:
        raise ConflictError(f"delivery {delivery_id} is {delivery.status}: only a failed one is sent again")
    assert delivery.id is not None
    hooks_repo.set_delivery(
        session, delivery.id, status=hooks_repo.PENDING, attempts=0, next_attempt_at=utc_now()
    )
    again = hooks_repo.delivery(session, found.id, delivery_id)
    event = repo.get(session, WebhookEventRecord, delivery.event_id)
    assert again is not None
    assert event is not None
    return DeliveryView(again, event, tuple(hooks_repo.attempts_of(session, [delivery.id])[delivery.id]))


# --- alert levels --------------------------------------------------------------------------------------


def read_alert_levels(session: Session, principal: Principal, property_id: int) -> AlertLevels:
    get_property(session, principal, property_id)
    record = hooks_repo.alert_levels(session, property_id)
    if record is None:
        return AlertLevels()
    pct = record.damages_probability_pct
    return AlertLevels(
        days_before_cutoff=record.days_before_cutoff,
        damages_probability_pct=None if pct is None else pct.quantize(Decimal("0.1")),
    )


def set_alert_levels(
    session: Session, principal: Principal, property_id: int, data: AlertLevels
) -> AlertLevels:
    get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")
    record = hooks_repo.alert_levels(session, property_id) or PropertyAlertLevelsRecord(
        property_id=property_id, updated_by=principal.label
    )
    record.days_before_cutoff = data.days_before_cutoff
    record.damages_probability_pct = data.damages_probability_pct
    record.updated_by = principal.label
    record.updated_at = utc_now()
    session.add(record)
    session.flush()
    return data


# --- delivery ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claimed:
    delivery_id: int
    attempts: int
    lease_until: datetime
    url: str
    secret: str
    message_id: str
    body: bytes


def message_id(event: WebhookEventRecord) -> str:
    """The ``webhook-id`` of an event: stable, so a receiver can drop a message it already handled."""
    return f"evt_{event.id}"


def message_body(event: WebhookEventRecord) -> bytes:
    return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()


def retry_delay(failed_attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """The wait after the ``failed_attempts``-th failure (1-based), jittered; None after the last."""
    if failed_attempts < 1 or failed_attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[failed_attempts - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return base * factor


def _claim(engine: sa.Engine, now: datetime, limit: int) -> list[_Claimed]:
    """Claim up to ``limit`` due deliveries in one short write transaction."""
    lease_until = now + LEASE
    with Session(db.writing(engine), expire_on_commit=False) as session:
        skip_locked = engine.dialect.name == "postgresql"
        claimed: list[_Claimed] = []
        for delivery_id in hooks_repo.due_delivery_ids(session, now, limit, skip_locked=skip_locked):
            found = hooks_repo.claimed(session, delivery_id)
            if found is None:
                continue
            delivery, event, endpoint = found
            if endpoint.revoked_at is not None:
                hooks_repo.set_delivery(session, delivery_id, status=hooks_repo.CANCELLED)
                continue
            if not hooks_repo.claim_delivery(session, delivery_id, now, lease_until):
                continue
            claimed.append(
                _Claimed(
                    delivery_id,
                    delivery.attempts,
                    lease_until,
                    endpoint.url,
                    endpoint.secret,
                    message_id(event),
                    message_body(event),
                )
            )
        session.commit()
    return claimed


@dataclass(frozen=True, slots=True)
class _Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def is_delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _send(client: Any, claimed: _Claimed) -> _Outcome:
    """One signed POST; its answer's status, or why there was none. The body is not read."""
    import httpx2
    from standardwebhooks import Webhook

    sent_at = utc_now()
    signature = Webhook(claimed.secret).sign(claimed.message_id, sent_at, claimed.body)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": claimed.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    started = time.monotonic()
    try:
        request = client.build_request("POST", claimed.url, content=claimed.body, headers=headers)
        response = client.send(request, stream=True)
        response.close()
        error = "" if 200 <= response.status_code < 300 else f"the endpoint answered {response.status_code}"
        return _Outcome(response.status_code, error, _elapsed(started))
    except httpx2.TimeoutException:
        return _Outcome(None, "no answer within the time-out", _elapsed(started))
    except httpx2.ConnectError as failure:
        reason = re.sub(r"^\[Errno -?\d+\]\s*", "", str(failure))[:300]
        return _Outcome(None, f"could not connect to the endpoint ({reason})", _elapsed(started))
    except httpx2.HTTPError as failure:
        return _Outcome(None, f"the request failed ({failure})"[:500], _elapsed(started))


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _record(engine: sa.Engine, claimed: _Claimed, outcome: _Outcome, now: datetime) -> bool:
    attempts = claimed.attempts + 1
    if outcome.is_delivered:
        status, next_at, delivered_at = hooks_repo.DELIVERED, now, utc_now()
    else:
        delay = retry_delay(attempts)
        status = hooks_repo.FAILED if delay is None else hooks_repo.PENDING
        next_at, delivered_at = (now if delay is None else now + delay), None
    with Session(db.writing(engine), expire_on_commit=False) as session:
        repo.add(
            session,
            WebhookAttemptRecord(
                delivery_id=claimed.delivery_id,
                attempted_at=now,
                status_code=outcome.status_code,
                error=outcome.error[:500],
                duration_ms=outcome.duration_ms,
            ),
        )
        hooks_repo.finish_attempt(
            session,
            claimed.delivery_id,
            claimed.lease_until,
            status=status,
            attempts=attempts,
            next_attempt_at=next_at,
            delivered_at=delivered_at,
        )
        session.commit()
    return outcome.is_delivered


def deliver_due(
    engine: sa.Engine,
    now: datetime | None = None,
    *,
    limit: int = 100,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> int:
    """Send the deliveries due at ``now`` (default: the clock), at most ``limit``; returns how many were
    delivered. Manages its own sessions: no transaction is open while a request is in flight."""
    import httpx2

    limit = max(1, min(limit, MAX_DELIVER_LIMIT))
    moment = now or utc_now()
    claimed = _claim(engine, moment, limit)
    if not claimed:
        return 0
    delivered = 0
    with httpx2.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for item in claimed:
            outcome = _send(client, item)
            delivered += _record(engine, item, outcome, moment)
    return delivered


# --- the scan --------------------------------------------------------------------------------------------


def scan_deadlines(engine: sa.Engine, now: datetime | None = None) -> int:
    """Write the ``deadline.approaching`` and ``threshold.crossed`` events due at ``now`` for every
    property with an active endpoint, each at most once (its ``event_key``); returns how many were
    written. Per property, the contracts are read and assessed in a read transaction, and what they
    crossed is written in one short write transaction (on SQLite no writer waits for the forecasts)."""
    moment = now or utc_now()
    written = 0
    with Session(engine, expire_on_commit=False) as session:
        property_ids = [prop.id for prop in hooks_repo.properties_with_endpoints(session) if prop.id]
    for property_id in property_ids:
        with Session(engine, expire_on_commit=False) as session:
            found = _scan_property(session, property_id, moment)
        if not found:
            continue
        with Session(db.writing(engine), expire_on_commit=False) as session:
            for record, event_type, key, data in found:
                written += emit_event(session, record, event_type, key, data, now=moment) is not None
            session.commit()
    return written


_Found = tuple[ContractRecord, EventType, str, dict[str, Any]]


def _scan_property(session: Session, property_id: int, now: datetime) -> list[_Found]:
    from app.services.assessments import hotel_today
    from app.services.forecasts import OPEN_STATUSES

    prop = repo.get(session, PropertyRecord, property_id)
    assert prop is not None
    today = hotel_today(prop.timezone, now)
    levels = hooks_repo.alert_levels(session, property_id)
    found: list[_Found] = []
    for record in hooks_repo.open_contracts(session, property_id, OPEN_STATUSES):
        found += _scan_contract(session, record.id or 0, today, levels)
    return found


def _scan_contract(
    session: Session, contract_id: int, today: date, levels: PropertyAlertLevelsRecord | None
) -> list[_Found]:
    from app.services.contracts import load_contract
    from app.services.errors import ServiceError

    try:
        stored = load_contract(session, SCANNER, contract_id)
    except ServiceError:
        return []  # stored terms that no longer read: the contract's own pages say so
    found: list[_Found] = [
        (stored.record, EventType.DEADLINE_APPROACHING, key, data)
        for key, data in deadline_events(session, stored, today)
        if not hooks_repo.event_exists(session, key)
    ]
    found += [
        (stored.record, EventType.THRESHOLD_CROSSED, key, data)
        for key, data in threshold_events(session, stored, today, levels)
    ]
    return found


def deadline_events(
    session: Session, stored: StoredContract, today: date
) -> list[tuple[str, dict[str, Any]]]:
    """The contract's deadlines (``app.services.deadlines``) from ``today`` to :data:`DEADLINE_WINDOW_DAYS`
    days ahead, as (event key, data). The key holds the deadline's own stable key and its date, so a
    deadline is announced once, and again only if an amendment moves it into the window on a new date."""
    found = []
    for deadline in contract_deadlines(session, stored):
        days = (deadline.on - today).days
        if 0 <= days <= DEADLINE_WINDOW_DAYS:
            found.append(
                (
                    f"deadline.approaching:{stored.record.id}:{deadline.key}:{deadline.on.isoformat()}",
                    {
                        "deadline": deadline.kind.value,
                        "deadline_key": deadline.key,
                        "title": deadline.title,
                        "description": deadline.description,
                        "date": deadline.on.isoformat(),
                        "days_left": days,
                    },
                )
            )
    return found


def threshold_events(
    session: Session, stored: StoredContract, today: date, levels: PropertyAlertLevelsRecord | None
) -> list[tuple[str, dict[str, Any]]]:
    """The hotel's alert levels the contract crosses as of ``today``, as (event key, data): pickup below
    the block's minimum with the cut-off (else arrival) this many days away or fewer, and a forecast
    probability of damages at or above the level. Each is sent once per contract and level."""
    from app.services.assessments import assess_stored
    from app.services.changes import money_json
    from app.services.errors import ServiceError
    from app.services.forecasts import forecast_contract

    if levels is None:
        return []
    record, terms = stored.record, stored.terms
    assert record.id is not None
    found: list[tuple[str, dict[str, Any]]] = []
    if levels.days_before_cutoff is not None:
        cutoff = terms.cutoff_date or terms.arrival_date
        days = (cutoff - today).days
        key = f"threshold.crossed:{record.id}:pickup:{cutoff.isoformat()}:{levels.days_before_cutoff}"
        if 0 <= days <= levels.days_before_cutoff and not hooks_repo.event_exists(session, key):
            try:
                rooms = assess_stored(session, stored, today).assessment.rooms
            except ServiceError:
                rooms = None
            if rooms is not None and rooms.credited_room_nights < rooms.minimum_room_nights:
                found.append(
                    (
                        key,
                        {
                            "threshold": "pickup_below_minimum",
                            "as_of": today.isoformat(),
                            "cutoff_date": cutoff.isoformat(),
                            "days_to_cutoff": days,
                            "level_days": levels.days_before_cutoff,
                            "credited_room_nights": rooms.credited_room_nights,
                            "minimum_room_nights": str(rooms.minimum_room_nights),
                        },
                    )
                )
    probability_key = f"threshold.crossed:{record.id}:probability:{levels.damages_probability_pct}"
    if levels.damages_probability_pct is not None and not hooks_repo.event_exists(session, probability_key):
        try:
            forecast = forecast_contract(session, SCANNER, record.id, today)
        except ServiceError:
            forecast = None
        if forecast is not None:
            outlook = forecast.exposure.outlook
            if outlook.probability_pct >= levels.damages_probability_pct:
                found.append(
                    (
                        probability_key,
                        {
                            "threshold": "damages_probability",
                            "as_of": today.isoformat(),
                            "probability_pct": str(outlook.probability_pct.quantize(Decimal("0.1"))),
                            "level_pct": str(levels.damages_probability_pct),
                            "expected_damages": money_json(outlook.expected),
                        },
                    )
                )
    return found
