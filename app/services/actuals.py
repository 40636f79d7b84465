"""Pickup snapshots, F&B spend, inventory reports and notices: appended, then read back as of a date."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from app.engine.actuals import Actuals, FnbSpend, InventoryReport, PickupEntry
from app.engine.contract import PickupSource
from app.engine.errors import EngineError
from app.engine.limits import MAX_ACTUALS_ROWS, MAX_PICKUP_ROWS, MAX_SHOULDER_NIGHTS, AtMost, IsoDate
from app.engine.money import NonNegativeMoney, currency_scope
from app.persistence import inventory_repository as inventory_repo
from app.persistence import repositories as repo
from app.persistence.records import (
    FnbActualRecord,
    InventoryReportRecord,
    NoticeRecord,
    PickupSnapshotRecord,
)
from app.services.auth import Principal
from app.services.changes import Change, contract_changed
from app.services.contracts import StoredContract, load_contract
from app.services.errors import InvalidInputError, Problem, StoredDataError
from app.services.external_codes import map_room_type
from app.services.inputs import parse_input
from app.services.last_room_sold import NightShare, has_last_room_sold, share_nights
from app.validation import error_message, field_text


class PickupReport(BaseModel):
    """Room nights on the books as of a date. Cells it names replace earlier figures from that date on;
    cells it leaves out keep theirs. Earlier reports are kept, so pickup can be read as of any date."""

    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate
    entries: Annotated[tuple[PickupEntry, ...], AtMost(MAX_PICKUP_ROWS, "rows"), Field(min_length=1)]


class ActualsReport(BaseModel):
    """Everything but pickup: F&B spend by category, the hotel's inventory per night, and notices."""

    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate
    fnb_spend: Annotated[tuple[FnbSpend, ...], AtMost(MAX_ACTUALS_ROWS, "spend lines")] = ()
    inventory: Annotated[tuple[InventoryReport, ...], AtMost(MAX_ACTUALS_ROWS, "inventory reports")] = ()
    fnb_notice_date: IsoDate | None = None
    cancellation_notice_date: IsoDate | None = None
    cancellation_resold_revenue: NonNegativeMoney | None = None


@dataclass(frozen=True, slots=True)
class Saved:
    contract_id: int
    as_of: date
    rows: int


def _writable(session: Session, principal: Principal, contract_id: int) -> StoredContract:
    stored = load_contract(session, principal, contract_id)
    principal.require_write(stored.record.property_id, f"contract {contract_id}")
    return stored


def _check_as_actuals(stored: StoredContract, data: dict[str, Any], prefix: str) -> None:
    """The rules that span entries (duplicates, one currency) are the engine's: run them here too, and
    name each problem by the body's own field (a pickup report's ``entries``, not ``pickup``)."""
    try:
        parse_input(Actuals, {"currency": stored.terms.currency, **data}, currency=stored.terms.currency)
    except InvalidInputError as error:
        if not prefix:
            raise
        raise InvalidInputError(
            error.detail,
            [
                Problem(re.sub(r"^pickup(?=\[|\.|$)", prefix, problem.field), problem.message, problem.line)
                for problem in error.problems
            ],
        ) from None


def _entry_number(field: str) -> int:
    return int(field[len("entries[") : field.index("]")])


def unknown_room_type(known: tuple[str, ...], room_type: str) -> str:
    """Why ``room_type`` cannot take pickup (it is not one of the block's ``known`` types), or ``""``."""
    return "" if room_type in known else f"room type {room_type} is not in the block ({', '.join(known)})"


def _with_room_type_codes(stored: StoredContract, data: Any) -> Any:
    """``data`` with each entry's booking-system room-type code (``KNG``) read as the block room type the
    property maps it to (``king``); anything else is left for validation to judge."""
    entries = data.get("entries") if isinstance(data, dict) else None
    if not stored.room_type_codes or not isinstance(entries, list) or len(entries) > MAX_PICKUP_ROWS:
        return data
    known = stored.terms.room_types
    mapped = [
        {**entry, "room_type": map_room_type(stored.room_type_codes, known, entry["room_type"])}
        if isinstance(entry, dict) and isinstance(entry.get("room_type"), str)
        else entry
        for entry in entries
    ]
    return {**data, "entries": mapped}


def parse_pickup_report(stored: StoredContract, data: Any, *, across_entries: bool = True) -> PickupReport:
    """The report ``data`` holds, checked against the contract; ``across_entries=False`` leaves out the
    rules between entries (each cell and source once), for checking a file's rows one by one."""
    known = stored.terms.room_types
    data = _with_room_type_codes(stored, data)
    report = parse_input(PickupReport, data, currency=stored.terms.currency)
    unknown = [
        Problem(f"entries[{index}].room_type", message)
        for index, entry in enumerate(report.entries)
        if (message := unknown_room_type(known, entry.room_type))
    ]
    nights = set(stored.terms.nights)
    outside = [
        Problem(
            f"entries[{index}].night",
            f"{entry.night} is not a night of the block; pickup before or "
            "after the block has source 'shoulder'",
        )
        for index, entry in enumerate(report.entries)
        if entry.night not in nights and entry.source is not PickupSource.SHOULDER
    ]
    if unknown or outside:
        # A PMS code (KNG) or a type the contract never held would credit rooms the block lacks; the engine
        # refuses pickup outside the block that is not shoulder pickup. Stored, either would mislead or
        # make every later assessment fail.
        raise InvalidInputError(
            "pickup names room types or nights the block does not hold",
            sorted(unknown + outside, key=lambda problem: _entry_number(problem.field)),
        )
    first = stored.terms.arrival_date - timedelta(days=MAX_SHOULDER_NIGHTS)
    last = stored.terms.departure_date + timedelta(days=MAX_SHOULDER_NIGHTS - 1)
    far = [
        Problem(
            f"entries[{index}].night",
            f"{entry.night} is more than {MAX_SHOULDER_NIGHTS} nights from the stay; shoulder pickup is "
            f"for the nights just before arrival or after departure ({first} to {last})",
        )
        for index, entry in enumerate(report.entries)
        if not first <= entry.night <= last
    ]
    if far:
        raise InvalidInputError("shoulder pickup is for the nights next to the stay", far)
    if across_entries:
        _check_as_actuals(stored, {"pickup": [entry.model_dump() for entry in report.entries]}, "entries")
    return report


def record_pickup(session: Session, principal: Principal, contract_id: int, data: Any) -> Saved:
    stored = _writable(session, principal, contract_id)
    report = parse_pickup_report(stored, data)
    return _save_pickup(session, stored, report, principal.label)


def save_pickup(session: Session, stored: StoredContract, report: PickupReport, by: str) -> Saved:
    """Append a checked report's rows (from :func:`parse_pickup_report`), recorded by ``by``."""
    return _save_pickup(session, stored, report, by)


def _save_pickup(session: Session, stored: StoredContract, report: PickupReport, by: str) -> Saved:
    """Every path that records pickup ends here, so its events are written with it."""
    contract_id = stored.record.id
    assert contract_id is not None
    repo.add_all(
        session,
        (
            PickupSnapshotRecord(
                contract_id=contract_id,
                as_of=report.as_of,
                night=entry.night,
                room_type=entry.room_type,
                source=entry.source,
                room_nights=entry.room_nights,
                rate_amount=None if entry.rate is None else str(entry.rate.amount),
                recorded_by=by,
            )
            for entry in report.entries
        ),
    )
    contract_changed(session, stored, Change.PICKUP, by, pickup=report)
    return Saved(contract_id, report.as_of, len(report.entries))


# --- other actuals -------------------------------------------------------------------------------------


def record_actuals(session: Session, principal: Principal, contract_id: int, data: Any) -> Saved:
    stored = _writable(session, principal, contract_id)
    report = parse_input(ActualsReport, data, currency=stored.terms.currency)
    _check_as_actuals(stored, report.model_dump(exclude={"as_of"}), "")
    rows: list[Any] = [
        FnbActualRecord(
            contract_id=contract_id,
            as_of=report.as_of,
            category=spend.category,
            amount=str(spend.amount.amount),
            recorded_by=principal.label,
        )
        for spend in report.fnb_spend
    ]
    rows += [
        InventoryReportRecord(
            contract_id=contract_id,
            as_of=report.as_of,
            night=item.night,
            unsold_rooms=item.unsold_rooms,
            resold_rooms=item.resold_rooms,
            resold_rate=None if item.resold_rate is None else str(item.resold_rate.amount),
            other_groups_charged_rooms=item.other_groups_charged_rooms,
            recorded_by=principal.label,
        )
        for item in report.inventory
    ]
    if report.fnb_notice_date is not None:
        rows.append(
            NoticeRecord(
                contract_id=contract_id,
                as_of=report.as_of,
                kind="fnb",
                notice_date=report.fnb_notice_date,
                recorded_by=principal.label,
            )
        )
    if report.cancellation_notice_date is not None:
        revenue = report.cancellation_resold_revenue
        rows.append(
            NoticeRecord(
                contract_id=contract_id,
                as_of=report.as_of,
                kind="cancellation",
                notice_date=report.cancellation_notice_date,
                resold_revenue=None if revenue is None else str(revenue.amount),
                recorded_by=principal.label,
            )
        )
    elif report.cancellation_resold_revenue is not None:
        raise InvalidInputError(
            "resold revenue without a cancellation",
            [Problem("cancellation_resold_revenue", "give cancellation_notice_date with it")],
        )
    if not rows:
        raise InvalidInputError("nothing to record", [Problem("", "the report holds no actuals")])
    repo.add_all(session, rows)
    contract_changed(session, stored, Change.ACTUALS, principal.label)
    return Saved(contract_id, report.as_of, len(rows))


def _inventory(
    session: Session, stored: StoredContract, as_of: date
) -> tuple[dict[date, dict[str, Any]], dict[date, int]]:
    """The contract's inventory reports as of ``as_of`` by night, with the hotel's own inventory per night
    (``app.services.hotel_inventory``) supplying the unsold rooms of every block night it covers: it
    replaces the contract's ``unsold_rooms`` there, and the contract's resold rooms and rate stay as
    entered (README, "Hotel inventory"; docs/rules.md §3.6). Also the hotel's unsold rooms by night."""
    contract_id = stored.record.id
    assert contract_id is not None
    reports: dict[date, dict[str, Any]] = {
        row.night: {
            "night": row.night,
            "unsold_rooms": row.unsold_rooms,
            "resold_rooms": row.resold_rooms,
            "resold_rate": row.resold_rate,
            "other_groups_charged_rooms": row.other_groups_charged_rooms,
        }
        for row in repo.inventory_as_of(session, contract_id, as_of)
    }
    nights = stored.terms.nights
    hotel: dict[date, int] = {}
    if nights:
        for row in inventory_repo.nights_as_of(
            session, stored.record.property_id, min(nights), max(nights), as_of
        ):
            hotel[row.night] = row.unsold_rooms
            if row.night in reports:
                reports[row.night]["unsold_rooms"] = row.unsold_rooms
            else:
                reports[row.night] = {"night": row.night, "unsold_rooms": row.unsold_rooms}
    return reports, hotel


def night_shares(
    session: Session, stored: StoredContract, as_of: date, *, as_invoiced: bool = False
) -> dict[date, NightShare]:
    """The contract's shares of the hotel's unsold rooms on the nights other groups are short too."""
    if not has_last_room_sold(stored.terms):
        return {}
    _, hotel = _inventory(session, stored, as_of)
    if not hotel:
        return {}
    own = actuals_as_of(session, stored, as_of, share=False)
    return share_nights(session, stored, as_of, hotel, own, as_invoiced=as_invoiced)


def actuals_as_of(
    session: Session, stored: StoredContract, as_of: date, *, share: bool = True, as_invoiced: bool = False
) -> Actuals:
    """The contract's actuals as they stood on ``as_of`` (the latest figure for each cell, category and
    night). Pickup on the cut-off date comes from the snapshots as of that date. On the nights the
    hotel's inventory covers, its unsold rooms apply; with ``share``, a last-room-sold contract short on
    a night other stored groups are short on too reads the rooms their shares take as its
    ``other_groups_charged_rooms`` (``app.services.last_room_sold``), over the figure typed for it;
    ``as_invoiced``: as it will be once the invoice being prepared is issued."""
    contract_id = stored.record.id
    assert contract_id is not None
    cutoff = stored.terms.cutoff_date
    days = [as_of] if cutoff is None or cutoff > as_of else [as_of, cutoff]
    at_as_of, *at_cutoff_view = repo.pickup_as_of(session, contract_id, *days)
    pickup = [
        {
            "night": row.night,
            "room_type": row.room_type,
            "room_nights": row.room_nights,
            "source": row.source,
            "rate": row.rate_amount,
        }
        for row in at_as_of
    ]
    cutoff_pickup: list[dict[str, Any]] = []
    if at_cutoff_view:
        at_cutoff: dict[tuple[date, str], int] = defaultdict(int)
        for row in at_cutoff_view[0]:
            at_cutoff[(row.night, row.room_type)] += row.room_nights
        cutoff_pickup = [
            {"night": night, "room_type": room_type, "rooms": rooms}
            for (night, room_type), rooms in sorted(at_cutoff.items())
            if rooms > 0
        ]
    notices = repo.notices_as_of(session, contract_id, as_of)
    cancellation = notices.get("cancellation")
    reports, hotel = _inventory(session, stored, as_of)
    data = {
        "currency": stored.terms.currency,
        "pickup": pickup,
        "cutoff_pickup": cutoff_pickup,
        "inventory": [reports[night] for night in sorted(reports)],
        "fnb_spend": [
            {"category": row.category, "amount": row.amount}
            for row in repo.fnb_as_of(session, contract_id, as_of)
        ],
        "fnb_notice_date": notices["fnb"].notice_date if "fnb" in notices else None,
        "cancellation_notice_date": None if cancellation is None else cancellation.notice_date,
        "cancellation_resold_revenue": None if cancellation is None else cancellation.resold_revenue,
    }
    try:
        with currency_scope(stored.terms.currency):
            actuals = Actuals.model_validate(data, strict=False)
            if not (share and hotel and has_last_room_sold(stored.terms)):
                return actuals
            try:
                shares = share_nights(session, stored, as_of, hotel, actuals, as_invoiced=as_invoiced)
            except EngineError:
                return actuals  # the assessment says what is wrong with the contract's own figures
            if not shares:
                return actuals
            for night, shared in shares.items():
                reports[night]["other_groups_charged_rooms"] = shared.others_rooms
            data["inventory"] = [reports[night] for night in sorted(reports)]
            return Actuals.model_validate(data, strict=False)
    except ValidationError as error:
        # Rows written by an older version, or edited in the database: this contract's reads say so.
        raise StoredDataError(
            f"the stored actuals of contract {contract_id} as of {as_of} cannot be read",
            [Problem(f"actuals.{field_text(d['loc'])}", error_message(d)) for d in error.errors()],
        ) from None
