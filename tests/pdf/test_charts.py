"""The pickup chart: matplotlib's SVG, inline, labelled, deterministic, with one bar per night."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest

from app.charts import BAR_ID, ChartLabels, ChartNight, pickup_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
LABELS = ChartLabels(
    pickup="Pickup to date",
    block="Block",
    minimum="Attrition minimum",
    expected="Expected final pickup",
    band="Forecast low–high",
    axis="Room nights",
)
FIRST = date(2027, 3, 7)
PICKUP = (40, 95, 12, 0, 60)


def nights(pickup: tuple[int, ...] = PICKUP, *, forecast: bool = False) -> list[ChartNight]:
    return [
        ChartNight(
            night=FIRST + timedelta(days=index),
            label=(FIRST + timedelta(days=index)).strftime("%b %d"),
            pickup_room_nights=booked,
            block_room_nights=100,
            minimum_room_nights=Decimal("82.5"),
            expected_room_nights=Decimal(booked) + Decimal("10.4") if forecast else None,
            low_room_nights=Decimal(booked) if forecast else None,
            high_room_nights=Decimal(booked) + 20 if forecast else None,
        )
        for index, booked in enumerate(pickup)
    ]


def bar_heights(svg: str) -> list[float]:
    """The height of each pickup bar, in order, from the rectangle path matplotlib writes."""
    root = ET.fromstring(svg)
    heights = []
    for index in count():
        group = root.find(f".//{SVG}g[@id='{BAR_ID.format(index=index)}']")
        if group is None:
            break
        path = group.find(f"{SVG}path")
        assert path is not None
        ys = [float(y) for y in re.findall(r"[ML] [-\d.]+ ([-\d.]+)", path.attrib["d"])]
        heights.append(max(ys) - min(ys))
    return heights


def test_chart_is_one_inline_svg_element_with_its_title_and_aria_label() -> None:
    svg = pickup_chart_svg(nights(), title="Pickup against block", labels=LABELS)
    root = ET.fromstring(svg)  # well-formed XML on its own: no prologue, no DOCTYPE

    assert svg.startswith("<svg")
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-label"] == "Pickup against block"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == "Pickup against block"


def test_chart_has_one_bar_per_night_with_heights_in_proportion_to_the_pickup() -> None:
    heights = bar_heights(pickup_chart_svg(nights(), title="t", labels=LABELS))

    assert len(heights) == len(PICKUP)
    assert sorted(range(len(heights)), key=heights.__getitem__) == sorted(
        range(len(PICKUP)), key=PICKUP.__getitem__
    )
    assert heights[PICKUP.index(0)] == pytest.approx(0)
    # 95 room nights against 40: the same ratio in drawing units.
    assert heights[1] / heights[0] == pytest.approx(95 / 40, rel=1e-3)


def test_chart_draws_the_block_and_minimum_and_the_forecast_only_when_given() -> None:
    plain = ET.fromstring(pickup_chart_svg(nights(), title="t", labels=LABELS))
    forecast = ET.fromstring(pickup_chart_svg(nights(forecast=True), title="t", labels=LABELS))

    def ids(root: ET.Element) -> set[str]:
        return {element.attrib["id"] for element in root.iter() if "id" in element.attrib}

    assert {"block", "minimum"} <= ids(plain)
    assert not {"expected", "band"} & ids(plain)
    assert {"block", "minimum", "expected", "band"} <= ids(forecast)
    legend = " ".join(text.text or "" for text in forecast.iter(f"{SVG}text"))
    for word in (
        "Pickup to date",
        "Block",
        "Attrition minimum",
        "Expected final pickup",
        "Forecast low–high",
    ):
        assert word in legend


def test_chart_output_is_deterministic() -> None:
    first = pickup_chart_svg(nights(forecast=True), title="Même titre", labels=LABELS)
    second = pickup_chart_svg(nights(forecast=True), title="Même titre", labels=LABELS)

    assert first == second
    assert "dc:date" not in first
    assert "Matplotlib v" not in first  # no creator stamp that changes with the library's version


def test_user_text_in_the_title_and_labels_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & <img src=x>'
    labels = ChartLabels(
        pickup=hostile, block="Block", minimum="Minimum", expected="Expected", band="Band", axis="Room nights"
    )
    hostile_nights = [
        ChartNight(night=FIRST, label="<b>night</b>", pickup_room_nights=3, block_room_nights=5)
    ]

    svg = pickup_chart_svg(hostile_nights, title=hostile, labels=labels)
    root = ET.fromstring(svg)

    assert "<script" not in svg
    assert "<img" not in svg
    assert "<b>" not in svg
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == hostile  # printed as typed once parsed
    assert root.attrib["aria-label"] == hostile
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert hostile in texts
    assert "<b>night</b>" in texts


def test_cyrillic_labels_are_kept_as_text() -> None:
    svg = pickup_chart_svg(
        nights(),
        title="Загрузка относительно блока",
        labels=ChartLabels("Загрузка на дату", "Блок", "Минимум", "Ожидаемая", "Прогноз", "Номеро-ночи"),
    )

    texts = {text.text for text in ET.fromstring(svg).iter(f"{SVG}text")}
    assert {"Загрузка на дату", "Номеро-ночи"} <= texts
    assert "DejaVu Sans" in svg  # the font the PDF templates embed from templates/pdf/fonts
