"""Actuals other than in-block pickup (``/contracts/{id}/actuals``): F&B spend by category, the hotel's
unsold and resold rooms per night, credited pickup from other sources (outside-block audit matches,
staff, shoulder nights, billed no-shows, walked guests, comps, paid early departures) and the group's
notices. Each form saves through the same services as the API, as of a date, so the history is kept and
every figure can be read as it stood on any day; the page lists who entered what and when.

A blank field leaves the recorded figure as it is; a filled one replaces it from the form's date on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.api.deps import SessionDep
from app.engine.actuals import Actuals
from app.engine.contract import FnbCategory, PickupSource
from app.engine.limits import MAX_AMOUNT, MAX_ROOMS, parse_iso_date
from app.engine.money import Money
from app.persistence import repositories as repo
from app.services.actuals import Saved, actuals_as_of, record_actuals, record_pickup
from app.services.assessments import hotel_today
from app.services.contracts import StoredContract, load_contract
from app.services.errors import InvalidInputError
from app.services.properties import get_property
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.numbers import number_example, read_number
from app.web.templating import babel_locale, page_context, templates
from app.web.views import FieldError, Formats, parse_day

router = APIRouter(include_in_schema=False)

FNB_LABELS = {
    FnbCategory.BANQUET_FOOD: "Banquet food",
    FnbCategory.BANQUET_BEVERAGE: "Banquet beverage",
    FnbCategory.BARS: "Bars",
    FnbCategory.OUTLETS: "Restaurants and outlets",
    FnbCategory.ROOM_RENTAL: "Meeting-room rental",
}
SOURCE_LABELS = {
    PickupSource.IN_BLOCK: "In the block",
    PickupSource.OUTSIDE_BLOCK: "Outside the block (audit matches)",
    PickupSource.STAFF: "Staff rooms",
    PickupSource.SHOULDER: "Shoulder nights",
    PickupSource.BILLED_NO_SHOW: "Billed no-shows",
    PickupSource.WALKED: "Walked guests",
    PickupSource.COMP: "Complimentary rooms (comps)",
    PickupSource.EARLY_DEPARTURE_PAID: "Paid early departures",
}
CREDITED_SOURCES = tuple(source for source in PickupSource if source is not PickupSource.IN_BLOCK)
INVENTORY_FIELDS = {
    "unsold_rooms": "Unsold rooms",
    "resold_rooms": "Rooms resold",
    "resold_rate": "Resold at (rate)",
    "other_groups_charged_rooms": "Unsold rooms charged to other groups",
}
NOTICE_LABELS = {"fnb": "F&B notice", "cancellation": "Cancellation notice"}
SECTIONS = ("fnb", "inventory", "credited", "notices")

Text = Annotated[str, Field(max_length=40)]


# --- the forms -------------------------------------------------------------------------------------


class FnbSpendForm(BaseModel):
    """Spend per category, net of tax and service charge; a blank category keeps its recorded amount."""

    model_config = ConfigDict(extra="ignore")

    as_of: Text
    amounts: dict[FnbCategory, Text]


class InventoryNightForm(BaseModel):
    unsold_rooms: Text
    resold_rooms: Text
    resold_rate: Text
    other_groups_charged_rooms: Text


class InventoryForm(BaseModel):
    """The hotel's report per block night; a night left blank keeps its recorded figures."""

    as_of: Text
    nights: dict[date, InventoryNightForm]


class CreditedPickupForm(BaseModel):
    """Room nights from one source on one night and room type."""

    as_of: Text
    night: Text
    room_type: Text
    source: Text
    room_nights: Text
    rate: Text


class NoticesForm(BaseModel):
    """The group's notices: a lowered F&B minimum, or a cancellation (with revenue the hotel resold)."""

    as_of: Text
    fnb_notice_date: Text
    cancellation_notice_date: Text
    cancellation_resold_revenue: Text


def _str(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _validated(model: type[BaseModel], data: dict[str, Any], name_of: Any) -> tuple[Any, list[FieldError]]:
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, [
            FieldError(name_of(detail["loc"]), "too long: at most 40 characters") for detail in error.errors()
        ]


async def read_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


# --- parsing one field -----------------------------------------------------------------------------


@dataclass
class Parser:
    locale: Locale
    errors: list[FieldError]

    def amount(self, text: str, name: str) -> str | None:
        if not text:
            return None
        value = read_number(text, self.locale)
        if value is None:
            example = number_example(self.locale)
            self.errors.append(FieldError(name, f"{text[:40]!r} is not an amount: write it like {example}"))
            return None
        if value < 0 or value > MAX_AMOUNT:
            # Decimal places are the currency's (0 for JPY, 3 for KWD): the services check those.
            self.errors.append(FieldError(name, "enter an amount from 0 to 1,000,000,000,000"))
            return None
        return str(value)

    def count(self, text: str, name: str) -> int | None:
        if not text:
            return None
        value = read_number(text, self.locale)
        if value is None or value != value.to_integral_value() or not 0 <= value <= MAX_ROOMS:
            self.errors.append(FieldError(name, f"enter a whole number of rooms from 0 to {MAX_ROOMS:,}"))
            return None
        return int(value)

    def day(self, text: str, name: str, *, required: str = "") -> date | None:
        found = parse_day(text, name, self.errors)
        if found is None and not text and required:
            self.errors.append(FieldError(name, required))
        return found


_INDEXED = re.compile(r"^(\w+)\[(\d+)\]\.?(\w*)")


def _problems(error: InvalidInputError, name_of: Any) -> list[FieldError]:
    """The service's problems placed beside the field that caused them (``fnb_spend[1].amount`` → that
    category's input); a problem with no field of its own goes on the as-of date."""
    placed = []
    for problem in error.problems:
        match = _INDEXED.match(problem.field)
        name = name_of(match.group(1), int(match.group(2)), match.group(3)) if match else None
        if name is None:
            name = problem.field if problem.field in _PLAIN_FIELDS else "as_of"
        placed.append(FieldError(name, problem.message))
    return placed


_PLAIN_FIELDS = {"as_of", "fnb_notice_date", "cancellation_notice_date", "cancellation_resold_revenue"}


# --- the page --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    recorded: str
    by: str
    as_of: str
    what: str
    value: str


@dataclass(frozen=True, slots=True)
class FnbRow:
    name: str
    label: str
    counted: bool
    recorded: str
    value: str


@dataclass(frozen=True, slots=True)
class InventoryRow:
    night: str
    fields: tuple[tuple[str, str, str, str], ...]  # (input name, label, recorded, value)


def fnb_name(category: FnbCategory) -> str:
    return f"fnb:{category.value}"


def inventory_name(night: date, field: str) -> str:
    return f"inv:{night.isoformat()}:{field}"


def _who(label: str, names: dict[int, str]) -> str:
    if label.startswith("user:") and label[5:].isdigit():
        return names.get(int(label[5:]), "a former user")
    if label.startswith("key:"):
        return "an API key"
    if label == "import":
        return "a contract file import"
    return "not recorded"


def _history(session: Session, stored: StoredContract, fmt: Formats, timezone: str) -> tuple[HistoryRow, ...]:
    """Newest first, with the time each row was entered in the hotel's time zone."""
    try:
        zone: tzinfo = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = UTC
    contract_id = stored.record.id
    assert contract_id is not None
    currency = stored.terms.currency
    fnb, inventory, notices = repo.actuals_history(session, contract_id)
    pickup = [row for row in repo.pickup_history(session, contract_id) if row.source != PickupSource.IN_BLOCK]
    labels = [row.recorded_by for rows in (fnb, inventory, notices, pickup) for row in rows]
    names = repo.staff_names(
        session, (int(label[5:]) for label in labels if label.startswith("user:") and label[5:].isdigit())
    )

    def money(text: str | None) -> str:
        return "—" if text is None else fmt.money(Money(Decimal(text), currency))

    rows: list[tuple[datetime, int, HistoryRow]] = []

    def add(at: datetime, order: int, by: str, as_of: date, what: str, value: str) -> None:
        local = at.astimezone(zone)
        when = f"{fmt.day(local.date())} {local.strftime('%H:%M')} {local.tzname() or ''}".rstrip()
        rows.append((at, order, HistoryRow(when, _who(by, names), fmt.day(as_of), what, value)))

    for f in fnb:
        add(
            f.recorded_at,
            0,
            f.recorded_by,
            f.as_of,
            f"F&B spend: {FNB_LABELS[FnbCategory(f.category)]}",
            money(f.amount),
        )
    for i in inventory:
        parts = [
            f"unsold {fmt.number(i.unsold_rooms)}",
            f"resold {fmt.number(i.resold_rooms)}" + (f" at {money(i.resold_rate)}" if i.resold_rate else ""),
        ]
        if i.other_groups_charged_rooms:
            parts.append(f"{fmt.number(i.other_groups_charged_rooms)} charged to other groups")
        add(
            i.recorded_at,
            1,
            i.recorded_by,
            i.as_of,
            f"Rooms on the night of {fmt.day(i.night)}",
            ", ".join(parts),
        )
    for n in notices:
        value = fmt.day(n.notice_date)
        if n.resold_revenue:
            value += f" (resold revenue {money(n.resold_revenue)})"
        add(n.recorded_at, 2, n.recorded_by, n.as_of, NOTICE_LABELS.get(n.kind, "Notice"), value)
    for p in pickup:
        add(
            p.recorded_at,
            3,
            p.recorded_by,
            p.as_of,
            f"{SOURCE_LABELS[PickupSource(p.source)]}: {p.room_type}, night of {fmt.day(p.night)}",
            f"{fmt.number(p.room_nights)} room nights"
            + (f" at {money(p.rate_amount)}" if p.rate_amount else ""),
        )
    rows.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return tuple(row for _, _, row in rows)


def _page(
    request: Request,
    session: Session,
    staff: Staff,
    stored: StoredContract,
    *,
    as_of: date,
    section: str = "",
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    record, terms = stored.record, stored.terms
    prop = get_property(session, staff.principal, record.property_id)
    fmt = Formats.of(prop.locale)
    values = values or {}
    error_map = {error.field: error.message for error in errors or ()}
    actuals: Actuals = actuals_as_of(session, stored, as_of)
    currency = terms.currency
    spend = {item.category: item.amount for item in actuals.fnb_spend}
    counted = terms.fnb.counted_categories if terms.fnb is not None else frozenset()
    fnb_rows = tuple(
        FnbRow(
            fnb_name(category),
            FNB_LABELS[category],
            category in counted,
            fmt.money(spend.get(category)) if category in spend else "nothing",
            values.get(fnb_name(category), ""),
        )
        for category in FnbCategory
    )
    reports = {report.night: report for report in actuals.inventory}
    inventory_rows = []
    for night in terms.nights:
        report = reports.get(night)
        recorded = {
            "unsold_rooms": "—" if report is None else fmt.number(report.unsold_rooms),
            "resold_rooms": "—" if report is None else fmt.number(report.resold_rooms),
            "resold_rate": "—" if report is None else fmt.money(report.resold_rate),
            "other_groups_charged_rooms": "—"
            if report is None
            else fmt.number(report.other_groups_charged_rooms),
        }
        inventory_rows.append(
            InventoryRow(
                fmt.day(night),
                tuple(
                    (
                        name := inventory_name(night, field),
                        f"{label}, night of {fmt.day(night)}",
                        recorded[field],
                        values.get(name, ""),
                    )
                    for field, label in INVENTORY_FIELDS.items()
                ),
            )
        )
    fnb_clause = terms.fnb
    fnb_terms = ""
    if fnb_clause is not None:
        added = []
        if fnb_clause.add_service_charge:
            added.append(f"a {fmt.pct(fnb_clause.service_charge_pct)} service charge")
        if fnb_clause.add_tax:
            added.append(f"{fmt.pct(fnb_clause.tax_pct)} tax")
        fnb_terms = f"The F&B minimum is {fmt.money(fnb_clause.minimum)}; " + (
            f"the contract adds {' and '.join(added)} to any shortfall."
            if added
            else "the contract adds no service charge or tax to a shortfall."
        )
    notices = {
        "fnb_notice_date": fmt.day(actuals.fnb_notice_date),
        "cancellation_notice_date": fmt.day(actuals.cancellation_notice_date),
        "cancellation_resold_revenue": fmt.money(actuals.cancellation_resold_revenue),
    }
    credited_on_books = tuple(
        (SOURCE_LABELS[entry.source], entry.room_type, fmt.day(entry.night), fmt.number(entry.room_nights))
        for entry in actuals.pickup
        if entry.source is not PickupSource.IN_BLOCK
    )
    context = page_context(
        title=f"Enter actuals · {record.name or terms.group.name}",
        staff=staff,
        locale=prop.locale,
        contract_id=record.id,
        contract_name=record.name or terms.group.name,
        reference=record.reference,
        currency=currency,
        as_of=values.get("as_of", as_of.isoformat()) if section else as_of.isoformat(),
        as_of_text=fmt.day(as_of),
        section=section,
        values=values,
        errors=error_map,
        error_count=len(error_map),
        fnb_rows=fnb_rows,
        fnb_terms=fnb_terms,
        has_fnb=fnb_clause is not None,
        inventory_rows=tuple(inventory_rows),
        resale_needs_inventory=terms.attrition is not None
        and terms.attrition.resale_mode == "last_room_sold",
        nights=tuple((night.isoformat(), fmt.day(night)) for night in terms.nights),
        room_types=terms.room_types,
        sources=tuple((source.value, SOURCE_LABELS[source]) for source in CREDITED_SOURCES),
        credited=credited_on_books,
        notices=notices,
        history=_history(session, stored, fmt, prop.timezone),
        notice=_saved_notice(request.query_params.get("saved", "")),
    )
    return templates.TemplateResponse(request, "actuals.html", context, status_code=status)


def _saved_notice(saved: str) -> str:
    return {
        "fnb": "F&B spend saved.",
        "inventory": "Rooms unsold and resold saved.",
        "credited": "Credited pickup saved.",
        "notices": "Notices saved.",
    }.get(saved, "")


def _as_of(
    session: Session, staff: Staff, stored: StoredContract, raw: str | None
) -> tuple[date, list[FieldError]]:
    errors: list[FieldError] = []
    prop = get_property(session, staff.principal, stored.record.property_id)
    return parse_day(raw, "as_of", errors) or hotel_today(prop.timezone), errors


@router.get("/contracts/{contract_id:int}/actuals", response_model=None)
def actuals_form(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    contract_id: int,
    as_of: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    day, errors = _as_of(session, staff, stored, as_of)
    return _page(request, session, staff, stored, as_of=day, errors=errors, status=422 if errors else 200)


def _finish(
    request: Request,
    session: SessionDep,
    staff: Staff,
    stored: StoredContract,
    section: str,
    form: FormData,
    errors: list[FieldError],
    save: Callable[[], date],
) -> Response:
    """Save (when the fields parsed) and redirect to this page as of the saved date (Post/Redirect/Get);
    else the page again with each problem beside its field and the input kept, 422."""
    contract_id = stored.record.id
    if not errors:
        try:
            saved_as_of = save()
        except _Placed as error:
            session.rollback()
            errors = error.placed
        else:
            session.commit()
            return RedirectResponse(
                f"/contracts/{contract_id}/actuals?as_of={saved_as_of.isoformat()}&saved={section}#{section}",
                status_code=303,
            )
    values = {
        key: value.strip() for key, value in form.items() if isinstance(value, str) and key != "csrf_token"
    }
    day = parse_iso_date(values["as_of"]) if _is_day(values.get("as_of", "")) else None
    if day is None:
        day, _ = _as_of(session, staff, stored, None)
    return _page(
        request, session, staff, stored, as_of=day, section=section, values=values, errors=errors, status=422
    )


def _is_day(text: str) -> bool:
    try:
        parse_iso_date(text)
    except ValueError:
        return False
    return True


class _Placed(InvalidInputError):
    """A service refusal with its problems already placed beside the page's fields."""

    def __init__(self, error: InvalidInputError, placed: list[FieldError]) -> None:
        super().__init__(error.detail, error.problems)
        self.placed = placed


def _call(save: Callable[[], Saved], name_of: Callable[[str, int, str], str | None]) -> Saved:
    try:
        return save()
    except InvalidInputError as error:
        raise _Placed(error, _problems(error, name_of)) from None


NOTHING = "enter at least one figure to save"


@router.post("/contracts/{contract_id:int}/actuals/fnb", response_model=None)
def save_fnb(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    prop = get_property(session, staff.principal, stored.record.property_id)
    names = {key: category for category in FnbCategory for key in [fnb_name(category)]}
    parsed, errors = _validated(
        FnbSpendForm,
        {"as_of": _str(form, "as_of"), "amounts": {c.value: _str(form, n) for n, c in names.items()}},
        lambda loc: fnb_name(FnbCategory(loc[1])) if loc[0] == "amounts" else str(loc[0]),
    )
    parser = Parser(babel_locale(prop.locale), errors)
    lines: list[dict[str, str]] = []
    order: list[str] = []
    day: date | None = None
    if parsed is not None:
        day = parser.day(parsed.as_of, "as_of", required="give the date the spend is reported as of")
        for category, text in parsed.amounts.items():
            amount = parser.amount(text, fnb_name(category))
            if amount is not None:
                lines.append({"category": category.value, "amount": amount})
                order.append(fnb_name(category))
        if not lines and not errors:
            errors.append(FieldError(order[0] if order else fnb_name(FnbCategory.BANQUET_FOOD), NOTHING))

    def save() -> date:
        assert day is not None
        data = {"as_of": day.isoformat(), "fnb_spend": lines}
        return _call(
            lambda: record_actuals(session, staff.principal, contract_id, data),
            lambda field, index, _: order[index] if field == "fnb_spend" and index < len(order) else None,
        ).as_of

    return _finish(request, session, staff, stored, "fnb", form, errors, save)


@router.post("/contracts/{contract_id:int}/actuals/inventory", response_model=None)
def save_inventory(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    prop = get_property(session, staff.principal, stored.record.property_id)
    nights = stored.terms.nights
    parsed, errors = _validated(
        InventoryForm,
        {
            "as_of": _str(form, "as_of"),
            "nights": {
                night.isoformat(): {
                    field: _str(form, inventory_name(night, field)) for field in INVENTORY_FIELDS
                }
                for night in nights
            },
        },
        lambda loc: (
            inventory_name(parse_iso_date(str(loc[1])), str(loc[2])) if loc[0] == "nights" else str(loc[0])
        ),
    )
    parser = Parser(babel_locale(prop.locale), errors)
    reports: list[dict[str, Any]] = []
    order: list[date] = []
    day: date | None = None
    if parsed is not None:
        day = parser.day(parsed.as_of, "as_of", required="give the date of the hotel's report")
        for night, row in parsed.nights.items():
            if not any((row.unsold_rooms, row.resold_rooms, row.resold_rate, row.other_groups_charged_rooms)):
                continue
            report: dict[str, Any] = {"night": night.isoformat()}
            for field in ("unsold_rooms", "resold_rooms", "other_groups_charged_rooms"):
                count = parser.count(getattr(row, field), inventory_name(night, field))
                if count is not None:
                    report[field] = count
            rate = parser.amount(row.resold_rate, inventory_name(night, "resold_rate"))
            if rate is not None:
                report["resold_rate"] = rate
            elif report.get("resold_rooms") and not row.resold_rate:
                parser.errors.append(
                    FieldError(inventory_name(night, "resold_rate"), "give the rate the rooms were resold at")
                )
            reports.append(report)
            order.append(night)
        if not reports and not errors:
            errors.append(FieldError(inventory_name(nights[0], "unsold_rooms"), NOTHING))

    def save() -> date:
        assert day is not None
        data = {"as_of": day.isoformat(), "inventory": reports}

        def name_of(field: str, index: int, rest: str) -> str | None:
            if field != "inventory" or index >= len(order):
                return None
            return inventory_name(order[index], rest if rest in INVENTORY_FIELDS else "unsold_rooms")

        return _call(lambda: record_actuals(session, staff.principal, contract_id, data), name_of).as_of

    return _finish(request, session, staff, stored, "inventory", form, errors, save)


@router.post("/contracts/{contract_id:int}/actuals/credited", response_model=None)
def save_credited(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    prop = get_property(session, staff.principal, stored.record.property_id)
    fields = CreditedPickupForm.model_fields
    parsed, errors = _validated(
        CreditedPickupForm, {name: _str(form, name) for name in fields}, lambda loc: str(loc[0])
    )
    parser = Parser(babel_locale(prop.locale), errors)
    entry: dict[str, Any] = {}
    day: date | None = None
    if parsed is not None:
        day = parser.day(parsed.as_of, "as_of", required="give the date these room nights are on the books")
        night = parser.day(parsed.night, "night", required="choose the night")
        if parsed.room_type not in stored.terms.room_types:
            errors.append(FieldError("room_type", "choose one of the block's room types"))
        if parsed.source not in {source.value for source in CREDITED_SOURCES}:
            errors.append(FieldError("source", "choose one of the sources listed"))
        if (
            night is not None
            and night not in stored.terms.nights
            and parsed.source != PickupSource.SHOULDER.value
        ):
            errors.append(
                FieldError(
                    "night",
                    "that night is not in the block: choose Shoulder nights for the nights just before "
                    "or after it",
                )
            )
        count = parser.count(parsed.room_nights, "room_nights")
        if count is None and not parsed.room_nights:
            errors.append(FieldError("room_nights", "enter the room nights (0 removes an earlier figure)"))
        rate = parser.amount(parsed.rate, "rate")
        if not errors:
            assert night is not None
            entry = {"night": night.isoformat(), "room_type": parsed.room_type, "source": parsed.source}
            entry["room_nights"] = count
            if rate is not None:
                entry["rate"] = rate

    def save() -> date:
        assert day is not None
        data = {"as_of": day.isoformat(), "entries": [entry]}
        return _call(
            lambda: record_pickup(session, staff.principal, contract_id, data),
            lambda field, index, rest: (rest if rest in fields else "night") if field == "entries" else None,
        ).as_of

    return _finish(request, session, staff, stored, "credited", form, errors, save)


@router.post("/contracts/{contract_id:int}/actuals/notices", response_model=None)
def save_notices(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    prop = get_property(session, staff.principal, stored.record.property_id)
    parsed, errors = _validated(
        NoticesForm, {name: _str(form, name) for name in NoticesForm.model_fields}, lambda loc: str(loc[0])
    )
    parser = Parser(babel_locale(prop.locale), errors)
    data: dict[str, Any] = {}
    day: date | None = None
    if parsed is not None:
        day = parser.day(parsed.as_of, "as_of", required="give the date the notice was recorded")
        for field in ("fnb_notice_date", "cancellation_notice_date"):
            notice = parser.day(getattr(parsed, field), field)
            if notice is not None:
                data[field] = notice.isoformat()
        revenue = parser.amount(parsed.cancellation_resold_revenue, "cancellation_resold_revenue")
        if revenue is not None:
            if "cancellation_notice_date" not in data and not parsed.cancellation_notice_date:
                errors.append(
                    FieldError(
                        "cancellation_notice_date",
                        "give the cancellation notice date with the resold revenue",
                    )
                )
            data["cancellation_resold_revenue"] = revenue
        if not data and not errors:
            errors.append(FieldError("fnb_notice_date", "enter a notice date to save"))

    def save() -> date:
        assert day is not None
        body = {"as_of": day.isoformat(), **data}
        return _call(
            lambda: record_actuals(session, staff.principal, contract_id, body), lambda *_: None
        ).as_of

    return _finish(request, session, staff, stored, "notices", form, errors, save)
