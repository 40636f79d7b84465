"""Pickup file benchmark: reading and checking a full-size pickup report as CSV and as .xlsx.

A 200-night × 20-room-type block (4,000 cells, the largest a contract holds) and a report of 10,000 rows
(the most a report may hold: in-block, staff and comp rows) are written as CSV and as a workbook
(openpyxl), then parsed and checked as the pickup page and the API do (``parse_pickup_csv`` with the
short-date reading on, ``parse_pickup_xlsx``). It prints the median time of each, the time per row, and
the ratio workbook / CSV.

Run by hand: ``uv run python bench/pickup_files.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from openpyxl import Workbook

from app.contract_files import load_document
from app.services.pickup_files import parse_pickup_csv, parse_pickup_xlsx

SAMPLE = Path(__file__).resolve().parents[1] / "contracts" / "wedding-block-cliff.yaml"
NIGHTS, ROOM_TYPES = 200, 20
ARRIVAL = date(2027, 3, 1)
AS_OF = date(2027, 1, 4)


def stored_contract() -> Any:
    document = load_document(SAMPLE)
    raw = document.contract.model_dump(mode="json")
    types = [f"type{index:02d}" for index in range(ROOM_TYPES)]
    raw["arrival_date"] = ARRIVAL.isoformat()
    raw["departure_date"] = (ARRIVAL + timedelta(days=NIGHTS)).isoformat()
    raw["block"] = [
        {"night": (ARRIVAL + timedelta(days=n)).isoformat(), "room_type": t, "rooms": 50, "rate": "189.00"}
        for n in range(NIGHTS)
        for t in types
    ]
    for key in ("cutoff_date", "reductions"):
        raw.pop(key, None)
    terms = type(document.contract).model_validate(raw, strict=False)
    return SimpleNamespace(terms=terms, record=None, version=None)


def report_rows() -> list[list[Any]]:
    rows: list[list[Any]] = []
    for source in ("in_block", "staff", "comp"):
        for n in range(NIGHTS):
            for t in range(ROOM_TYPES):
                if len(rows) < 10_000:
                    night = ARRIVAL + timedelta(days=n)
                    rows.append(
                        [f"{night.month:02d}/{night.day:02d}/{night.year}", f"type{t:02d}", 3, source]
                    )
    return rows


def median_seconds(call: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    rounds = 3 if parser.parse_args().quick else 7
    stored = stored_contract()
    rows = report_rows()
    header = ["night", "room_type", "room_nights", "source"]
    text = "\n".join(",".join(str(cell) for cell in row) for row in [header, *rows]) + "\n"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()

    assert len(parse_pickup_csv(stored, text, AS_OF, local_dates=True).entries) == len(rows)
    assert len(parse_pickup_xlsx(stored, data, AS_OF, local_dates=True).entries) == len(rows)
    csv_s = median_seconds(lambda: parse_pickup_csv(stored, text, AS_OF, local_dates=True), rounds)
    xlsx_s = median_seconds(lambda: parse_pickup_xlsx(stored, data, AS_OF, local_dates=True), rounds)
    print(f"{len(rows):,} rows; CSV {len(text):,} bytes, workbook {len(data):,} bytes; median of {rounds}")
    print(f"CSV   {csv_s * 1000:8.1f} ms  ({csv_s / len(rows) * 1e6:6.1f} µs per row)")
    print(f"xlsx  {xlsx_s * 1000:8.1f} ms  ({xlsx_s / len(rows) * 1e6:6.1f} µs per row)")
    print(f"ratio xlsx / CSV: {xlsx_s / csv_s:.2f}")


if __name__ == "__main__":
    main()
