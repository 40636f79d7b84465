"""Pickup reports as files: CSV (a PMS export, a spreadsheet saved as CSV) or an Excel workbook (.xlsx).

Both are read into the same table (a header row, then one row per night and room type) and checked the
same way: every problem names its row and column, and a file with any problem saves nothing.

Dates are ``YYYY-MM-DD`` (or a date cell, in a workbook). Where the caller allows it (the web pages),
they may also be written day/month/year or month/day/year with ``/``, ``.`` or ``-`` and a two- or
four-digit year (``06/23/2027``, ``23.06.27``). The order comes from, in turn:

1. the caller's explicit choice (:class:`DateOrder`);
2. the file itself, when a date can only be read one way (``23/06/2027`` is day first);
3. nothing else: a file whose every date reads both ways (``06/05/2027``) is refused as ambiguous, and
   the page asks the user which order it uses, suggesting the hotel locale's. The locale alone does not
   decide, because a hotel receives exports from systems set up elsewhere, and a wrong guess would move
   pickup to other nights without any error.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from babel import Locale
from babel.dates import get_date_format
from sqlmodel import Session

from app.engine.limits import MAX_PICKUP_ROWS, parse_iso_date
from app.services.actuals import (
    PickupReport,
    Saved,
    _save_pickup,
    _writable,
    parse_pickup_report,
    unknown_room_type,
)
from app.services.auth import Principal
from app.services.contracts import StoredContract
from app.services.errors import InvalidInputError, Problem
from app.services.external_codes import map_room_type

MAX_FILE_BYTES = 2_000_000
"""The largest pickup file, CSV or workbook, as uploaded."""
MAX_XLSX_UNPACKED_BYTES = 40_000_000
"""The most a workbook may unpack to, by the sizes its zip directory declares (checked before parsing)."""
MAX_XLSX_MEMBERS = 500
MAX_COLUMNS = 64
"""Columns past this are not read (a workbook's declared dimensions can be far larger than its data)."""

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_COLUMNS = {
    "night": ("night", "date", "stay_date", "stay_night", "arrival"),
    "room_type": ("room_type", "type", "roomtype", "room_category", "category"),
    "room_nights": ("room_nights", "rooms", "pickup", "picked_up", "on_the_books", "otb", "count"),
    "source": ("source",),
    "rate": ("rate", "room_rate", "group_rate"),
    "as_of": ("as_of", "report_date", "as_of_date"),
}
_REQUIRED = ("night", "room_type", "room_nights")
_DATE_COLUMNS = ("night", "as_of")
_LOCAL_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})$")


class DateOrder(StrEnum):
    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"


DATE_ORDER_LABELS = {
    DateOrder.DAY_FIRST: "Day first (23/06/2027)",
    DateOrder.MONTH_FIRST: "Month first (06/23/2027)",
}


def locale_date_order(locale: Locale) -> DateOrder:
    """The order of day and month in the locale's short date (en_US ``M/d/yy``; fr, en_GB ``dd/MM/y``)."""
    pattern = get_date_format("short", locale=locale).pattern
    return DateOrder.MONTH_FIRST if pattern.find("M") < pattern.find("d") else DateOrder.DAY_FIRST


class PickupFileError(InvalidInputError):
    """Problems with a pickup file. ``columns`` names each field's column as the file writes it
    (``"B (Type)"``); ``ambiguous_dates`` says the file's dates read both day first and month first."""

    def __init__(
        self,
        detail: str,
        problems: Iterable[Problem],
        columns: dict[str, str] | None = None,
        *,
        ambiguous_dates: bool = False,
    ) -> None:
        super().__init__(detail, tuple(problems))
        self.columns = columns or {}
        self.ambiguous_dates = ambiguous_dates


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and its data rows, each with its row (line) number, as text."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    decimal_comma: bool = False


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _too_many_rows(row: int, max_rows: int, per: str) -> InvalidInputError:
    return InvalidInputError("too many rows", [Problem("", f"at most {max_rows:,} rows per {per}", row)])


# --- reading ---------------------------------------------------------------------------------------------


def _unreadable(message: str) -> InvalidInputError:
    """A file of an accepted type whose content cannot be read: invalid input (422) naming the file, as
    a request whose form is right but whose content is wrong."""
    return InvalidInputError(message, [Problem("file", message)])


def read_csv(text: str, max_rows: int = MAX_PICKUP_ROWS, per: str = "report") -> Table:
    """The delimiter (comma, semicolon, tab or bar) is detected by :class:`csv.Sniffer`; with any but a
    comma, a rate may use a decimal comma. A file of more than ``max_rows`` rows is refused unread."""
    if not text.strip():
        raise _unreadable("the CSV file is empty")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        # Text the CSV reader cannot split is a file of the right type with bad content: 422, by line.
        raise InvalidInputError(
            "the CSV header cannot be read", [Problem("file", f"the header cannot be read: {error}", 1)]
        ) from None
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if len(rows) == max_rows:
                # Refused as soon as the count is passed, without reading the rest of the file.
                raise _too_many_rows(reader.line_num, max_rows, per)
            rows.append((len(rows) + 2, row))
    except csv.Error as error:
        raise InvalidInputError(
            "the CSV cannot be read",
            [Problem("file", f"line {reader.line_num} cannot be read: {error}", reader.line_num)],
        ) from None
    return Table(header, rows, decimal_comma=getattr(dialect, "delimiter", ",") != ",")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel keeps numbers as binary floats; repr is the shortest text that reads back the same.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def read_xlsx(data: bytes, max_rows: int = MAX_PICKUP_ROWS, per: str = "report") -> Table:
    """The first sheet of a workbook. The zip directory's declared sizes are checked before anything is
    unpacked (Python's zipfile never inflates a member past its declared size), and rows are read lazily
    up to the row limit, so a small file cannot make the server unpack gigabytes."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise _unreadable("the file is not an Excel workbook (.xlsx) and not CSV text") from None
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_XLSX_MEMBERS or unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _unreadable(
            f"the workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // 1_000_000} MB: "
            "keep only the pickup sheet, or save it as CSV"
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises KeyError, ValueError, XML errors… for a broken file
        raise _unreadable(f"the workbook cannot be read ({type(error).__name__})") from None
    try:
        if not workbook.worksheets:
            raise _unreadable("the workbook has no sheet")
        sheet: Any = workbook.worksheets[0]
        lines: Iterator[tuple[Any, ...]] = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        try:
            for number, values in enumerate(lines, start=1):
                cells = [_cell_text(value) for value in values]
                if header is None:
                    header = cells
                    continue
                if len(rows) == max_rows:
                    raise _too_many_rows(number, max_rows, per)
                rows.append((number, cells))
        except InvalidInputError:
            raise
        except Exception as error:
            raise _unreadable(f"the workbook cannot be read ({type(error).__name__})") from None
    finally:
        workbook.close()
    if header is None or not any(header):
        raise _unreadable("the first sheet of the workbook is empty")
    return Table(header, rows)


# --- dates -----------------------------------------------------------------------------------------------


def _local_date(match: re.Match[str], order: DateOrder) -> date | None:
    first, second, year = int(match.group(1)), int(match.group(3)), match.group(4)
    day, month = (first, second) if order is DateOrder.DAY_FIRST else (second, first)
    try:
        return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    except ValueError:
        return None


def _date_order(texts: list[tuple[int, str, str]], chosen: DateOrder | None) -> DateOrder | None:
    """The order the file's non-ISO dates are read in; ``None`` when they read both ways."""
    if chosen is not None:
        return chosen
    matches = [match for _, _, text in texts if (match := _LOCAL_DATE.match(text))]
    fits = {
        order: sum(_local_date(match, order) is not None for match in matches)
        for order in (DateOrder.DAY_FIRST, DateOrder.MONTH_FIRST)
    }
    if fits[DateOrder.DAY_FIRST] == fits[DateOrder.MONTH_FIRST] == len(matches):
        return None
    # The order most dates fit; the others are then reported as not dates.
    return max(fits, key=lambda order: fits[order])


def read_dates(
    records: list[tuple[int, dict[str, str]]],
    names: Iterable[str],
    labels: dict[str, str],
    *,
    local_dates: bool = False,
    date_order: DateOrder | None = None,
) -> dict[int, list[Problem]]:
    """Read the date columns ``names`` of each record (its line, its values as text) as the module's
    docstring says, rewriting each local date in place as ``YYYY-MM-DD``. Returns the problems of the
    cells that are not dates, by line; raises :class:`PickupFileError` (``ambiguous_dates``) when every
    local date reads both day first and month first and no ``date_order`` was chosen. Pickup and the
    hotel's inventory files (``app.services.hotel_inventory``) read their dates with it."""
    names = tuple(names)
    dated = [
        (line, name, values[name])
        for line, values in records
        for name in names
        if values.get(name) and not _is_iso(values[name])
    ]
    order: DateOrder | None = None
    if local_dates and dated:
        order = _date_order(dated, date_order)
        if order is None:
            line, name, text = dated[0]
            raise PickupFileError(
                "the dates read both day first and month first",
                [
                    Problem(
                        name,
                        f"{text} could be day first or month first, as every date in the file: "
                        "say which the file uses",
                        line,
                    )
                ],
                labels,
                ambiguous_dates=True,
            )
    problems: dict[int, list[Problem]] = defaultdict(list)
    by_line = dict(records)
    for line, name, text in dated:
        match = _LOCAL_DATE.match(text) if order is not None else None
        converted = _local_date(match, order) if match and order is not None else None
        if converted is None:
            problems[line].append(Problem(name, _not_a_date(text, local_dates), line))
        else:
            by_line[line][name] = converted.isoformat()
    return problems


# --- checking --------------------------------------------------------------------------------------------


def parse_pickup_table(
    stored: StoredContract,
    table: Table,
    as_of: date | None,
    *,
    local_dates: bool = False,
    date_order: DateOrder | None = None,
) -> PickupReport:
    """The pickup report a file holds; :class:`PickupFileError` naming each bad row and column."""
    keys = [_header_key(cell) for cell in table.header]
    columns: dict[str, int] = {}
    for name, aliases in _COLUMNS.items():
        for index, key in enumerate(keys):
            if key in aliases and name not in columns:
                columns[name] = index
    labels = {
        name: f"{_column_letter(index)} ({table.header[index].strip()})" for name, index in columns.items()
    }
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise PickupFileError(
            "the header lacks required columns",
            [
                Problem(name, f"no column for {name} (accepted: {', '.join(_COLUMNS[name])})", 1)
                for name in missing
            ],
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
        values = {name: row[index].strip() if index < len(row) else "" for name, index in columns.items()}
        if not values.get("as_of") and as_of is not None:
            values["as_of"] = as_of.isoformat()
        records.append((line, values))
    date_problems = read_dates(records, _DATE_COLUMNS, labels, local_dates=local_dates, date_order=date_order)
    problems: list[Problem] = []
    by_date: dict[date, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    known = stored.terms.room_types
    for line, values in records:
        problems.extend(date_problems.get(line, ()))
        bad = line in date_problems
        for name in _REQUIRED:
            if not values[name]:
                problems.append(Problem(name, f"empty: give the {name.replace('_', ' ')}", line))
                bad = True
        if values["room_type"]:
            values["room_type"] = map_room_type(stored.room_type_codes, known, values["room_type"])
        if values["room_type"] and (message := unknown_room_type(known, values["room_type"])):
            # Checked here too, so that a row's other problems do not hide it.
            problems.append(Problem("room_type", message, line))
            bad = True
        if bad:
            continue
        entry: dict[str, Any] = {key: values[key] for key in _REQUIRED}
        if values.get("source"):
            entry["source"] = _header_key(values["source"])
        if values.get("rate"):
            rate = values["rate"]
            entry["rate"] = rate.replace(",", ".") if table.decimal_comma and "." not in rate else rate
        try:
            report_date = parse_iso_date(values.get("as_of", ""))
        except ValueError:
            problems.append(Problem("as_of", _not_a_date(values.get("as_of", ""), local_dates), line))
            continue
        try:
            # Each row alone first, so that one row's problems do not hide another's.
            parse_pickup_report(
                stored, {"as_of": report_date.isoformat(), "entries": [entry]}, across_entries=False
            )
        except InvalidInputError as error:
            problems.extend(_with_lines(error.problems, [line]))
            continue
        by_date[report_date].append((line, entry))
    reports: list[PickupReport] = []
    for report_date, entries in by_date.items():
        try:
            reports.append(
                parse_pickup_report(
                    stored, {"as_of": report_date.isoformat(), "entries": [entry for _, entry in entries]}
                )
            )
        except InvalidInputError as error:
            problems.extend(_with_lines(error.problems, [line for line, _ in entries]))
    if problems:
        raise PickupFileError("the file has rows that cannot be saved; nothing was saved", problems, labels)
    if not reports:
        raise PickupFileError("the file has no rows", [Problem("", "the file holds a header and no rows", 1)])
    if len(reports) != 1:
        raise PickupFileError(
            "a report holds one as-of date", [Problem("as_of", "split the file by report date")], labels
        )
    return reports[0]


def _is_iso(text: str) -> bool:
    try:
        parse_iso_date(text)
    except ValueError:
        return False
    return True


def _not_a_date(text: str, local_dates: bool) -> str:
    forms = "YYYY-MM-DD, or day/month/year or month/day/year" if local_dates else "YYYY-MM-DD"
    return f"{text!r} is not a date ({forms})"


_ENTRY_FIELD = re.compile(r"^(?:entries|pickup)\[(\d+)\]\.?(.*)$")


def _with_lines(problems: tuple[Problem, ...], lines: list[int]) -> list[Problem]:
    located = []
    for problem in problems:
        match = _ENTRY_FIELD.match(problem.field)
        if match:
            located.append(Problem(match.group(2) or "row", problem.message, lines[int(match.group(1))]))
        else:
            located.append(problem)
    return located


def parse_pickup_csv(
    stored: StoredContract,
    text: str,
    as_of: date | None,
    *,
    local_dates: bool = False,
    date_order: DateOrder | None = None,
) -> PickupReport:
    """A pickup report exported by a PMS or a spreadsheet: a header row, then one row per cell. Headers
    are matched case-insensitively against the names in ``_COLUMNS``."""
    return parse_pickup_table(stored, read_csv(text), as_of, local_dates=local_dates, date_order=date_order)


def parse_pickup_xlsx(
    stored: StoredContract,
    data: bytes,
    as_of: date | None,
    *,
    local_dates: bool = False,
    date_order: DateOrder | None = None,
) -> PickupReport:
    """As :func:`parse_pickup_csv`, from the first sheet of a workbook."""
    return parse_pickup_table(stored, read_xlsx(data), as_of, local_dates=local_dates, date_order=date_order)


def record_pickup_csv(
    session: Session, principal: Principal, contract_id: int, text: str, as_of: date | None
) -> Saved:
    stored = _writable(session, principal, contract_id)
    return _save_pickup(session, stored, parse_pickup_csv(stored, text, as_of), principal.label)


def record_pickup_xlsx(
    session: Session, principal: Principal, contract_id: int, data: bytes, as_of: date | None
) -> Saved:
    stored = _writable(session, principal, contract_id)
    return _save_pickup(session, stored, parse_pickup_xlsx(stored, data, as_of), principal.label)
