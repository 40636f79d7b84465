"""The two files of an outside-block audit: the group's registration list and the hotel's reservation
export, as CSV (the delimiter sniffed, as pickup files are) or as an ``.xlsx`` workbook (its first
sheet, with the same zip-bomb guard), read into the matcher's rows (``app/audit_matching.py``).

A header row names the columns, matched case-insensitively against the aliases below (spaces and
punctuation count as ``_``). Every problem names its file, line and column, and a file with any problem
is refused whole: an audit is stored only from two clean files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.audit_matching import Registrant, Reservation
from app.engine.limits import MAX_NIGHTS, parse_iso_date
from app.services.errors import InvalidInputError, Problem
from app.services.pickup_files import Table, _column_letter, _header_key, read_csv, read_xlsx

#: Rows of a registration list: a city-wide convention's attendees fit.
MAX_REGISTRANTS = 10_000
#: Rows of a reservation export: a large hotel's reservations over a few weeks around the stay.
MAX_RESERVATIONS = 60_000
#: Bytes of a registration list and of a reservation export, as uploaded: both, with the multipart
#: framing, fit one 10 MB upload (app/api/middleware.py).
MAX_REGISTRATION_BYTES = 2_000_000
MAX_RESERVATION_BYTES = 7_500_000
#: Characters of a name, an email or a company cell.
MAX_TEXT_CHARS = 200
#: Characters of a confirmation number, a room-type code and a rate, channel or block code.
MAX_CODE_CHARS = 64

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_NAME = ("name", "full_name", "guest_name", "guest", "attendee", "attendee_name", "registrant")
_FIRST = ("first_name", "given_name", "firstname", "first", "forename")
_LAST = ("last_name", "surname", "family_name", "lastname", "last")
_ARRIVAL = ("arrival", "arrival_date", "check_in", "checkin", "check_in_date", "arrive")
_DEPARTURE = ("departure", "departure_date", "check_out", "checkout", "check_out_date", "depart")
_EMAIL = ("email", "e_mail", "email_address", "mail")
_COMPANY = ("company", "organisation", "organization", "employer", "company_name")

REGISTRATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": _NAME,
    "first_name": _FIRST,
    "last_name": _LAST,
    "arrival": _ARRIVAL,
    "departure": _DEPARTURE,
    "email": _EMAIL,
    "company": _COMPANY,
}
RESERVATION_COLUMNS: dict[str, tuple[str, ...]] = {
    **REGISTRATION_COLUMNS,
    "confirmation": (
        "confirmation",
        "confirmation_number",
        "confirmation_no",
        "conf_no",
        "reservation",
        "reservation_id",
        "reservation_number",
        "booking",
        "booking_reference",
    ),
    "room_type": ("room_type", "type", "roomtype", "room_category", "category"),
    "block_code": ("block_code", "rate_code", "channel", "group_code", "market_code", "block", "source"),
}
_LIMITS = {
    "name": MAX_TEXT_CHARS,
    "first_name": MAX_TEXT_CHARS,
    "last_name": MAX_TEXT_CHARS,
    "email": MAX_TEXT_CHARS,
    "company": MAX_TEXT_CHARS,
    "confirmation": MAX_CODE_CHARS,
    "room_type": MAX_CODE_CHARS,
    "block_code": MAX_CODE_CHARS,
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class AuditFile:
    """What was uploaded as one of the two files: its form field, name as sent, and bytes."""

    field: str  # "registrations" or "reservations"
    filename: str
    data: bytes


def _table(upload: AuditFile, max_rows: int, max_bytes: int) -> Table:
    if len(upload.data) > max_bytes:
        raise InvalidInputError(
            f"the {upload.field} file is too large",
            [Problem(upload.field, f"the file is larger than {max_bytes:,} bytes")],
        )
    if not upload.data.strip():
        raise InvalidInputError(
            f"the {upload.field} file is empty", [Problem(upload.field, "the file is empty")]
        )
    named = upload.filename.lower().endswith(".xlsx")
    try:
        if named or upload.data.startswith(b"PK\x03\x04"):
            return read_xlsx(upload.data, max_rows, "file")
        try:
            text = upload.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Spreadsheet exports on Windows are often CP1252; every byte decodes.
            text = upload.data.decode("cp1252", errors="replace")
        return read_csv(text, max_rows, "file")
    except InvalidInputError as error:
        raise InvalidInputError(
            f"the {upload.field} file cannot be read: {error.detail}",
            [
                Problem(
                    upload.field if problem.field in ("", "file") else f"{upload.field}.{problem.field}",
                    problem.message,
                    problem.line,
                )
                for problem in error.problems
            ],
        ) from None


def _columns(upload: AuditFile, table: Table, aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [_header_key(cell) for cell in table.header]
    columns: dict[str, int] = {}
    for name, accepted in aliases.items():
        for index, key in enumerate(keys):
            if key in accepted and name not in columns and index not in columns.values():
                columns[name] = index
    missing = []
    if "name" not in columns and "last_name" not in columns:
        missing.append(("name", "no column for the name (name, or first_name and last_name)"))
    for name in ("arrival", "departure"):
        if name not in columns:
            missing.append((name, f"no column for {name} (accepted: {', '.join(aliases[name])})"))
    if missing:
        raise InvalidInputError(
            f"the {upload.field} file lacks required columns",
            [Problem(f"{upload.field}.{name}", message, 1) for name, message in missing],
        )
    return columns


def _rows(
    upload: AuditFile, table: Table, aliases: dict[str, tuple[str, ...]], build: Callable[..., Any]
) -> list[Any]:
    columns = _columns(upload, table, aliases)
    labels = {
        name: f"{_column_letter(index)} ({table.header[index].strip()})" for name, index in columns.items()
    }
    problems: list[Problem] = []
    rows = []

    def problem(name: str, message: str, line: int) -> None:
        problems.append(
            Problem(f"{upload.field}.{name}", f"column {labels.get(name, name)}: {message}", line)
        )

    for line, cells in table.rows:
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: cells[index].strip() if index < len(cells) else "" for name, index in columns.items()}
        bad = False
        for name, value in values.items():
            limit = _LIMITS.get(name)
            if limit is not None and len(value) > limit:
                problem(name, f"longer than {limit} characters", line)
                bad = True
            elif _CONTROL.search(value):
                problem(name, "holds a control character", line)
                bad = True
        name = values.get("name") or " ".join(
            part for part in (values.get("first_name", ""), values.get("last_name", "")) if part
        )
        if not name:
            problem("name" if "name" in columns else "last_name", "empty: give the guest's name", line)
            bad = True
        dates: dict[str, date] = {}
        for key in ("arrival", "departure"):
            text = values.get(key, "")
            try:
                dates[key] = parse_iso_date(text)
            except ValueError:
                problem(key, f"{text!r} is not a date (YYYY-MM-DD)" if text else "empty: give the date", line)
                bad = True
        if len(dates) == 2:
            nights = (dates["departure"] - dates["arrival"]).days
            if nights <= 0:
                problem("departure", "departure must be after arrival", line)
                bad = True
            elif nights > MAX_NIGHTS:
                problem("departure", f"a stay of more than {MAX_NIGHTS} nights", line)
                bad = True
        if not bad:
            optional = {
                key: values.get(key, "") for key in aliases if key not in ("name", "first_name", "last_name")
            }
            optional.pop("arrival")
            optional.pop("departure")
            rows.append(
                build(
                    line=line, name=name, arrival=dates["arrival"], departure=dates["departure"], **optional
                )
            )
        if len(problems) >= 100:
            break
    if problems:
        raise InvalidInputError(
            f"the {upload.field} file has rows that cannot be read; nothing was saved", problems
        )
    if not rows:
        raise InvalidInputError(
            f"the {upload.field} file has no rows",
            [Problem(upload.field, "the file holds a header and no rows", 1)],
        )
    return rows


def read_registrations(upload: AuditFile) -> list[Registrant]:
    """The registration list: name (or first and last name), arrival, departure; email and company
    if given."""
    table = _table(upload, MAX_REGISTRANTS, MAX_REGISTRATION_BYTES)
    return _rows(upload, table, REGISTRATION_COLUMNS, Registrant)


def read_reservations(upload: AuditFile) -> list[Reservation]:
    """The hotel's export: as the registration list, with a confirmation number, room type and rate,
    channel or block code if given."""
    table = _table(upload, MAX_RESERVATIONS, MAX_RESERVATION_BYTES)
    return _rows(upload, table, RESERVATION_COLUMNS, Reservation)
