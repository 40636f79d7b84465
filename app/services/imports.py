"""Contract files into the database: the hotel, the account, the contract and its actuals.

Each file's hotel becomes a property (found by name, else created with the file's currency, locale,
timezone and tax profile), so an imported contract assesses exactly as the file does. The file's
actuals are recorded as of the file's ``as_of``; its pickup on the cut-off date becomes a snapshot as of
the cut-off date.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.documents import ContractDocument
from app.engine.contract import PickupSource, ResaleMode
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, PropertyRecord
from app.services import actuals as actuals_service
from app.services import auth, contracts, hotel_inventory
from app.services.auth import Access, Principal
from app.services.errors import InvalidInputError, Problem
from app.services.forecasts import forecast_priors

IMPORTER = Principal("import", None, can_write=True, is_admin=True)


@dataclass(frozen=True, slots=True)
class Imported:
    contract_id: int
    property_id: int
    reference: str


def _property_for(session: Session, document: ContractDocument, currency: str) -> PropertyRecord:
    info = document.contract.property
    found = session.exec(select(PropertyRecord).where(PropertyRecord.name == info.name)).first()
    seller = None if document.seller is None else document.seller.model_dump(mode="json")
    if found is not None:
        if (
            found.identity is None and seller is not None
        ):  # a file fills a hotel's identity, never replaces it
            found.identity = seller
        return found
    return repo.add(
        session,
        PropertyRecord(
            name=info.name,
            address=info.address,
            currency=currency,
            locale=info.locale,
            timezone=info.timezone,
            tax_profile=None
            if info.tax_profile is None
            else info.tax_profile.model_dump(mode="json", exclude_unset=True),
            identity=seller,
        ),
    )


def _account_for(session: Session, property_id: int, document: ContractDocument) -> int | None:
    group = document.contract.group
    if not group.account:
        return None
    found = session.exec(
        select(AccountRecord).where(
            AccountRecord.property_id == property_id, AccountRecord.name == group.account
        )
    ).first()
    buyer = None if document.buyer is None else document.buyer.model_dump(mode="json")
    if found is not None and found.identity is None and buyer is not None:
        found.identity = buyer
    record = found or repo.add(
        session,
        AccountRecord(property_id=property_id, name=group.account, segment=group.segment, identity=buyer),
    )
    assert record.id is not None
    return record.id


def import_document(session: Session, document: ContractDocument, as_of: date | None = None) -> Imported:
    """Store a contract file's contract and actuals; the caller commits."""
    contract = document.contract
    prop = _property_for(session, document, contract.currency)
    assert prop.id is not None
    terms: dict[str, Any] = contract.model_dump(mode="json", exclude={"property"}, exclude_unset=True)
    stored = contracts.create_contract(
        session,
        IMPORTER,
        {"property_id": prop.id, "account_id": _account_for(session, prop.id, document), "contract": terms},
    )
    contract_id = stored.record.id
    assert contract_id is not None
    actuals = document.actuals
    day = as_of or document.as_of
    if actuals is not None and day is not None:
        _import_actuals(session, contract_id, actuals.model_dump(mode="json"), day, contract.cutoff_date)
    return Imported(contract_id, prop.id, contract.id)


def _import_actuals(
    session: Session, contract_id: int, actuals: dict[str, Any], day: date, cutoff: date | None
) -> None:
    if actuals.get("manual_damages"):
        raise InvalidInputError(
            "manual damages cannot be stored yet",
            [Problem("actuals.manual_damages", "leave them out to import")],
        )
    final = actuals["pickup"]
    if actuals["cutoff_pickup"] and cutoff is not None:
        entries = [
            {"night": row["night"], "room_type": row["room_type"], "room_nights": row["rooms"]}
            for row in actuals["cutoff_pickup"]
        ]
        actuals_service.record_pickup(
            session, IMPORTER, contract_id, {"as_of": cutoff.isoformat(), "entries": entries}
        )
        # A cell picked up by the cut-off but absent from the final report has none left by then.
        named = {(row["night"], row["room_type"]) for row in final if row["source"] == PickupSource.IN_BLOCK}
        final = final + [
            {"night": night, "room_type": room_type, "room_nights": 0}
            for night, room_type in sorted({(row["night"], row["room_type"]) for row in entries} - named)
        ]
    if final:
        actuals_service.record_pickup(
            session, IMPORTER, contract_id, {"as_of": day.isoformat(), "entries": final}
        )
    other = {
        key: actuals[key]
        for key in (
            "fnb_spend",
            "inventory",
            "fnb_notice_date",
            "cancellation_notice_date",
            "cancellation_resold_revenue",
        )
        if actuals[key]
    }
    if other:
        actuals_service.record_actuals(session, IMPORTER, contract_id, {"as_of": day.isoformat(), **other})


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    email: str
    password: str
    api_key: str


def load_demo(
    session: Session, documents: list[tuple[Path, ContractDocument]], today: date | None = None
) -> DemoCredentials:
    """Sample contracts, a demo administrator and an API key for every demo property.

    With ``today``, the samples are placed around it (:func:`place_demo`) so that the demo tells a
    live story; without, they keep their files' dates (as ``attrition assess FILE`` reads them)."""
    hotel_nights: dict[int, dict[date, int]] = {}
    for path, document in documents:
        if today is None:
            import_document(session, document)
        else:
            placed, reports = place_demo(path, document, today)
            imported = import_placed(session, placed, reports)
            nights = hotel_inventory_of(document, placed)
            hotel_nights[imported.property_id] = nights | hotel_nights.get(imported.property_id, {})
    for property_id, nights in hotel_nights.items():
        if nights:
            assert today is not None
            report = {
                "as_of": today.isoformat(),
                "nights": [
                    {"night": night.isoformat(), "unsold_rooms": unsold}
                    for night, unsold in sorted(nights.items())
                ],
            }
            hotel_inventory.record_inventory(session, IMPORTER, property_id, report)
    password = secrets.token_urlsafe(12)
    user = auth.create_staff_user(session, "demo@attrition.example", password, name="Demo", is_admin=True)
    assert user.id is not None
    properties, _ = repo.list_properties(session, None, repo.Page(limit=10_000))
    ids = frozenset(record.id for record in properties if record.id is not None)
    _, key = auth.create_api_key(session, "demo", Access.READ_WRITE, ids)
    return DemoCredentials(user.email, password, key)


def is_empty(session: Session) -> bool:
    return repo.count_rows(session, PropertyRecord) == 0


# --- the demo, placed around today -------------------------------------------------------------------

#: Where each sample's stay is placed, in days from today, for a demo that tells a live story: groups
#: arriving in weeks with a pace history, groups months out, and (any sample not listed) stays already
#: over, ready to invoice or cancelled, as their files say.
LIVE_ARRIVALS: dict[str, int] = {
    "corporate-sales-meeting-per-night": 24,
    "edinburgh-actuaries-chronological-vat": 17,
    "youth-volleyball-per-night-credit": 31,
    "convention-last-room-sold": 38,
    "music-festival-credit-pro-rata": 52,
    "engineering-offsite-tiered-stricter-of": 64,
    "government-training-peak-night": 75,
    "wedding-block-cliff": 95,
    "insurance-conference-resold-rooms": 120,
    "investor-summit-revenue-basis": 150,
    "incentive-trip-greater-of": 180,
}
#: Lead times (days before arrival) at which a placed group's pace history has a report.
PACE_LEAD_TIMES = (270, 210, 180, 120, 90, 60, 45, 30, 21, 14, 7)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _shifted(value: Any, days: int) -> Any:
    """Every ISO date in a JSON-like value moved by ``days``."""
    if isinstance(value, dict):
        return {key: _shifted(item, days) for key, item in value.items()}
    if isinstance(value, list):
        return [_shifted(item, days) for item in value]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
    return value


def _pace(stem: str) -> Decimal:
    """A group's own pace against its segment's curve, 88-112 % (fixed per sample, so the demo repeats)."""
    return Decimal(88 + int(hashlib.sha256(stem.encode()).hexdigest(), 16) % 25) / 100


def place_demo(
    path: Path, document: ContractDocument, today: date
) -> tuple[ContractDocument, list[PickupReport]]:
    """A sample placed around ``today``, with the pickup reports that give it a pace history.

    A sample in :data:`LIVE_ARRIVALS` arrives that many days from today: the file's pickup is taken as
    the final pickup, and the group is on the books by its segment's booking curve (times its own pace)
    at each lead time of :data:`PACE_LEAD_TIMES` already past; what the file records after the event
    (spend, resale, notices) has not happened yet. Any other sample keeps its whole story, moved so
    that its file's ``as_of`` is yesterday: over and ready to invoice, or cancelled."""
    contract = document.contract
    data = document.model_dump(mode="json", exclude={"expected"}, exclude_unset=True)
    lead = LIVE_ARRIVALS.get(path.stem)
    if lead is None:
        anchor = document.as_of or contract.departure_date
        return ContractDocument.model_validate(
            _shifted(data, (today - timedelta(days=1) - anchor).days), strict=False
        ), []
    days = (today + timedelta(days=lead) - contract.arrival_date).days
    final = document.actuals.pickup if document.actuals is not None else ()
    placed = _shifted({"contract": data["contract"]}, days)
    moved = ContractDocument.model_validate(placed, strict=False)
    arrival = moved.contract.arrival_date
    prior = forecast_priors().prior(moved.contract.group.segment)
    pace = _pace(path.stem)
    reports: list[PickupReport] = []
    for days_out in sorted({*(d for d in PACE_LEAD_TIMES if d >= lead), lead}, reverse=True):
        share = min(Decimal(1), prior.share_on_the_books(days_out) / 100 * pace)
        entries = [
            {
                "night": (entry.night + timedelta(days=days)).isoformat(),
                "room_type": entry.room_type,
                "source": entry.source.value,
                "room_nights": int((entry.room_nights * share).to_integral_value(ROUND_HALF_UP)),
            }
            for entry in final
        ]
        reports.append(PickupReport(arrival - timedelta(days=days_out), entries))
    return moved, reports


def hotel_inventory_of(document: ContractDocument, placed: ContractDocument) -> dict[date, int]:
    """The hotel's unsold rooms per night the demo records for a sample placed ahead of today under a
    last-room-sold term: its file's unsold rooms, moved to the placed nights, so that the hotel's
    inventory (not a figure typed on the contract) supplies them (docs/rules.md §3.6). Empty for any
    other sample: one that is over keeps its file's entries on the contract."""
    clause = document.contract.attrition
    if (
        placed.actuals is not None
        or document.actuals is None
        or clause is None
        or clause.resale_mode is not ResaleMode.LAST_ROOM_SOLD
    ):
        return {}
    days = placed.contract.arrival_date - document.contract.arrival_date
    return {
        entry.night + days: entry.unsold_rooms
        for entry in document.actuals.inventory
        if entry.unsold_rooms is not None
    }


@dataclass(frozen=True, slots=True)
class PickupReport:
    as_of: date
    entries: list[dict[str, Any]]


def import_placed(session: Session, document: ContractDocument, reports: list[PickupReport]) -> Imported:
    """Store a placed sample and its pace history; the caller commits."""
    imported = import_document(session, document)
    for report in reports:
        actuals_service.record_pickup(
            session,
            IMPORTER,
            imported.contract_id,
            {"as_of": report.as_of.isoformat(), "entries": report.entries},
        )
    return imported
