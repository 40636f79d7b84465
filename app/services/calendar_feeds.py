"""Deadline calendar feeds: an iCalendar (RFC 5545) URL per property or per contract, by a revocable token.

As for share links (``app.services.sharing``), the token (``secrets.token_urlsafe(32)``) is shown once,
when the feed is made, and only its SHA-256 is stored; a revoked or unknown token gets the same answer
(410), so the answer does not tell which. A calendar application polls the URL without signing in.

Each deadline of ``app.services.deadlines`` is one all-day event. Its UID is built from the contract id
and the deadline's key (``contract-12-cutoff@attrition``), so it stays the same from one fetch to the
next and after edits that do not move the deadline: the application updates the event instead of
adding a second one. Titles and descriptions are in the property's language, dates as its locale
writes them, and each deadline a group acts on carries a display alarm.

Bounds: a property feed holds the property's contracts that are neither cancelled nor completed and
departed at most :data:`PAST_DAYS` days ago, the first :data:`MAX_FEED_CONTRACTS` by arrival, and at most
:data:`MAX_FEED_EVENTS` events; a property or a contract has at most :data:`MAX_ACTIVE_FEEDS` feeds
that are not revoked. A contract feed of a cancelled or completed contract holds its invoices' due
dates only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from icalendar import Alarm, Calendar, Event
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from app.engine.limits import OptionalName
from app.pdf.i18n import DEFAULT_LANGUAGE, catalog_language, number_locale
from app.persistence import calendar_repository as calendar_repo
from app.persistence import repositories as repo
from app.persistence.records import CalendarFeedRecord, ContractRecord, PropertyRecord, utc_now
from app.services.assessments import hotel_today
from app.services.auth import Principal
from app.services.contracts import ContractStatus, get_contract, read_terms
from app.services.deadlines import Deadline, DeadlineKind, deadline_text, deadlines_of, open_invoices
from app.services.errors import ConflictError, NotFoundError, ServiceError
from app.services.inputs import parse_input
from app.services.properties import get_property

CALENDAR_PATH = "/calendar/"
MAX_FEED_CONTRACTS = 200
MAX_FEED_EVENTS = 5000
MAX_ACTIVE_FEEDS = 20
PAST_DAYS = 365
MAX_TOKEN_CHARS = 200
#: How long before each kind of deadline the calendar reminds (none for a departure).
ALARM_DAYS: dict[DeadlineKind, int] = {
    DeadlineKind.CUTOFF: 7,
    DeadlineKind.REDUCTION_REVIEW: 7,
    DeadlineKind.CANCELLATION_TIER: 7,
    DeadlineKind.FNB_NOTICE_TIER: 7,
    DeadlineKind.ARRIVAL: 1,
    DeadlineKind.INVOICE_DUE: 3,
}
CLOSED = frozenset({ContractStatus.CANCELLED.value, ContractStatus.COMPLETED.value})


class FeedGoneError(ServiceError):
    """A token that is unknown or revoked: one answer for both."""

    status = 410
    title = "Gone"

    def __init__(self) -> None:
        super().__init__("This calendar feed is no longer valid. Ask the hotel for a new one.")


class FeedStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class CalendarFeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: OptionalName = ""


@dataclass(frozen=True, slots=True)
class CalendarFeed:
    record: CalendarFeedRecord

    @property
    def status(self) -> FeedStatus:
        return FeedStatus.ACTIVE if self.record.revoked_at is None else FeedStatus.REVOKED


@dataclass(frozen=True, slots=True)
class Owner:
    """What a feed covers: a whole property (``contract_id`` None) or one of its contracts."""

    property_id: int
    contract_id: int | None

    @property
    def name(self) -> str:
        return f"property {self.property_id}" if self.contract_id is None else f"contract {self.contract_id}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + CALENDAR_PATH + token + ".ics"


def property_owner(session: Session, principal: Principal, property_id: int) -> Owner:
    get_property(session, principal, property_id)
    return Owner(property_id, None)


def contract_owner(session: Session, principal: Principal, contract_id: int) -> Owner:
    record = get_contract(session, principal, contract_id)
    return Owner(record.property_id, contract_id)


def create_feed(
    session: Session, principal: Principal, owner: Owner, data: Any, now: datetime | None = None
) -> tuple[CalendarFeedRecord, str]:
    """Make a feed; returns it with its token, which is not kept and so cannot be shown again."""
    principal.require_write(owner.property_id, owner.name)
    request = parse_input(CalendarFeedCreate, data)
    _, active = calendar_repo.feeds(
        session, owner.property_id, owner.contract_id, limit=1, offset=0, active_only=True
    )
    if active >= MAX_ACTIVE_FEEDS:
        raise ConflictError(
            f"{owner.name} already has {MAX_ACTIVE_FEEDS} calendar feeds that are not revoked; "
            "revoke one before making another"
        )
    token = secrets.token_urlsafe(32)
    record = calendar_repo.add_feed(
        session,
        CalendarFeedRecord(
            property_id=owner.property_id,
            contract_id=owner.contract_id,
            token_hash=token_digest(token),
            label=request.label.strip(),
            created_by=principal.label,
            created_at=now or utc_now(),
        ),
    )
    return record, token


def list_feeds(
    session: Session, principal: Principal, owner: Owner, page: repo.Page
) -> tuple[list[CalendarFeed], int]:
    principal.require_read(owner.property_id, owner.name)
    records, total = calendar_repo.feeds(
        session, owner.property_id, owner.contract_id, limit=page.limit, offset=page.offset
    )
    return [CalendarFeed(record) for record in records], total


def revoke_feed(
    session: Session, principal: Principal, owner: Owner, feed_id: int, now: datetime | None = None
) -> CalendarFeed:
    principal.require_write(owner.property_id, owner.name)
    record = calendar_repo.feed(session, owner.property_id, owner.contract_id, feed_id)
    if record is None or record.id is None:
        raise NotFoundError(f"calendar feed {feed_id} not found")
    calendar_repo.revoke_feed(session, record.id, now or utc_now())
    found = calendar_repo.feed(session, owner.property_id, owner.contract_id, record.id)
    assert found is not None
    return CalendarFeed(found)


# --- the feed ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedContract:
    record: ContractRecord
    deadlines: list[Deadline]


def open_feed(session: Session, token: str) -> CalendarFeedRecord:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise FeedGoneError
    record = calendar_repo.feed_by_hash(session, token_digest(token))
    if record is None or record.revoked_at is not None:
        raise FeedGoneError
    return record


def feed_calendar(session: Session, token: str, now: datetime | None = None) -> bytes:
    """The feed's iCalendar text (``text/calendar``), built from the deadlines as they are now."""
    feed = open_feed(session, token)
    prop = repo.get(session, PropertyRecord, feed.property_id)
    if prop is None:
        raise FeedGoneError
    stamp = now or utc_now()
    if feed.contract_id is None:
        try:
            today = hotel_today(prop.timezone, stamp)
        except ServiceError:
            today = stamp.date()
        contracts = calendar_repo.open_contracts(
            session, prop.id or 0, CLOSED, today - timedelta(days=PAST_DAYS), MAX_FEED_CONTRACTS
        )
        name = prop.name
    else:
        contract = repo.get(session, ContractRecord, feed.contract_id)
        if contract is None:
            raise FeedGoneError
        contracts = [contract]
        name = f"{contract.name or contract.reference} – {prop.name}"
    return _calendar(name, _feed_contracts(session, contracts), prop.locale, stamp)


def _feed_contracts(session: Session, contracts: Sequence[ContractRecord]) -> list[FeedContract]:
    versions = calendar_repo.current_versions(session, contracts)
    invoices = calendar_repo.invoices_of_contracts(session, [c.id for c in contracts if c.id is not None])
    found: list[FeedContract] = []
    for record in contracts:
        version = versions.get(record.id or 0)
        if record.id is None or version is None:
            continue
        try:
            terms = read_terms(record.id, version.version, version.terms)
        except ServiceError:
            continue  # terms that no longer validate have no dates to show; the contract page says why
        deadlines = deadlines_of(terms, open_invoices(invoices[record.id]), contract_id=record.id)
        found.append(FeedContract(record, deadlines_in_feed(record, deadlines)))
    return found


def deadlines_in_feed(record: ContractRecord, deadlines: Sequence[Deadline]) -> list[Deadline]:
    """What a feed holds of a contract's deadlines: all of them, but only its invoices' due dates once
    it is cancelled or completed (nothing else is still to be done)."""
    if record.status in CLOSED:
        return [deadline for deadline in deadlines if deadline.kind is DeadlineKind.INVOICE_DUE]
    return list(deadlines)


def _calendar(name: str, contracts: Iterable[FeedContract], locale: str, stamp: datetime) -> bytes:
    language = catalog_language(locale) or DEFAULT_LANGUAGE
    formats = str(number_locale(language, locale))
    calendar = Calendar()
    calendar.add("prodid", "-//attrition//contract deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    events = 0
    for contract in contracts:
        for deadline in contract.deadlines:
            if events >= MAX_FEED_EVENTS:
                return bytes(calendar.to_ical())
            calendar.add_component(_event(contract.record, deadline, language, formats, stamp))
            events += 1
    return bytes(calendar.to_ical())


def event_uid(deadline: Deadline) -> str:
    return f"contract-{deadline.contract_id}-{deadline.key}@attrition"


def _event(record: ContractRecord, deadline: Deadline, language: str, locale: str, stamp: datetime) -> Event:
    text = deadline_text(deadline, language, locale)
    event = Event()
    event.add("uid", event_uid(deadline))
    event.add("dtstamp", stamp)
    event.add("dtstart", deadline.on)
    event.add("dtend", deadline.on + timedelta(days=1))
    event.add("summary", text.summary)
    event.add("description", f"{text.description}\n\n{record.name or record.reference}")
    event.add("transp", "TRANSPARENT")
    days = ALARM_DAYS.get(deadline.kind)
    if days is not None:
        alarm = Alarm()
        alarm.add("uid", f"{event_uid(deadline)}-alarm")
        alarm.add("action", "DISPLAY")
        alarm.add("description", text.summary)
        alarm.add("trigger", timedelta(days=-days))
        event.add_component(alarm)
    return event
