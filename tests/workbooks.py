"""Workbooks made in the test that uses them (openpyxl), so no binary fixture is kept in the repository."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook


def workbook(rows: Sequence[Sequence[Any]], *, first_sheet: Sequence[Sequence[Any]] | None = None) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` (or ``first_sheet``, with ``rows`` on a second sheet)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in first_sheet if first_sheet is not None else rows:
        sheet.append(list(row))
    if first_sheet is not None:
        other = book.create_sheet("later")
        for row in rows:
            other.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb(unpacked_bytes: int) -> bytes:
    """A small zip that declares (and holds) a member of ``unpacked_bytes`` zeros beside a real workbook."""
    buffer = io.BytesIO()
    real = zipfile.ZipFile(io.BytesIO(workbook([["night", "room_type", "room_nights"]])))
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in real.infolist():
            archive.writestr(member, real.read(member))
        archive.writestr("xl/media/padding.bin", bytes(unpacked_bytes))
    return buffer.getvalue()
