"""Pickup entry (``/contracts/{id}/pickup``): a nights × room types grid of in-block rooms on the books,
and a file upload (CSV or .xlsx) that is previewed and saved only when the user confirms. A file with any
bad row lists its problems (row, column, reason) and offers no save. The file travels back with each step
in a hidden field (base64, bounded by the upload limit), so correcting the report date or the date order
does not ask for it again: nothing is kept on the server between requests, and the confirmed file is
checked again before it is saved.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUploadFile

from app.api.deps import SessionDep
from app.engine.contract import PickupSource
from app.engine.limits import parse_iso_date
from app.services.actuals import PickupReport, actuals_as_of, record_pickup
from app.services.assessments import hotel_today
from app.services.contracts import StoredContract, load_contract
from app.services.errors import InvalidInputError, MalformedInputError, Problem, ServiceError
from app.services.pickup_files import (
    DATE_ORDER_LABELS,
    MAX_FILE_BYTES,
    DateOrder,
    PickupFileError,
    locale_date_order,
    parse_pickup_csv,
    parse_pickup_xlsx,
)
from app.services.properties import get_property
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.templating import page_context, templates
from app.web.views import FieldError, Formats, parse_day

router = APIRouter(include_in_schema=False)

MAX_ROOMS = 100_000


@dataclass(frozen=True, slots=True)
class CellInput:
    name: str
    label: str
    value: str
    error: str


@dataclass(frozen=True, slots=True)
class NightInputs:
    night: str
    cells: tuple[CellInput, ...]


@dataclass(frozen=True, slots=True)
class PreviewRow:
    night: str
    room_type: str
    source: str
    room_nights: str
    rate: str


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class CsvPreview:
    as_of: str
    rows: tuple[PreviewRow, ...]
    rejected: tuple[RejectedRow, ...]
    problems: int = 0  # all of them; ``rejected`` lists the first MAX_LISTED_PROBLEMS


@dataclass(frozen=True, slots=True)
class Kept:
    """The file of the last step, carried in the page so the user need not choose it again."""

    name: str
    data: str  # base64
    size: str  # bytes, formatted


@dataclass(frozen=True, slots=True)
class UploadState:
    kept: Kept | None = None
    date_order: str = ""
    ask_order: bool = False
    suggested_order: str = ""
    previewed: str = ""


def cell_name(night: date, room_type: str) -> str:
    return f"cell:{night.isoformat()}:{room_type}"


async def read_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def _in_block(session: Session, stored: StoredContract, day: date) -> tuple[dict[tuple[date, str], int], int]:
    """In-block rooms on the books per cell as of ``day``, and the room nights from other sources."""
    actuals = actuals_as_of(session, stored, day)
    cells: dict[tuple[date, str], int] = defaultdict(int)
    others = 0
    for entry in actuals.pickup:
        if entry.source is PickupSource.IN_BLOCK:
            cells[(entry.night, entry.room_type)] += entry.room_nights
        else:
            others += entry.room_nights
    return cells, others


def _grid(
    stored: StoredContract, fmt: Formats, values: dict[str, str], errors: dict[str, str]
) -> tuple[NightInputs, ...]:
    terms = stored.terms
    in_block = {(cell.night, cell.room_type) for cell in terms.block}
    return tuple(
        NightInputs(
            fmt.day(night),
            tuple(
                CellInput(
                    name := cell_name(night, room_type),
                    f"{room_type}, night of {fmt.day(night)}",
                    values.get(name, ""),
                    errors.get(name, ""),
                )
                if (night, room_type) in in_block
                else CellInput("", "", "", "")
                for room_type in terms.room_types
            ),
        )
        for night in terms.nights
    )


def _page(
    request: Request,
    session: Session,
    staff: Staff,
    stored: StoredContract,
    *,
    as_of: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    csv_as_of: str = "",
    csv_errors: list[FieldError] | None = None,
    preview: CsvPreview | None = None,
    upload: UploadState | None = None,
    status: int = 200,
) -> Response:
    record, terms = stored.record, stored.terms
    prop = get_property(session, staff.principal, record.property_id)
    fmt = Formats.of(prop.locale)
    errors = errors or {}
    others = 0
    if values is None:
        day = parse_iso_date(as_of)
        cells, others = _in_block(session, stored, day)
        values = {cell_name(night, room_type): str(count) for (night, room_type), count in cells.items()}
        values |= {
            cell_name(cell.night, cell.room_type): values.get(cell_name(cell.night, cell.room_type), "0")
            for cell in terms.block
        }
    context = page_context(
        title=f"Enter pickup · {record.name or terms.group.name}",
        staff=staff,
        locale=prop.locale,
        contract_id=record.id,
        contract_name=record.name or terms.group.name,
        reference=record.reference,
        room_types=terms.room_types,
        grid=_grid(stored, fmt, values, errors),
        other_sources=fmt.number(others) if others else "",
        as_of=as_of,
        errors=errors,
        error_count=len(errors),
        csv_as_of=csv_as_of,
        csv_errors=csv_errors or [],
        preview=preview,
        upload=upload or UploadState(),
        date_orders=[(order.value, label) for order, label in DATE_ORDER_LABELS.items()],
    )
    return templates.TemplateResponse(request, "pickup.html", context, status_code=status)


@router.get("/contracts/{contract_id:int}/pickup", response_model=None)
def pickup_form(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    contract_id: int,
    as_of: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    prop = get_property(session, staff.principal, stored.record.property_id)
    errors: list[FieldError] = []
    day = parse_day(as_of, "as_of", errors) or hotel_today(prop.timezone)
    return _page(
        request,
        session,
        staff,
        stored,
        as_of=day.isoformat(),
        errors={error.field: error.message for error in errors},
        csv_as_of=hotel_today(prop.timezone).isoformat(),
        status=422 if errors else 200,
    )


@router.post("/contracts/{contract_id:int}/pickup", response_model=None)
def save_pickup_grid(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    terms = stored.terms
    values = {key: value for key, value in form.items() if isinstance(value, str) and key.startswith("cell:")}
    raw_as_of = str(form.get("as_of") or "")
    problems: list[FieldError] = []
    day = parse_day(raw_as_of, "as_of", problems)
    if day is None and not problems:
        problems.append(FieldError("as_of", "give the date these counts are on the books"))
    entries: list[dict[str, Any]] = []
    names: list[str] = []
    for cell in terms.block:
        name = cell_name(cell.night, cell.room_type)
        text = values.get(name, "").strip()
        if not text.isdigit() or int(text) > MAX_ROOMS:
            problems.append(FieldError(name, "enter a whole number of rooms, 0 or more"))
            continue
        entries.append(
            {
                "night": cell.night.isoformat(),
                "room_type": cell.room_type,
                "room_nights": int(text),
                "source": PickupSource.IN_BLOCK.value,
            }
        )
        names.append(name)
    if not problems:
        assert day is not None
        try:
            saved = record_pickup(
                session, staff.principal, contract_id, {"as_of": day.isoformat(), "entries": entries}
            )
        except InvalidInputError as error:
            session.rollback()
            for problem in error.problems:
                index = _entry_index(problem.field)
                field = names[index] if index is not None and index < len(names) else "as_of"
                problems.append(FieldError(field, problem.message))
        else:
            session.commit()
            return RedirectResponse(
                f"/contracts/{contract_id}?as_of={saved.as_of.isoformat()}&saved={saved.rows}",
                status_code=303,
            )
    return _page(
        request,
        session,
        staff,
        stored,
        as_of=raw_as_of,
        values=values,
        errors={problem.field: problem.message for problem in problems},
        status=422,
    )


def _entry_index(field: str) -> int | None:
    if field.startswith("entries[") and "]" in field:
        number = field[len("entries[") : field.index("]")]
        return int(number) if number.isdigit() else None
    return None


# --- files (CSV or .xlsx) -------------------------------------------------------------------------------

MAX_LISTED_PROBLEMS = 100
KEPT_MAX_CHARS = (MAX_FILE_BYTES + 2) // 3 * 4
"""A kept file travels back base64-encoded: at most this many characters for the largest file."""


async def read_upload_form(request: Request) -> AsyncIterator[FormData]:
    # Starlette's default 1 MB cap on a form field would refuse a kept file the size of the upload limit.
    form = await request.form(max_files=1, max_fields=20, max_part_size=KEPT_MAX_CHARS + 1024)
    try:
        yield form
    finally:
        await form.close()


UploadFormDep = Annotated[FormData, Depends(read_upload_form)]


def _text_field(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _file_bytes(form: FormData) -> tuple[bytes, str, str]:
    """The file to read (a new upload, else the one kept from the last step, else pasted CSV text), its
    name, and what is wrong with it."""
    upload = form.get("file")
    if isinstance(upload, StarletteUploadFile) and upload.filename:
        data = upload.file.read(MAX_FILE_BYTES + 1)
        name = upload.filename[:200]
    elif kept := _text_field(form, "kept_file", KEPT_MAX_CHARS + 1):
        try:
            data = base64.b64decode(kept, validate=True)
        except (binascii.Error, ValueError):
            return b"", "", "the kept file was damaged in transit: choose the file again"
        name = _text_field(form, "kept_name", 200) or "the file"
    else:
        data = _text_field(form, "csv_text", MAX_FILE_BYTES + 1).encode()
        name = "pasted CSV" if data else ""
    if len(data) > MAX_FILE_BYTES:
        return b"", name, f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB"
    return data, name, ""


def _is_workbook(data: bytes, name: str) -> bool:
    return name.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04")


def _preview_view(report: PickupReport, fmt: Formats) -> CsvPreview:
    return CsvPreview(
        as_of=fmt.day(report.as_of),
        rows=tuple(
            PreviewRow(
                fmt.day(entry.night),
                entry.room_type,
                entry.source.value.replace("_", " "),
                fmt.number(entry.room_nights),
                fmt.money(entry.rate) if entry.rate is not None else "block rate",
            )
            for entry in report.entries
        ),
        rejected=(),
    )


def _rejected(error: PickupFileError) -> tuple[RejectedRow, ...]:
    return tuple(
        RejectedRow(
            problem.line or 0,
            error.columns.get(problem.field, "—" if problem.field in {"", "row"} else problem.field),
            problem.message,
        )
        for problem in sorted(error.problems, key=lambda problem: problem.line or 0)[:MAX_LISTED_PROBLEMS]
    )


def _fingerprint(data: bytes, as_of: str, order: str) -> str:
    """What the preview showed: a confirmation saves only if file, date and order are unchanged."""
    return hashlib.sha256(b"\0".join((data, as_of.encode(), order.encode()))).hexdigest()


@router.post("/contracts/{contract_id:int}/pickup/csv", response_model=None)
def pickup_file_upload(
    request: Request,
    form: UploadFormDep,  # before the CSRF check, which reads the form: the parse with our limits is kept
    session: SessionDep,
    staff: CheckedStaffDep,
    contract_id: int,
) -> Response:
    """Preview an uploaded file (CSV or .xlsx, or the file kept from the last step); with ``confirm=yes``
    and the file, date and date order the preview showed, save it. A file with any bad row saves nothing:
    its problems are listed and no save is offered."""
    stored = load_contract(session, staff.principal, contract_id)
    prop = get_property(session, staff.principal, stored.record.property_id)
    fmt = Formats.of(prop.locale)
    data, name, upload_error = _file_bytes(form)
    raw_as_of = _text_field(form, "as_of", 20).strip()
    raw_order = _text_field(form, "date_order", 20)
    order = DateOrder(raw_order) if raw_order in DateOrder.__members__.values() else None
    errors: list[FieldError] = []
    day = parse_day(raw_as_of, "csv_as_of", errors)
    if upload_error:
        errors.append(FieldError("file", upload_error))
    elif not data.strip():
        errors.append(FieldError("file", "choose a CSV or Excel (.xlsx) file to upload"))
    report: PickupReport | None = None
    rejected: tuple[RejectedRow, ...] = ()
    problem_count = 0
    ambiguous = False
    if not errors:
        try:
            if _is_workbook(data, name):
                report = parse_pickup_xlsx(stored, data, day, local_dates=True, date_order=order)
            else:
                try:
                    text = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise MalformedInputError(
                        "the file is neither UTF-8 text nor an Excel workbook: "
                        "export it as CSV (UTF-8) or .xlsx"
                    ) from None
                report = parse_pickup_csv(stored, text, day, local_dates=True, date_order=order)
        except PickupFileError as error:
            ambiguous = error.ambiguous_dates
            if ambiguous:
                errors.append(FieldError("date_order", error.problems[0].message))
            elif all(problem.line is not None and problem.line > 1 for problem in error.problems):
                rejected, problem_count = _rejected(error), len(error.problems)
            else:
                errors += [
                    FieldError("csv_as_of", problem.message)
                    if problem.field == "as_of" and problem.line == 1  # no report date at all
                    else FieldError("file", _file_message(problem, error))
                    for problem in error.problems
                ]
        except ServiceError as error:
            errors += [FieldError("file", _file_message(p, None)) for p in error.problems] or [
                FieldError("file", error.detail)
            ]
    kept = (
        Kept(name, base64.b64encode(data).decode(), fmt.number(len(data)))
        if data and not upload_error
        else None
    )
    previewed = _fingerprint(data, raw_as_of, order.value if order else "")
    if (
        report is not None
        and _text_field(form, "confirm", 10) == "yes"
        and form.get("previewed") == previewed
    ):
        saved = record_pickup(session, staff.principal, contract_id, _report_body(report))
        session.commit()
        return RedirectResponse(
            f"/contracts/{contract_id}?as_of={saved.as_of.isoformat()}&saved={saved.rows}", status_code=303
        )
    preview = None
    if report is not None:
        preview = _preview_view(report, fmt)
    elif rejected:
        preview = CsvPreview(as_of="", rows=(), rejected=rejected, problems=problem_count)
    return _page(
        request,
        session,
        staff,
        stored,
        as_of=hotel_today(prop.timezone).isoformat(),
        csv_as_of=raw_as_of,
        csv_errors=errors,
        preview=preview,
        upload=UploadState(
            kept=kept,
            date_order=order.value if order else "",
            ask_order=ambiguous or order is not None,
            suggested_order=locale_date_order(fmt.locale).value,
            previewed=previewed if report is not None else "",
        ),
        status=422 if errors or rejected else 200,
    )


def _file_message(problem: Problem, error: PickupFileError | None) -> str:
    column = error.columns.get(problem.field, "") if error else ""
    where = ", ".join(
        part
        for part in (f"row {problem.line}" if problem.line else "", f"column {column}" if column else "")
        if part
    )
    return f"{where}: {problem.message}" if where else problem.message


def _report_body(report: PickupReport) -> dict[str, Any]:
    return {
        "as_of": report.as_of.isoformat(),
        "entries": [
            {
                "night": entry.night.isoformat(),
                "room_type": entry.room_type,
                "room_nights": entry.room_nights,
                "source": entry.source.value,
                **({"rate": str(entry.rate.amount)} if entry.rate is not None else {}),
            }
            for entry in report.entries
        ],
    }
