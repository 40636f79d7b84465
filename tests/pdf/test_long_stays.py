"""Long stays stay light: the exposure report shows a stay over 31 nights week by week (the sums of the
nights, the total unchanged), and the chart draws a stay over 62 nights as steps, not a bar a night."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.charts import BAR_ID, NIGHTS_SHOWN_SINGLY, ChartLabels, ChartNight, pickup_chart_svg
from app.engine import Actuals, Contract, LineKind, assess
from app.engine.money import money_sum
from app.pdf import render_pdf
from app.pdf.report import build_report_document, render_report_html
from tests.pdf.rendering import pdf_text

ARRIVAL = date(2027, 6, 1)
LABELS = ChartLabels("Pickup", "Block", "Minimum", "Expected", "Band", "Room nights")


def stay(nights: int) -> tuple[Contract, Actuals]:
    block: list[dict[str, Any]] = [
        {
            "night": (ARRIVAL + timedelta(days=n)).isoformat(),
            "room_type": room_type,
            "rooms": 20 + n % 5,
            "rate": f"{150 + n % 3}.00",
        }
        for n in range(nights)
        for room_type in ("king", "queen")
    ]
    contract = Contract.model_validate(
        {
            "id": "crew-block",
            "property": {"name": "Harbour Hotel"},
            "group": {"name": "Crew"},
            "currency": "USD",
            "arrival_date": ARRIVAL.isoformat(),
            "departure_date": (ARRIVAL + timedelta(days=nights)).isoformat(),
            "block": block,
            "attrition": {"performance_pct": 80, "evaluation_mode": "per_night"},
        },
        strict=False,
    )
    pickup = [
        {"night": cell["night"], "room_type": cell["room_type"], "room_nights": cell["rooms"] // 2}
        for cell in block
    ]
    return contract, Actuals.model_validate({"currency": "USD", "pickup": pickup}, strict=False)


def test_a_stay_over_a_month_is_reported_week_by_week_with_the_same_totals(tmp_path: Path) -> None:
    contract, actuals = stay(45)
    assessment = assess(contract, actuals, contract.departure_date)
    document = build_report_document(contract=contract, assessment=assessment, exposure=None, language="en")

    assert [row.night for row in document.nights][:2] == [
        "Jun 1, 2027–Jun 7, 2027",
        "Jun 8, 2027–Jun 14, 2027",
    ]
    assert len(document.nights) == 7  # six full weeks and the 43rd to 45th nights
    first_week = [n for n in assessment.rooms.nights if n.night < ARRIVAL + timedelta(days=7)]  # type: ignore[union-attr]
    assert document.nights[0].block == str(sum(n.baseline_room_nights for n in first_week))
    assert document.nights[0].shortfall == str(sum(n.shortfall_room_nights for n in first_week))
    assert document.night_totals.block == f"{sum(n.baseline_room_nights for n in assessment.rooms.nights):,}"  # type: ignore[union-attr]

    room_lines = [line for line in assessment.lines if line.kind is LineKind.ROOM_ATTRITION]
    assert len(room_lines) == 45
    assert [line.label for line in document.owed_lines] == [
        f"Room attrition, nights of {first} to {last}"
        for first, last in [
            ("Jun 1, 2027", "Jun 7, 2027"),
            ("Jun 8, 2027", "Jun 14, 2027"),
            ("Jun 15, 2027", "Jun 21, 2027"),
            ("Jun 22, 2027", "Jun 28, 2027"),
            ("Jun 29, 2027", "Jul 5, 2027"),
            ("Jul 6, 2027", "Jul 12, 2027"),
            ("Jul 13, 2027", "Jul 15, 2027"),
        ]
    ]
    week_one = money_sum((line.amount for line in room_lines[:7]), "USD")
    assert document.owed_lines[0].amount == f"${week_one.amount:,}"
    assert document.owed_total == f"${assessment.total.amount:,}"
    pdf = tmp_path / "long-stay.pdf"
    pdf.write_bytes(render_pdf(render_report_html(document)))
    text = pdf_text(pdf)
    assert "This long stay is shown week by week." in text


def test_a_month_is_still_reported_night_by_night() -> None:
    contract, actuals = stay(NIGHTS_SHOWN_SINGLY)
    assessment = assess(contract, actuals, contract.departure_date)
    document = build_report_document(contract=contract, assessment=assessment, exposure=None, language="fr")

    assert len(document.nights) == NIGHTS_SHOWN_SINGLY
    assert document.owed_lines[0].label.startswith("Attrition chambres, nuit du 1 juin 2027")
    assert document.weekly_note == ""


def chart_nights(count: int) -> list[ChartNight]:
    return [
        ChartNight(
            night=ARRIVAL + timedelta(days=n),
            label=f"N{n}",
            pickup_room_nights=30 + n % 7,
            block_room_nights=50,
            minimum_room_nights=Decimal(40),
            expected_room_nights=Decimal("44.5"),
            low_room_nights=Decimal(40),
            high_room_nights=Decimal(48),
        )
        for n in range(count)
    ]


def test_a_long_stay_chart_is_drawn_as_steps_with_a_label_a_week_or_more() -> None:
    svg = pickup_chart_svg(chart_nights(400), title="Pickup", labels=LABELS)
    assert BAR_ID.format(index=0) not in svg
    assert 'id="pickup' in svg
    labels = [n for n in range(400) if f">N{n}<" in svg]
    assert labels[:3] == [0, 21, 42]  # every third week: 400 nights in at most 26 labels
    assert len(labels) <= 26


def test_a_stay_of_up_to_62_nights_keeps_a_bar_and_a_label_a_night() -> None:
    svg = pickup_chart_svg(chart_nights(62), title="Pickup", labels=LABELS)
    assert BAR_ID.format(index=61) in svg
    assert all(f">N{n}<" in svg for n in range(62))
