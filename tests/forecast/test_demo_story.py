"""The demo placed around today tells a live story; the sample files keep their fixed dates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from app.contract_files import load_document
from app.engine import assess
from app.services.imports import LIVE_ARRIVALS, place_demo

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
TODAY = date(2026, 12, 3)


def samples() -> list[Path]:
    return [
        p
        for p in sorted(CONTRACTS.glob("*.y*ml")) + sorted(CONTRACTS.glob("*.json"))
        if p.name != "schema.json"
    ]


def test_placed_groups_arrive_in_weeks_or_months_with_a_pace_history_and_the_rest_are_over() -> None:
    arriving = over = 0
    for path in samples():
        document = load_document(path)
        placed, reports = place_demo(path, document, TODAY)
        contract = placed.contract
        # The stay keeps its length and shape, only moved.
        assert contract.departure_date - contract.arrival_date == (
            document.contract.departure_date - document.contract.arrival_date
        )
        if path.stem in LIVE_ARRIVALS:
            arriving += 1
            assert contract.arrival_date == TODAY + timedelta(days=LIVE_ARRIVALS[path.stem])
            assert placed.actuals is None  # nothing after the event has happened yet
            assert len(reports) >= 2  # a pace history, not one report
            assert all(report.as_of <= TODAY for report in reports)
            assert reports[-1].as_of == TODAY
            totals = [sum(e["room_nights"] for e in report.entries) for report in reports]
            assert totals == sorted(totals)  # pickup grows toward arrival
            block = sum(cell.rooms for cell in contract.block)
            assert 0 < totals[-1] < block
        else:
            over += 1
            assert placed.as_of == TODAY - timedelta(days=1) or placed.as_of is None
            assert contract.arrival_date <= TODAY or (
                placed.actuals is not None and placed.actuals.cancellation_notice_date is not None
            )
            assert reports == []
    assert arriving >= 8
    assert over >= 3


def test_a_placed_sample_that_is_over_owes_what_its_file_expects() -> None:
    # Moving every date together changes nothing the engine computes.
    for path in samples():
        document = load_document(path)
        if path.stem in LIVE_ARRIVALS or document.expected is None or document.as_of is None:
            continue
        placed, _ = place_demo(path, document, TODAY)
        assert placed.actuals is not None
        assert placed.as_of is not None
        total = assess(placed.contract, placed.actuals, placed.as_of).total
        assert total == document.expected.total, path.name


def test_the_sample_files_keep_their_fixed_dates() -> None:
    document = load_document(CONTRACTS / "insurance-conference-resold-rooms.yaml")
    assert document.contract.arrival_date == date(2027, 6, 21)
    assert document.as_of == date(2027, 7, 6)
