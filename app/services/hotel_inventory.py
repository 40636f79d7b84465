"""The hotel's inventory per night (issue 17): capacity, rooms out of order, rooms sold and unsold.

One fact of the hotel's night, recorded once per property (JSON, CSV or .xlsx) and read by every
contract's last-room-sold and resale terms on that night (docs/rules.md §3.6). Reports are appended:
a later report of a night supersedes it from its ``as_of`` date on, and the inventory as of any date
reads the figures as they stood then (like pickup).

Unsold rooms are given (``unsold_rooms``) or derived, ``capacity - out_of_order - rooms_sold``, and
never below 0 (an overbooked night has none). When both are given they must agree.

Precedence, when a stored contract is assessed (:func:`app.services.actuals.actuals_as_of`): on a night
the hotel inventory covers, its unsold rooms replace the contract's own ``unsold_rooms`` entry; the
contract's resold rooms and rate stay as entered, and so does its ``other_groups_charged_rooms`` unless
other stored groups are short that night too, when the rooms their shares take replace it
(``app.services.last_room_sold``). The per-contract entry remains for nights the hotel inventory does not
cover, for contract files and for the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session

from app.engine.contract import ResaleMode
from app.engine.limits import MAX_ROOMS, AtMost, IsoDate, parse_iso_date
from app.persistence import inventory_repository as inventory_repo
from app.persistence.records import HotelInventoryRecord
from app.services.auth import Principal
from app.services.changes import Change, contract_changed
from app.services.contracts import load_contract
from app.services.errors import InvalidInputError, Problem, StoredDataError
from app.services.inputs import parse_input
from app.services.pickup_files import (
    DateOrder,
    PickupFileError,
    Table,
    _column_letter,
    _header_key,
    read_csv,
    read_dates,
    read_xlsx,
)
from app.services.properties import get_property

MAX_REPORT_NIGHTS = 366
"""The most nights one report (JSON, CSV or workbook) holds: a year of the hotel's nights."""
MAX_RANGE_NIGHTS = 366
"""The widest range of nights one read (the API's list, the staff page) covers."""
MAX_CHANGED_CONTRACTS = 200
"""The most contracts one report refreshes at once (their snapshots and webhooks); later ones are
refreshed by the hourly snapshot job."""

Count = Annotated[int, Field(ge=0, le=MAX_ROOMS)]


class HotelNight(BaseModel):
    """One night of the hotel: give ``unsold_rooms``, or ``capacity`` and ``rooms_sold`` (and
    ``out_of_order``, default 0) to derive it; both, and they must agree."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    night: IsoDate
    capacity: Count | None = None
    out_of_order: Count | None = None
    rooms_sold: Count | None = None
    unsold_rooms: Count | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.capacity is None and (self.rooms_sold is not None or self.out_of_order is not None):
            raise ValueError("give capacity with rooms_sold and out_of_order")
        if self.capacity is not None and self.rooms_sold is None:
            raise ValueError("give rooms_sold with capacity")
        if self.capacity is not None and (self.out_of_order or 0) > self.capacity:
            raise ValueError(f"out_of_order ({self.out_of_order}) is more than capacity ({self.capacity})")
        if self.capacity is None and self.unsold_rooms is None:
            raise ValueError("give unsold_rooms, or capacity and rooms_sold")
        derived = self.derived_unsold
        if derived is not None and self.unsold_rooms is not None and derived != self.unsold_rooms:
            raise ValueError(
                f"unsold_rooms ({self.unsold_rooms}) differs from capacity - out_of_order - rooms_sold "
                f"({derived})"
            )
        return self

    @property
    def derived_unsold(self) -> int | None:
        if self.capacity is None or self.rooms_sold is None:
            return None
        return max(0, self.capacity - (self.out_of_order or 0) - self.rooms_sold)

    @property
    def unsold(self) -> int:
        derived = self.derived_unsold
        if derived is not None:
            return derived
        assert self.unsold_rooms is not None
        return self.unsold_rooms


class HotelInventoryReport(BaseModel):
    """The hotel's nights as of a date; nights it leaves out keep their earlier figures."""

    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate
    nights: Annotated[tuple[HotelNight, ...], AtMost(MAX_REPORT_NIGHTS, "nights"), Field(min_length=1)]

    @model_validator(mode="after")
    def _each_night_once(self) -> Self:
        seen: set[date] = set()
        for item in self.nights:
            if item.night in seen:
                raise ValueError(f"{item.night} is reported twice")
            seen.add(item.night)
        return self


@dataclass(frozen=True, slots=True)
class InventorySaved:
    property_id: int
    as_of: date
    nights: int


def parse_report(data: Any) -> HotelInventoryReport:
    return parse_input(HotelInventoryReport, data)


def record_inventory(session: Session, principal: Principal, property_id: int, data: Any) -> InventorySaved:
    """Check and append a report of the property's nights (JSON body)."""
    _writable(session, principal, property_id)
    return save_report(session, principal, property_id, parse_report(data))


def _writable(session: Session, principal: Principal, property_id: int) -> None:
    get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")


def save_report(
    session: Session, principal: Principal, property_id: int, report: HotelInventoryReport
) -> InventorySaved:
    """Append a checked report's nights, recorded by ``principal``; every contract of the property with a
    last-room-sold term on those nights is refreshed (its snapshot and webhooks), as a change of its
    actuals."""
    inventory_repo.add_nights(
        session,
        (
            HotelInventoryRecord(
                property_id=property_id,
                as_of=report.as_of,
                night=item.night,
                capacity=item.capacity,
                out_of_order=item.out_of_order,
                rooms_sold=item.rooms_sold,
                unsold_rooms=item.unsold,
                recorded_by=principal.label,
            )
            for item in report.nights
        ),
    )
    nights = [item.night for item in report.nights]
    _contracts_changed(session, principal, property_id, min(nights), max(nights))
    return InventorySaved(property_id, report.as_of, len(report.nights))


def sharing_changed(session: Session, principal: Principal, property_id: int) -> None:
    """The hotel's ``last_room_sold_sharing`` changed: every contract with a last-room-sold term on a
    night the hotel's inventory covers is refreshed (snapshot and webhooks), as after a new report."""
    span = inventory_repo.night_span(session, property_id)
    if span is not None:
        _contracts_changed(session, principal, property_id, *span)


def _contracts_changed(
    session: Session, principal: Principal, property_id: int, first: date, last: date
) -> None:
    records = inventory_repo.contracts_on_nights(session, property_id, first, last, MAX_CHANGED_CONTRACTS)
    for record in records:
        assert record.id is not None
        try:
            stored = load_contract(session, principal, record.id)
        except StoredDataError:
            continue  # its own reads say so; the inventory is still the hotel's
        attrition = stored.terms.attrition
        if attrition is not None and attrition.resale_mode is ResaleMode.LAST_ROOM_SOLD:
            contract_changed(session, stored, Change.ACTUALS, principal.label)


# --- reading -------------------------------------------------------------------------------------------


def check_range(night_from: date, night_to: date) -> None:
    if night_to < night_from:
        raise InvalidInputError(
            "the range ends before it starts", [Problem("night_to", f"give a night on or after {night_from}")]
        )
    if (night_to - night_from).days + 1 > MAX_RANGE_NIGHTS:
        raise InvalidInputError(
            "the range is too wide",
            [Problem("night_to", f"at most {MAX_RANGE_NIGHTS} nights from night_from")],
        )


def list_nights(
    session: Session,
    principal: Principal,
    property_id: int,
    night_from: date,
    night_to: date,
    as_of: date,
) -> list[HotelInventoryRecord]:
    """The property's nights in the range as they stood on ``as_of`` (nights without a report left out)."""
    get_property(session, principal, property_id)
    check_range(night_from, night_to)
    return inventory_repo.nights_as_of(session, property_id, night_from, night_to, as_of)


def night_history(
    session: Session, principal: Principal, property_id: int, night_from: date, night_to: date
) -> Sequence[HotelInventoryRecord]:
    get_property(session, principal, property_id)
    check_range(night_from, night_to)
    return inventory_repo.history(session, property_id, night_from, night_to)


def default_range(today: date) -> tuple[date, date]:
    """The nights a list shows when none are asked for: today and the 30 nights after."""
    return today, today + timedelta(days=30)


# --- files ---------------------------------------------------------------------------------------------

_COLUMNS = {
    "night": ("night", "date", "stay_date"),
    "capacity": ("capacity", "rooms_available", "total_rooms", "physical_rooms"),
    "out_of_order": ("out_of_order", "ooo", "off_market"),
    "rooms_sold": ("rooms_sold", "sold", "occupied"),
    "unsold_rooms": ("unsold_rooms", "unsold", "available"),
    "as_of": ("as_of", "report_date", "as_of_date"),
}


def parse_inventory_table(
    table: Table,
    as_of: date | None,
    *,
    local_dates: bool = False,
    date_order: DateOrder | None = None,
) -> HotelInventoryReport:
    """The report a file holds: a header row (names matched case-insensitively against ``_COLUMNS``),
    then one row per night. Every problem names its line and column; a file with any bad row saves
    nothing. Dates are ``YYYY-MM-DD`` (or date cells); with ``local_dates`` (the staff page), also
    day/month/year or month/day/year, read by the pickup files' reader (``pickup_files.read_dates``:
    the file decides the order when it can, else ``date_order``, else the file is refused as ambiguous)."""
    keys = [_header_key(cell) for cell in table.header]
    columns: dict[str, int] = {}
    for name, aliases in _COLUMNS.items():
        for index, key in enumerate(keys):
            if key in aliases and name not in columns:
                columns[name] = index
    labels = {
        name: f"{_column_letter(index)} ({table.header[index].strip()})" for name, index in columns.items()
    }
    if "night" not in columns:
        raise PickupFileError(
            "the header lacks the night column",
            [Problem("night", f"no column for night (accepted: {', '.join(_COLUMNS['night'])})", 1)],
            labels,
        )
    if "unsold_rooms" not in columns and not {"capacity", "rooms_sold"} <= columns.keys():
        raise PickupFileError(
            "the header lacks the rooms",
            [Problem("unsold_rooms", "give an unsold_rooms column, or capacity and rooms_sold columns", 1)],
            labels,
        )
    if as_of is None and "as_of" not in columns:
        raise PickupFileError(
            "the report date is missing",
            [Problem("as_of", "give the report date, or an as_of column in the file", 1)],
            labels,
        )
    records: list[tuple[int, dict[str, str]]] = []
    for line, row in table.rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(records) == MAX_REPORT_NIGHTS:
            raise PickupFileError(
                "too many rows", [Problem("", f"at most {MAX_REPORT_NIGHTS} nights per report", line)], labels
            )
        values = {name: row[index].strip() if index < len(row) else "" for name, index in columns.items()}
        if not values.get("as_of") and as_of is not None:
            values["as_of"] = as_of.isoformat()
        records.append((line, values))
    date_problems = read_dates(
        records, ("night", "as_of"), labels, local_dates=local_dates, date_order=date_order
    )
    problems: list[Problem] = []
    nights: list[tuple[int, dict[str, Any]]] = []
    dates: set[date] = set()
    for line, values in records:
        if line in date_problems:
            problems.extend(date_problems[line])
            continue
        try:
            dates.add(parse_iso_date(values.get("as_of", "")))
        except ValueError:
            problems.append(Problem("as_of", f"{values.get('as_of')!r} is not a date (YYYY-MM-DD)", line))
            continue
        item: dict[str, Any] = {name: text for name, text in values.items() if name != "as_of" and text}
        try:
            parsed = parse_input(HotelNight, item)
        except InvalidInputError as error:
            problems.extend(Problem(p.field or "row", p.message, line) for p in error.problems)
            continue
        nights.append((line, parsed.model_dump()))
    if problems:
        raise PickupFileError("the file has rows that cannot be saved; nothing was saved", problems, labels)
    if not nights:
        raise PickupFileError("the file has no rows", [Problem("", "the file holds a header and no rows", 1)])
    if len(dates) != 1:
        raise PickupFileError(
            "a report holds one as-of date", [Problem("as_of", "split the file by report date")], labels
        )
    seen: dict[date, int] = {}
    for line, item in nights:
        if item["night"] in seen:
            problems.append(Problem("night", f"{item['night']} is also on line {seen[item['night']]}", line))
        seen.setdefault(item["night"], line)
    if problems:
        raise PickupFileError("the file has rows that cannot be saved; nothing was saved", problems, labels)
    return HotelInventoryReport(as_of=dates.pop(), nights=tuple(HotelNight(**item) for _, item in nights))


def record_inventory_file(
    session: Session,
    principal: Principal,
    property_id: int,
    kind: str,
    data: Any,
    as_of: date | None,
    *,
    local_dates: bool = False,
    date_order: DateOrder | None = None,
) -> InventorySaved:
    """A CSV text (``kind`` "csv") or workbook bytes ("xlsx"), read as the pickup files are."""
    _writable(session, principal, property_id)
    table = read_csv(data) if kind == "csv" else read_xlsx(data)
    report = parse_inventory_table(table, as_of, local_dates=local_dates, date_order=date_order)
    return save_report(session, principal, property_id, report)
