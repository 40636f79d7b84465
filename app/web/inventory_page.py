"""The hotel's inventory per night in the staff pages (issue 17): a grid of nights for a date range,
an upload of a CSV or .xlsx file, and who entered what. The same service as the API
(``app.services.hotel_inventory``) and the same checks; a refused grid or file comes back as the page
with status 422, the input kept and each message beside its night; a success redirects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.api.deps import SessionDep
from app.engine.limits import parse_iso_date
from app.persistence import repositories as repo
from app.persistence.records import HotelInventoryRecord
from app.services import hotel_inventory as service
from app.services import pickup_files
from app.services.assessments import hotel_today
from app.services.errors import InvalidInputError, Problem
from app.services.properties import get_property
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.templating import page_context, templates
from app.web.views import Formats

router = APIRouter(include_in_schema=False)

MAX_PAGE_NIGHTS = 62
"""The most nights the grid shows at once (two months); the API reads up to a year."""
DEFAULT_PAGE_NIGHTS = 14
MAX_HISTORY_ROWS = 200
"""The latest reports the "who entered what" table lists."""
FIELDS = ("capacity", "out_of_order", "rooms_sold", "unsold_rooms")
FIELD_LABELS = {
    "capacity": "Rooms in the hotel",
    "out_of_order": "Out of order",
    "rooms_sold": "Rooms sold",
    "unsold_rooms": "Unsold rooms",
}
_MAX_FIELD_CHARS = 12


@dataclass(frozen=True, slots=True)
class NightRow:
    night: str  # ISO, for field names
    day: str  # as the hotel's locale writes it
    values: dict[str, str]
    current: str  # the figures in force, in words
    reported: str  # "as of … by …"
    error: str


@dataclass(frozen=True, slots=True)
class HistoryRow:
    when: str
    who: str
    night: str
    as_of: str
    figures: str


@dataclass(frozen=True, slots=True)
class InventoryPage:
    property_id: int
    property_name: str
    night_from: str
    night_to: str
    as_of: str
    range_error: str
    rows: tuple[NightRow, ...]
    history: tuple[HistoryRow, ...]
    history_total: int
    can_write: bool
    errors: dict[str, str]
    file_problems: tuple[Problem, ...]
    saved: str
    max_nights: int
    #: The last file's dates read both day first and month first: the upload form asks which, with the
    #: order the hotel locale's short date uses chosen (``date_order`` when the user chose one).
    ambiguous_dates: bool = False
    date_order: str = ""
    date_orders: tuple[tuple[str, str], ...] = ()


def _who(label: str, names: dict[int, str]) -> str:
    if label.startswith("user:") and label[5:].isdigit():
        return names.get(int(label[5:]), "a former user")
    if label.startswith("key:"):
        return "an API key"
    return "not recorded"


def _figures(row: HotelInventoryRecord, fmt: Formats) -> str:
    unsold = f"{fmt.number(row.unsold_rooms)} unsold"
    if row.capacity is None:
        return unsold
    return (
        f"{unsold} ({fmt.number(row.capacity)} rooms, {fmt.number(row.out_of_order or 0)} out of order, "
        f"{fmt.number(row.rooms_sold or 0)} sold)"
    )


def _range(today: date, night_from: str, night_to: str) -> tuple[date, date, str]:
    """The nights the page shows, and why the asked range was refused (then the default range)."""
    default = (today, today + timedelta(days=DEFAULT_PAGE_NIGHTS - 1))
    try:
        first = parse_iso_date(night_from) if night_from else default[0]
        last = parse_iso_date(night_to) if night_to else first + timedelta(days=DEFAULT_PAGE_NIGHTS - 1)
    except ValueError:
        return *default, "Give the nights as dates."
    if last < first:
        return *default, "The last night is before the first."
    if (last - first).days + 1 > MAX_PAGE_NIGHTS:
        return *default, f"Show at most {MAX_PAGE_NIGHTS} nights at once."
    return first, last, ""


def build_page(
    session: Session,
    staff: Staff,
    property_id: int,
    night_from: str = "",
    night_to: str = "",
    *,
    as_of: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    file_problems: tuple[Problem, ...] = (),
    saved: str = "",
    ambiguous_dates: bool = False,
    date_order: str = "",
) -> tuple[InventoryPage, str]:
    prop = get_property(session, staff.principal, property_id)
    fmt = Formats.of(prop.locale)
    today = hotel_today(prop.timezone)
    first, last, range_error = _range(today, night_from, night_to)
    # The latest report of each night, whatever its date (a report may be dated ahead of today).
    latest = service.list_nights(session, staff.principal, property_id, first, last, date.max)
    current = {row.night: row for row in latest}
    history = list(service.night_history(session, staff.principal, property_id, first, last))
    labels = [row.recorded_by for row in history]
    names = repo.staff_names(
        session, (int(label[5:]) for label in labels if label.startswith("user:") and label[5:].isdigit())
    )
    values = values or {}
    errors = errors or {}
    rows = []
    night = first
    while night <= last:
        key = night.isoformat()
        row = current.get(night)
        rows.append(
            NightRow(
                key,
                fmt.day(night),
                {field: values.get(f"{field}-{key}", "") for field in FIELDS},
                "no report" if row is None else _figures(row, fmt),
                "" if row is None else f"as of {fmt.day(row.as_of)}, by {_who(row.recorded_by, names)}",
                errors.get(key, ""),
            )
        )
        night += timedelta(days=1)
    try:
        zone: tzinfo = ZoneInfo(prop.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = UTC
    newest = sorted(history, key=lambda row: (row.recorded_at, row.id or 0), reverse=True)[:MAX_HISTORY_ROWS]
    history_rows = []
    for item in newest:
        local = item.recorded_at.astimezone(zone)
        history_rows.append(
            HistoryRow(
                f"{fmt.day(local.date())} {local.strftime('%H:%M')}",
                _who(item.recorded_by, names),
                fmt.day(item.night),
                fmt.day(item.as_of),
                _figures(item, fmt),
            )
        )
    page = InventoryPage(
        property_id=property_id,
        property_name=prop.name,
        night_from=first.isoformat(),
        night_to=last.isoformat(),
        as_of=as_of or today.isoformat(),
        range_error=range_error,
        rows=tuple(rows),
        history=tuple(history_rows),
        history_total=len(history),
        can_write=staff.principal.can_write,
        errors=errors,
        file_problems=file_problems,
        saved=saved,
        max_nights=MAX_PAGE_NIGHTS,
        ambiguous_dates=ambiguous_dates,
        date_order=date_order or pickup_files.locale_date_order(fmt.locale).value,
        date_orders=tuple((order.value, label) for order, label in pickup_files.DATE_ORDER_LABELS.items()),
    )
    return page, prop.locale


def _render(request: Request, staff: Staff, page: InventoryPage, locale: str, status: int = 200) -> Response:
    context = page_context(
        title=f"Inventory: {page.property_name}", staff=staff, page=page, labels=FIELD_LABELS, locale=locale
    )
    return templates.TemplateResponse(request, "inventory.html", context, status_code=status)


@router.get("/properties/{property_id:int}/inventory", response_class=HTMLResponse)
def inventory_page(
    property_id: int,
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    night_from: str = "",
    night_to: str = "",
    saved: str = "",
) -> Response:
    page, locale = build_page(session, staff, property_id, night_from[:20], night_to[:20], saved=saved[:10])
    return _render(request, staff, page, locale, 422 if page.range_error else 200)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip()[: _MAX_FIELD_CHARS * 2] if isinstance(value, str) else ""


def _saved_url(property_id: int, first: str, last: str, nights: int) -> str:
    return f"/properties/{property_id}/inventory?night_from={first}&night_to={last}&saved={nights}"


@router.post("/properties/{property_id:int}/inventory", response_class=HTMLResponse)
async def save_inventory_grid(
    property_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep
) -> Response:
    form = await request.form()
    first, last = _text(form, "night_from"), _text(form, "night_to")
    as_of = _text(form, "as_of")
    values = {
        name: _text(form, name) for name in form if isinstance(name, str) and name.split("-", 1)[0] in FIELDS
    }
    nights: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    by_night: dict[str, dict[str, str]] = {}
    for name, text in values.items():
        field, _, night = name.partition("-")
        if text:
            by_night.setdefault(night, {})[field] = text
    for night, fields in sorted(by_night.items()):
        item: dict[str, Any] = {"night": night}
        for field, text in fields.items():
            digits = (
                text.replace(" ", "")
                .replace("\u202f", "")
                .replace("\xa0", "")
                .replace(",", "")
                .replace(".", "")
            )
            if not digits.isdigit() or len(text) > _MAX_FIELD_CHARS:
                errors[night] = f"{FIELD_LABELS[field]}: give a whole number of rooms"
                break
            item[field] = int(digits)
        nights.append(item)
    if not nights and not errors:
        errors["form"] = "Nothing to save: fill in at least one night."
    if not errors:
        try:
            saved = service.record_inventory(
                session, staff.principal, property_id, {"as_of": as_of, "nights": nights}
            )
        except InvalidInputError as error:
            session.rollback()
            for problem in error.problems:
                index = problem.field.removeprefix("nights[").split("]")[0]
                if problem.field.startswith("nights[") and index.isdigit() and int(index) < len(nights):
                    errors[str(nights[int(index)]["night"])] = _words(problem.message)
                elif problem.field == "as_of":
                    errors["as_of"] = _words(problem.message)
                else:
                    errors["form"] = _words(problem.message)
        else:
            session.commit()
            return RedirectResponse(_saved_url(property_id, first, last, saved.nights), status_code=303)
    page, locale = build_page(
        session, staff, property_id, first, last, as_of=as_of, values=values, errors=errors
    )
    return _render(request, staff, page, locale, 422)


@router.post("/properties/{property_id:int}/inventory/upload", response_class=HTMLResponse)
async def upload_inventory(
    property_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep
) -> Response:
    form = await request.form()
    first, last = _text(form, "night_from"), _text(form, "night_to")
    as_of_text = _text(form, "as_of")
    raw_order = _text(form, "date_order")
    order = (
        pickup_files.DateOrder(raw_order)
        if raw_order in pickup_files.DateOrder.__members__.values()
        else None
    )
    ambiguous = False
    upload = form.get("file")
    problems: list[Problem] = []
    raw = await upload.read() if isinstance(upload, UploadFile) else b""
    await form.close()
    as_of: date | None = None
    if as_of_text:
        try:
            as_of = parse_iso_date(as_of_text)
        except ValueError:
            problems.append(Problem("as_of", "give the report date as a date"))
    if not raw.strip():
        problems.append(Problem("file", "choose a CSV or Excel file"))
    elif len(raw) > pickup_files.MAX_FILE_BYTES:
        problems.append(Problem("file", f"the file is larger than {pickup_files.MAX_FILE_BYTES:,} bytes"))
    if not problems:
        is_workbook = raw.startswith(b"PK\x03\x04")
        kind, data = ("xlsx", raw) if is_workbook else ("csv", _csv_text(raw))
        try:
            saved = service.record_inventory_file(
                session, staff.principal, property_id, kind, data, as_of, local_dates=True, date_order=order
            )
        except InvalidInputError as error:
            session.rollback()
            ambiguous = isinstance(error, pickup_files.PickupFileError) and error.ambiguous_dates
            problems = [Problem(p.field, _words(p.message), p.line) for p in error.problems]
        else:
            session.commit()
            return RedirectResponse(_saved_url(property_id, first, last, saved.nights), status_code=303)
    page, locale = build_page(
        session,
        staff,
        property_id,
        first,
        last,
        file_problems=tuple(problems[:50]),
        ambiguous_dates=ambiguous,
        date_order=order.value if order else "",
    )
    return _render(request, staff, page, locale, 422)


def _words(message: str) -> str:
    """A service message with its field names as words (``rooms_sold`` → "rooms sold")."""
    return message.replace("_", " ")


def _csv_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")
