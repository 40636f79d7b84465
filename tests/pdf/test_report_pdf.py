"""The exposure report as a PDF, read back with poppler, in each language (issue 5, item 3).

The report model is built from engine objects: a contract, its assessment 30 days before arrival, and
the forecast ``Exposure`` from :func:`app.engine.forecast.forecast_exposure` (no database here; the
route is tested in tests/api/test_report_route.py).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from app.engine import Actuals, Assessment, Contract, assess
from app.engine.forecast import Exposure, PickupSnapshot, forecast_exposure
from app.engine.projection import ForecastPriors, HistoricalBlock, History
from app.pdf import LANGUAGES, render_pdf
from app.pdf.i18n import translations
from app.pdf.report import NoForecast, ReportDocument, build_report_document, render_report_html
from tests.pdf.rendering import ARTIFACTS, flat, page_count, pdf_text

ARRIVAL = date(2027, 5, 10)
AS_OF = ARRIVAL - timedelta(days=30)
BLOCK = (120, 150, 90)
BOOKED = (52, 60, 30)
PICKUP_RGB = (0x4F, 0x7F, 0xB3)  # app.charts.PICKUP_COLOUR, the bars

PRIORS = ForecastPriors.model_validate(
    {
        "min_history_blocks": 3,
        "segments": {
            "other": {
                "wash_pct": 15,
                "booking_curve": [
                    {"days_before_arrival": 60, "pct": 50},
                    {"days_before_arrival": 0, "pct": 100},
                ],
                "band": [{"days_before_arrival": 60, "pct": 40}, {"days_before_arrival": 0, "pct": 10}],
            }
        },
    },
    strict=False,
)
#: Comparable blocks: final pickup about 1.8 times what was on the books 30 days out, so the
#: multiplicative method wins and the band comes from the history's spread.
HISTORY = History(
    [
        HistoricalBlock.model_validate(
            {
                "block_room_nights": 300,
                "final_room_nights": final,
                "on_the_books": [{"days_before_arrival": 30, "room_nights": booked}],
            },
            strict=False,
        )
        for booked, final in (
            (100, 180),
            (120, 214),
            (140, 250),
            (160, 290),
            (80, 146),
            (110, 196),
            (130, 236),
        )
    ],
    PRIORS,
)


def contract_data(**overrides: Any) -> dict[str, Any]:
    nights = [ARRIVAL + timedelta(days=i) for i in range(len(BLOCK))]
    data: dict[str, Any] = {
        "id": "lyon-pharma-2027",
        "name": "Pharma Congress 2027",
        "property": {
            "name": "Hôtel du Parc",
            "address": "12 quai Saint-Antoine\n69002 Lyon",
            "locale": "fr_FR",
        },
        "group": {"name": "Société Lyonnaise de Pharmacie", "account": "SLP-01"},
        "currency": "EUR",
        "arrival_date": ARRIVAL.isoformat(),
        "departure_date": (ARRIVAL + timedelta(days=len(BLOCK))).isoformat(),
        "block": [
            {"night": night.isoformat(), "room_type": "double", "rooms": rooms, "rate": "180.00"}
            for night, rooms in zip(nights, BLOCK, strict=True)
        ],
        "reduction_rights": [{"name": "Revue J-21", "until_days_before_arrival": 21, "max_pct": 20}],
        "attrition": {"performance_pct": 80, "damages_pct": 90, "evaluation_mode": "per_night"},
    }
    data.update(overrides)
    return data


def snapshot_and_actuals(contract: Contract) -> tuple[PickupSnapshot, Actuals]:
    counts = list(zip(contract.nights, BOOKED, strict=True))
    snapshot = PickupSnapshot.model_validate(
        {
            "days_before_arrival": (ARRIVAL - AS_OF).days,
            "nights": [{"night": night.isoformat(), "room_nights": n} for night, n in counts],
        },
        strict=False,
    )
    actuals = Actuals.model_validate(
        {
            "currency": "EUR",
            "pickup": [
                {"night": night.isoformat(), "room_type": "double", "room_nights": n} for night, n in counts
            ],
        },
        strict=False,
    )
    return snapshot, actuals


@dataclass(frozen=True)
class Rendered:
    contract: Contract
    assessment: Assessment
    exposure: Exposure | None
    document: ReportDocument
    html: str
    path: Path

    def text(self) -> str:
        return pdf_text(self.path)


def render(
    tmp: Path, language: str | None, data: dict[str, Any] | None = None, *, forecast: bool = True
) -> Rendered:
    contract = Contract.model_validate(data or contract_data(), strict=False)
    snapshot, actuals = snapshot_and_actuals(contract)
    assessment = assess(contract, actuals, AS_OF)
    exposure = forecast_exposure(contract, snapshot, HISTORY) if forecast else None
    document = build_report_document(
        contract=contract,
        assessment=assessment,
        exposure=exposure,
        no_forecast=None if forecast else NoForecast.CANCELLED,
        language=language,
    )
    html = render_report_html(document)
    path = tmp / f"report-{language or 'default'}.pdf"
    path.write_bytes(render_pdf(html))
    return Rendered(contract, assessment, exposure, document, html, path)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    folder = tmp_path_factory.mktemp("reports")
    return {lang: render(folder, lang) for lang in LANGUAGES}


def whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_shows_what_is_owed_today_in_each_language(reports: dict[str, Rendered], lang: str) -> None:
    report = reports[lang]
    text = report.text()
    locale = report.document.locale
    _ = translations(lang).gettext

    assert report.assessment.total.amount > 0
    total = flat(format_currency(report.assessment.total.amount, "EUR", locale=locale))
    assert f"{flat(_('Owed today'))} {total}" in text
    for line in report.assessment.lines:
        assert flat(format_currency(line.amount.amount, "EUR", locale=locale)) in text
    assert flat(_("Exposure report")) in text
    assert flat(_("As of {date}").format(date=format_date(AS_OF, "long", locale=locale))) in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_lists_block_minimum_pickup_and_forecast_per_night(
    reports: dict[str, Rendered], lang: str
) -> None:
    report = reports[lang]
    text = report.text()
    locale = report.document.locale
    assert report.assessment.rooms is not None
    assert report.exposure is not None
    assert report.exposure.break_even is not None
    projected = {n.night: n for n in report.exposure.projection.nights}
    even = {n.night: n for n in report.exposure.break_even.nights}

    def number(value: Decimal | int) -> str:
        return flat(format_decimal(value, locale=locale, decimal_quantization=False))

    for result in report.assessment.rooms.nights:
        forecast, needed = projected[result.night], even[result.night]
        row = " ".join(
            [
                flat(format_date(result.night, "medium", locale=locale)),
                number(result.baseline_room_nights),
                number(result.minimum_room_nights),
                number(result.credited_room_nights),
                number(result.shortfall_room_nights),
                number(whole(forecast.expected)),
                f"{number(whole(forecast.low))}–{number(whole(forecast.high))}",
                number(needed.break_even_room_nights),
                number(needed.still_needed_room_nights),
            ]
        )
        assert row in text
        assert result.credited_room_nights == BOOKED[report.contract.nights.index(result.night)]
    rooms = report.assessment.rooms
    expected = {s.scenario: s.room_nights for s in report.exposure.scenarios}
    totals = " ".join(
        [
            flat(translations(lang).gettext("Total")),
            number(rooms.baseline_room_nights),
            number(rooms.minimum_room_nights),
            number(rooms.credited_room_nights),
            number(rooms.shortfall_room_nights),
            number(expected["expected"]),
            f"{number(expected['low'])}–{number(expected['high'])}",
        ]
    )
    assert text.count(totals) == 1  # once, at the end of the table, not at the foot of each page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_gives_the_forecast_scenarios_probability_and_reduction_option(
    reports: dict[str, Rendered], lang: str
) -> None:
    report = reports[lang]
    text = report.text()
    locale = report.document.locale
    _ = translations(lang).gettext
    exposure = report.exposure
    assert exposure is not None

    for scenario in exposure.scenarios:
        damages = flat(format_currency(scenario.damages.amount, "EUR", locale=locale))
        assert f"{scenario.room_nights} {damages}" in text
    probability = format_percent(
        exposure.probability_of_damages_pct.quantize(Decimal("0.1")) / 100,
        locale=locale,
        decimal_quantization=False,
    )
    assert f"{flat(_('Probability that any damages are owed:'))} {flat(probability)}" in text
    # Expected damages are the mean over the forecast's outcomes, with the likely worst beside them.
    assert exposure.outlook.probability_pct == exposure.probability_of_damages_pct
    for amount in (exposure.outlook.expected, exposure.outlook.likely_worst):
        assert flat(format_currency(amount.amount, "EUR", locale=locale)) in text
    assert (exposure.outlook.expected.amount > 0) == (exposure.outlook.probability_pct > 0)
    (option,) = exposure.reductions
    assert option.room_nights > 0
    used = {s.scenario: s.damages for s in option.if_used}
    not_used = {s.scenario: s.damages for s in option.if_not_used}
    assert used["expected"] < not_used["expected"]  # the right is worth using in this contract
    assert "Revue J-21" in text
    for damages in (used["expected"], not_used["expected"]):
        assert flat(format_currency(damages.amount, "EUR", locale=locale)) in text


def test_french_report_reads_in_french(reports: dict[str, Rendered]) -> None:
    text = reports["fr"].text()

    assert "Rapport d’exposition" in text
    assert "Au 10 avril 2027" in text
    assert "Montant dû à ce jour" in text
    assert "Prévision au 10 avril 2027, 30 jours avant l’arrivée." in text
    assert "Attrition chambres, nuit du 10 mai 2027" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_embeds_the_chart_as_vector_graphics(reports: dict[str, Rendered], lang: str) -> None:
    report = reports[lang]

    assert report.html.count("<svg") == 1
    assert 'role="img"' in report.html
    # The bars are drawn in their colour on the page (the chart is not an image fetched from anywhere).
    assert any(
        pixels_of(report.path, page, PICKUP_RGB) > 200 for page in range(1, page_count(report.path) + 1)
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_one_of_each_report_is_rasterised_for_review(reports: dict[str, Rendered], lang: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / f"report-{lang}"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(reports[lang].path),
            str(stem),
        ],
        check=True,
    )

    assert stem.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_without_a_forecast_says_why_and_keeps_what_is_owed(tmp_path: Path) -> None:
    report = render(tmp_path, "pt", forecast=False)
    text = report.text()
    _ = translations("pt").gettext

    assert report.document.forecast is None
    assert flat(_("No forecast: the group cancelled, so the cancellation charges are what is owed.")) in text
    assert flat(_("Probability that any damages are owed:")) not in text
    total = flat(format_currency(report.assessment.total.amount, "EUR", locale=report.document.locale))
    assert total in text
    assert report.html.count("<svg") == 1  # pickup against block and minimum still has its chart


def test_report_language_defaults_to_the_propertys_locale(tmp_path: Path) -> None:
    report = render(tmp_path, None)

    assert (report.document.language, report.document.locale) == ("fr", "fr_FR")


def test_user_text_is_escaped_in_the_report_and_printed_as_typed(tmp_path: Path) -> None:
    data = contract_data()
    data["group"] = {"name": '<script>alert(1)</script> & "Co"', "account": "<b>A-1</b>"}
    data["property"] = {**data["property"], "name": 'Hôtel <img src="file:///etc/passwd">'}

    report = render(tmp_path, "en", data)

    assert "<script>" not in report.html
    assert "<img" not in report.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report.html
    text = report.text()
    assert '<script>alert(1)</script> & "Co"' in text
    assert 'Hôtel <img src="file:///etc/passwd">' in text


def pixels_of(pdf: Path, page: int, rgb: tuple[int, int, int]) -> int:
    """Pixels of colour ``rgb`` (within a small tolerance) on ``page`` rasterised at 40 dpi."""
    run = subprocess.run(
        ["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile", str(pdf)],
        capture_output=True,
        check=True,
    )
    data = run.stdout
    # A binary PPM: "P6\n<width> <height>\n<max>\n" then RGB bytes.
    header, rest = data.split(b"\n", 3)[:3], data.split(b"\n", 3)[3]
    assert header[0] == b"P6"
    width, height = (int(part) for part in header[1].split())
    found = 0
    for index in range(0, width * height * 3, 3):
        if all(abs(rest[index + channel] - rgb[channel]) <= 6 for channel in range(3)):
            found += 1
    return found
