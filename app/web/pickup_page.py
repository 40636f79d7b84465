"""Pickup entry (``/contracts/{id}/pickup``): a nights × room types grid of in-block rooms on the books,
and a CSV upload that is previewed (rows to save, rows rejected with their line and reason) and saved only
when the user confirms. The CSV travels back with the confirmation in a hidden field: nothing is kept on
the server between the two requests, and the confirmed text is checked again before it is saved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.api.deps import SessionDep
from app.engine.contract import PickupSource
from app.engine.limits import parse_iso_date
from app.services.actuals import PickupReport, actuals_as_of, parse_pickup_csv, record_pickup
from app.services.assessments import hotel_today
from app.services.contracts import StoredContract, load_contract
from app.services.errors import InvalidInputError, ServiceError
from app.services.properties import get_property
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.templating import page_context, templates
from app.web.views import FieldError, Formats, parse_day

router = APIRouter(include_in_schema=False)

MAX_CSV_BYTES = 2_000_000
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
    text: str


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


# --- CSV -----------------------------------------------------------------------------------------------


def preview_csv(
    stored: StoredContract, text: str, as_of: date | None
) -> tuple[PickupReport | None, list[RejectedRow]]:
    """The rows of ``text`` that can be saved, as a report, and those that cannot, with line and reason.

    Rows the service rejects (each problem names its line) are left out and the rest checked again;
    problems without a data line (the header, a missing date) raise: no row can be saved then."""
    rejected: list[RejectedRow] = []
    lines = text.splitlines(keepends=True)
    dropped: set[int] = set()
    for _ in range(5):
        kept = "".join(line for number, line in enumerate(lines, start=1) if number not in dropped)
        if not any(
            line.strip() for number, line in enumerate(lines, start=1) if number > 1 and number not in dropped
        ):
            return None, rejected
        try:
            return parse_pickup_csv(stored, kept, as_of), rejected
        except InvalidInputError as error:
            located = [problem for problem in error.problems if problem.line is not None and problem.line > 1]
            if len(located) != len(error.problems):
                raise
            # The service numbers the rows of the text it was given: map them back to the upload's lines.
            original = [number for number in range(1, len(lines) + 1) if number not in dropped]
            for problem in located:
                assert problem.line is not None
                line = original[problem.line - 1] if problem.line - 1 < len(original) else problem.line
                rejected.append(RejectedRow(line, problem.field, problem.message))
                dropped.add(line)
    raise InvalidInputError("the CSV could not be read", [])


def _preview_view(
    report: PickupReport | None, rejected: list[RejectedRow], text: str, fmt: Formats
) -> CsvPreview:
    return CsvPreview(
        as_of=fmt.day(report.as_of) if report else "",
        rows=tuple(
            PreviewRow(
                fmt.day(entry.night),
                entry.room_type,
                entry.source.value.replace("_", " "),
                fmt.number(entry.room_nights),
                fmt.money(entry.rate) if entry.rate is not None else "block rate",
            )
            for entry in (report.entries if report else ())
        ),
        rejected=tuple(sorted(rejected, key=lambda row: row.line)),
        text=text,
    )


@router.post("/contracts/{contract_id:int}/pickup/csv", response_model=None)
def pickup_csv_upload(
    request: Request,
    session: SessionDep,
    staff: CheckedStaffDep,
    contract_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    csv_text: Annotated[str, Form(max_length=MAX_CSV_BYTES)] = "",
    as_of: Annotated[str, Form(max_length=20)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Preview an uploaded CSV (or the CSV text posted back); with ``confirm=yes``, save its good rows."""
    text = csv_text
    upload_error = ""
    if file is not None and file.filename:
        data = file.file.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            upload_error = f"the file is larger than {MAX_CSV_BYTES // 1_000_000} MB"
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                upload_error = "the file is not UTF-8 text: export it as CSV (UTF-8)"
    return _csv_step(request, session, staff, contract_id, text, as_of, confirm == "yes", upload_error)


def _csv_step(
    request: Request,
    session: Session,
    staff: Staff,
    contract_id: int,
    text: str,
    raw_as_of: str,
    confirm: bool,
    upload_error: str,
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    prop = get_property(session, staff.principal, stored.record.property_id)
    fmt = Formats.of(prop.locale)
    today = hotel_today(prop.timezone).isoformat()
    errors: list[FieldError] = []
    day = parse_day(raw_as_of, "csv_as_of", errors)
    if upload_error:
        errors.append(FieldError("file", upload_error))
    elif not text.strip():
        errors.append(FieldError("file", "choose a CSV file to upload"))
    report: PickupReport | None = None
    rejected: list[RejectedRow] = []
    if not errors:
        try:
            report, rejected = preview_csv(stored, text, day)
        except ServiceError as error:
            errors += [
                FieldError(
                    "file", f"line {p.line}: {p.field}: {p.message}" if p.line else f"{p.field}: {p.message}"
                )
                for p in error.problems
            ] or [FieldError("file", error.detail)]
    if not errors and report is not None and confirm:
        entries = [
            {
                "night": entry.night.isoformat(),
                "room_type": entry.room_type,
                "room_nights": entry.room_nights,
                "source": entry.source.value,
                **({"rate": str(entry.rate.amount)} if entry.rate is not None else {}),
            }
            for entry in report.entries
        ]
        saved = record_pickup(
            session, staff.principal, contract_id, {"as_of": report.as_of.isoformat(), "entries": entries}
        )
        session.commit()
        return RedirectResponse(
            f"/contracts/{contract_id}?as_of={saved.as_of.isoformat()}&saved={saved.rows}", status_code=303
        )
    if not errors and report is None:
        errors.append(FieldError("file", "no row of the file can be saved"))
    preview = (
        None if errors and report is None and not rejected else _preview_view(report, rejected, text, fmt)
    )
    return _page(
        request,
        session,
        staff,
        stored,
        as_of=today,
        csv_as_of=raw_as_of,
        csv_errors=errors,
        preview=preview,
        status=422 if errors else 200,
    )
