"""The exposure report render model: what a contract owes today and what it is forecast to owe.

Built from engine objects only (the contract, its assessment as of a date, and the forecast
``Exposure``), so that it is the same for the API, the web page and tests. Every figure is formatted
here with Babel and every sum is taken here; the template only places strings. The chart is drawn by
:mod:`app.charts` and goes into the HTML inline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from babel.dates import format_skeleton
from markupsafe import Markup

from app.charts import NIGHTS_SHOWN_SINGLY, ChartLabels, ChartNight, pickup_chart_svg
from app.engine.contract import Contract, EvaluationMode
from app.engine.forecast import OVER_STAY_MODES, Exposure, ReductionOption, ScenarioDamages
from app.engine.money import Money, money_sum
from app.engine.projection import Method, NightProjection
from app.engine.results import Assessment, LineKind, NightResult
from app.pdf.i18n import invoice_language, number_locale, translations
from app.pdf.invoice import N_, Gettext, InvoiceLine, _Formats, localized_lines
from app.pdf.render import ENVIRONMENT, render_pdf
from app.wording import wording

_METHOD_NAMES: dict[Method, str] = {
    Method.ADDITIVE: N_("additive pickup"),
    Method.MULTIPLICATIVE: N_("multiplicative pickup"),
    Method.HISTORICAL_WASH: N_("historical wash"),
    Method.BOOKING_CURVE: N_("the segment's booking pace"),
    Method.BLOCK: N_("the block (final pickup = block)"),
}

_SCENARIO_NAMES: dict[str, str] = {
    "low": N_("Low pickup"),
    "expected": N_("Expected pickup"),
    "high": N_("High pickup"),
}

DASH = "–"
WEEK = 7


class NoForecast(StrEnum):
    """Why a report has no forecast section."""

    STARTED = "started"
    OUT_OF_RANGE = "out_of_range"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    NO_ROOMS = "no_rooms"


_NO_FORECAST_NOTES: dict[NoForecast, str] = {
    NoForecast.STARTED: N_("No forecast: the stay has begun, so the pickup to date is what counts."),
    NoForecast.OUT_OF_RANGE: N_("No forecast: the date is too far before arrival."),
    NoForecast.CLOSED: N_("No forecast: only tentative and definite contracts are forecast."),
    NoForecast.CANCELLED: N_(
        "No forecast: the group cancelled, so the cancellation charges are what is owed."
    ),
    NoForecast.NO_ROOMS: N_("No forecast: no room is left in the block after the reductions."),
}
NGettext = Callable[[str, str, int], str]


@dataclass(frozen=True, slots=True)
class NightRow:
    """One night: the block, the minimum, pickup to date, and the forecast for that night."""

    night: str
    block: str
    minimum: str
    pickup: str
    shortfall: str
    expected: str
    band: str
    break_even: str
    still_needed: str


@dataclass(frozen=True, slots=True)
class ScenarioRow:
    label: str
    room_nights: str
    damages: str


@dataclass(frozen=True, slots=True)
class ReductionRow:
    """A reduction right still open: the damages if the group uses it now, and if it does not."""

    right: str
    deadline: str
    room_nights: str
    #: Expected damages, and the low and high pickup scenarios' damages.
    if_used: tuple[str, str]
    if_not_used: tuple[str, str]
    note: str


@dataclass(frozen=True, slots=True)
class ForecastSection:
    as_of: str
    method: str
    band: str
    scenarios: tuple[ScenarioRow, ...]
    probability: str
    #: Expected damages (the mean over the scenarios) and the likely worst (their 90th percentile).
    outlook: str
    #: What cancelling on the report's date would cost ("" without a cancellation clause).
    cancel_today: str
    break_even_note: str
    reductions: tuple[ReductionRow, ...]


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """Everything the exposure report template shows, formatted for ``locale``; the template adds nothing."""

    language: str
    locale: str
    title: str
    property_name: str
    property_address: tuple[str, ...]
    as_of: str
    contract_reference: str
    event: str
    account: str
    stay: str
    status_note: str
    currency: str
    remedy: str
    owed_lines: tuple[InvoiceLine, ...]
    owed_total: str
    #: Empty, or the note that a long stay is shown week by week.
    weekly_note: str
    nights: tuple[NightRow, ...]
    night_totals: NightRow
    chart_title: str
    #: The chart as an inline ``<svg>`` element, drawn by matplotlib with every text escaped.
    chart_svg: Markup
    forecast: ForecastSection | None
    forecast_note: str
    #: "Page X of Y" split around the two numbers, which CSS counters fill in.
    page_label: tuple[str, str, str]


def build_report_document(
    *,
    contract: Contract,
    assessment: Assessment,
    exposure: Exposure | None,
    no_forecast: NoForecast | None = None,
    language: str | None = None,
) -> ReportDocument:
    """The exposure report of ``contract`` as of the assessment's date, in ``language`` (default: the
    property's locale, else English). ``exposure`` is the forecast, or ``None`` when there is none,
    for the reason ``no_forecast`` (default: the stay has begun)."""
    account_locale = contract.property.locale
    language = invoice_language(language, account_locale)
    catalog = translations(language)
    _ = catalog.gettext
    fmt = _Formats(number_locale(language, account_locale))
    nights = len(contract.nights)
    weekly = nights > NIGHTS_SHOWN_SINGLY
    rows, totals, chart_nights = _nights(contract, assessment, exposure, fmt, _, weekly=weekly)
    owed_lines = localized_lines(assessment, wording(language, fmt.locale))
    if weekly:
        owed_lines = _weekly_lines(owed_lines, assessment, contract, fmt, _)
    chart_title = _("Pickup against block and minimum, per night")
    page = _("Page {page} of {pages}")
    before, _page, rest = page.partition("{page}")
    middle, _pages, after = rest.partition("{pages}")
    return ReportDocument(
        language=language,
        locale=str(fmt.locale),
        title=_("Exposure report"),
        property_name=contract.property.name,
        property_address=tuple(
            part.strip() for part in contract.property.address.splitlines() if part.strip()
        ),
        as_of=_("As of {date}").format(date=fmt.long_date(assessment.as_of)),
        contract_reference=(f"{contract.name} ({contract.id})" if contract.name else contract.id),
        event=contract.group.name,
        account=contract.group.account,
        stay=catalog.ngettext(
            "{arrival} to {departure} ({nights} night)", "{arrival} to {departure} ({nights} nights)", nights
        ).format(
            arrival=fmt.long_date(contract.arrival_date),
            departure=fmt.long_date(contract.departure_date),
            nights=fmt.quantity(nights),
        ),
        status_note=(
            ""
            if assessment.is_final
            else _("Provisional: assessed on {date}, before the end of the event.").format(
                date=fmt.long_date(assessment.as_of)
            )
        ),
        currency=assessment.currency,
        remedy=_("Cancellation damages") if assessment.remedy == "cancellation" else _("Attrition damages"),
        owed_lines=owed_lines,
        owed_total=fmt.money(assessment.total),
        weekly_note=_("This long stay is shown week by week.") if weekly else "",
        nights=rows,
        night_totals=totals,
        chart_title=chart_title,
        chart_svg=Markup(
            pickup_chart_svg(
                chart_nights,
                title=chart_title,
                labels=ChartLabels(
                    pickup=_("Pickup to date"),
                    block=_("Block"),
                    minimum=_("Attrition minimum"),
                    expected=_("Expected final pickup"),
                    band=_("Forecast low–high"),
                    axis=_("Room nights"),
                ),
            )
        ),
        forecast=_forecast(contract, exposure, fmt, _, catalog.ngettext) if exposure is not None else None,
        forecast_note=(
            "" if exposure is not None else _(_NO_FORECAST_NOTES[no_forecast or NoForecast.STARTED])
        ),
        page_label=(before.strip(), middle.strip(), after.strip()),
    )


# --- the nights ----------------------------------------------------------------------------------


def _whole(value: Decimal) -> int:
    """A forecast count as the engine prices it: rounded half-up to whole room nights."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class _NightFigures:
    """One night's figures before formatting (a week's row adds them up)."""

    night: date
    block: int
    minimum: Decimal | int | None
    pickup: int | None
    shortfall: Decimal | None
    expected: int | None
    low: int | None
    high: int | None
    break_even: int | None
    still_needed: int | None


def _added(
    values: list[int | None] | list[Decimal | int | None] | list[Decimal | None],
) -> Decimal | int | None:
    """The sum of the nights' figures that are known; none known: none."""
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def _week_of(figures: list[_NightFigures]) -> _NightFigures:
    return _NightFigures(
        night=figures[0].night,
        block=sum(f.block for f in figures),
        minimum=_added([f.minimum for f in figures]),
        pickup=_int(_added([f.pickup for f in figures])),
        shortfall=_decimal(_added([f.shortfall for f in figures])),
        expected=_int(_added([f.expected for f in figures])),
        low=_int(_added([f.low for f in figures])),
        high=_int(_added([f.high for f in figures])),
        break_even=_int(_added([f.break_even for f in figures])),
        still_needed=_int(_added([f.still_needed for f in figures])),
    )


def _int(value: Decimal | int | None) -> int | None:
    return None if value is None else int(value)


def _decimal(value: Decimal | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _row(label: str, f: _NightFigures, fmt: _Formats) -> NightRow:
    def shown(value: Decimal | int | None) -> str:
        return DASH if value is None else fmt.quantity(value)

    return NightRow(
        night=label,
        block=fmt.quantity(f.block),
        minimum=shown(f.minimum),
        pickup=shown(f.pickup),
        shortfall=shown(f.shortfall),
        expected=shown(f.expected),
        band=DASH
        if f.low is None or f.high is None
        else f"{fmt.quantity(f.low)}{DASH}{fmt.quantity(f.high)}",
        break_even=shown(f.break_even),
        still_needed=shown(f.still_needed),
    )


def _weeks(contract: Contract, nights: list[date]) -> list[list[int]]:
    """The positions of ``nights`` grouped by week of the stay (weeks counted from arrival)."""
    weeks: dict[int, list[int]] = defaultdict(list)
    for position, night in enumerate(nights):
        weeks[(night - contract.arrival_date).days // WEEK].append(position)
    return list(weeks.values())


def _weekly_lines(
    lines: tuple[InvoiceLine, ...], assessment: Assessment, contract: Contract, fmt: _Formats, _: Gettext
) -> tuple[InvoiceLine, ...]:
    """The room attrition lines of each week of the stay as one line (their amounts, already rounded
    per night, added up); every other line as it is."""
    shown: list[InvoiceLine] = []
    week: list[tuple[date, Money]] = []
    week_index: int | None = None

    def close() -> None:
        if week:
            total = money_sum((amount for _night, amount in week), assessment.currency)
            shown.append(
                InvoiceLine(
                    label=_("Room attrition, nights of {first} to {last}").format(
                        first=fmt.short_date(week[0][0]), last=fmt.short_date(week[-1][0])
                    ),
                    working=(),
                    amount=fmt.money(total),
                    is_credit=total.amount < 0,
                )
            )
            week.clear()

    for item, line in zip(assessment.lines, lines, strict=True):
        if item.kind is LineKind.ROOM_ATTRITION and item.night is not None:
            index = (item.night - contract.arrival_date).days // WEEK
            if index != week_index:
                close()
                week_index = index
            week.append((item.night, item.amount))
            continue
        close()
        week_index = None
        shown.append(line)
    close()
    return tuple(shown)


def _nights(
    contract: Contract,
    assessment: Assessment,
    exposure: Exposure | None,
    fmt: _Formats,
    _: Gettext,
    *,
    weekly: bool,
) -> tuple[tuple[NightRow, ...], NightRow, tuple[ChartNight, ...]]:
    rooms = assessment.rooms
    results: dict[date, NightResult] = {n.night: n for n in rooms.nights} if rooms is not None else {}
    projected: dict[date, NightProjection] = (
        {n.night: n for n in exposure.projection.nights} if exposure is not None else {}
    )
    even_all = exposure.break_even if exposure is not None else None
    # A test over the whole stay has one break-even and one shortfall: the total row shows them.
    over_stay = contract.attrition is not None and contract.attrition.evaluation_mode in OVER_STAY_MODES
    break_even = {n.night: n for n in even_all.nights} if even_all and not over_stay else {}
    # Without a room test (no attrition clause, or a cancellation), the block after reductions stands.
    block_by_night: dict[date, int] = defaultdict(int)
    for (night, _room_type), count in contract.rooms_after_reductions(assessment.as_of).items():
        block_by_night[night] += count
    peak_only = (
        contract.attrition is not None and contract.attrition.evaluation_mode is EvaluationMode.PEAK_NIGHT
    )
    figures: list[_NightFigures] = []
    chart: list[ChartNight] = []
    for night in contract.nights:
        result = results.get(night)
        forecast = projected.get(night)
        even = break_even.get(night)
        block = result.baseline_room_nights if result is not None else block_by_night[night]
        minimum = result.minimum_room_nights if result is not None else None
        if minimum is not None and peak_only and not minimum:
            minimum = None  # only the peak night is tested
        if result is not None:
            pickup: int | None = result.credited_room_nights
        else:
            pickup = forecast.on_the_books if forecast is not None else None
        figures.append(
            _NightFigures(
                night=night,
                block=block,
                minimum=minimum,
                pickup=pickup,
                shortfall=result.shortfall_room_nights if result is not None and not over_stay else None,
                expected=_whole(forecast.expected) if forecast is not None else None,
                low=_whole(forecast.low) if forecast is not None else None,
                high=_whole(forecast.high) if forecast is not None else None,
                break_even=even.break_even_room_nights if even is not None else None,
                still_needed=even.still_needed_room_nights if even is not None else None,
            )
        )
        chart.append(
            ChartNight(
                night=night,
                label=format_skeleton("MMMd", night, locale=fmt.locale),
                pickup_room_nights=pickup or 0,
                block_room_nights=block,
                minimum_room_nights=minimum,
                expected_room_nights=forecast.expected if forecast is not None else None,
                low_room_nights=forecast.low if forecast is not None else None,
                high_room_nights=forecast.high if forecast is not None else None,
            )
        )
    if weekly:
        rows = [
            _row(
                f"{fmt.short_date(figures[week[0]].night)}{DASH}{fmt.short_date(figures[week[-1]].night)}",
                _week_of([figures[position] for position in week]),
                fmt,
            )
            for week in _weeks(contract, [f.night for f in figures])
        ]
    else:
        rows = [_row(fmt.short_date(f.night), f, fmt) for f in figures]
    totals = _totals(rows, assessment, exposure, block_by_night, fmt, _)
    return tuple(rows), totals, tuple(chart)


def _totals(
    rows: list[NightRow],
    assessment: Assessment,
    exposure: Exposure | None,
    block_by_night: dict[date, int],
    fmt: _Formats,
    _: Gettext,
) -> NightRow:
    """The whole block: the room test's own totals (its minimum is the cumulative one), and the
    forecast's scenario totals (the sums of the whole-night counts shown above)."""
    rooms = assessment.rooms
    scenarios = {s.scenario: s for s in exposure.scenarios} if exposure is not None else {}
    nights_even = exposure.break_even if exposure is not None else None
    return NightRow(
        night=_("Total"),
        block=fmt.quantity(rooms.baseline_room_nights if rooms else sum(block_by_night.values())),
        minimum=fmt.quantity(rooms.minimum_room_nights) if rooms else DASH,
        pickup=fmt.quantity(rooms.credited_room_nights) if rooms else DASH,
        shortfall=fmt.quantity(rooms.shortfall_room_nights) if rooms else DASH,
        expected=fmt.quantity(scenarios["expected"].room_nights) if scenarios else DASH,
        band=(
            f"{fmt.quantity(scenarios['low'].room_nights)}{DASH}{fmt.quantity(scenarios['high'].room_nights)}"
            if scenarios
            else DASH
        ),
        break_even=fmt.quantity(nights_even.room_nights) if nights_even else DASH,
        still_needed=fmt.quantity(nights_even.still_needed_room_nights) if nights_even else DASH,
    )


# --- the forecast --------------------------------------------------------------------------------


def _forecast(
    contract: Contract,
    exposure: Exposure,
    fmt: _Formats,
    _: Gettext,
    ngettext: NGettext,
) -> ForecastSection:
    projection = exposure.projection
    fit = projection.fit
    method = _(_METHOD_NAMES[fit.method])
    if fit.band_source == "history":
        band = ngettext(
            "Method: {method}, chosen on {blocks} comparable past block at this lead time; the band is "
            "the spread of its errors.",
            "Method: {method}, chosen on {blocks} comparable past blocks at this lead time; the band is "
            "the spread of its errors.",
            fit.blocks,
        ).format(method=method, blocks=fmt.quantity(fit.blocks))
    else:
        band = _(
            "Method: {method} (too few comparable past blocks at this lead time: {blocks}); the band is "
            "± {band} of the pickup still to come."
        ).format(
            method=method,
            blocks=fmt.quantity(fit.blocks),
            band=fmt.pct(fit.band_pct.quantize(Decimal("0.1")).normalize()),
        )
    by_name = {s.scenario: s for s in exposure.scenarios}
    return ForecastSection(
        as_of=ngettext(
            "Forecast on {date}, {days} day before arrival.",
            "Forecast on {date}, {days} days before arrival.",
            projection.days_before_arrival,
        ).format(date=fmt.long_date(exposure.as_of), days=fmt.quantity(projection.days_before_arrival)),
        method=method,
        band=band,
        scenarios=tuple(
            ScenarioRow(_(_SCENARIO_NAMES[name]), fmt.quantity(s.room_nights), fmt.money(s.damages))
            for name in ("low", "expected", "high")
            if (s := by_name.get(name)) is not None
        ),
        probability=fmt.pct(exposure.probability_of_damages_pct.quantize(Decimal("0.1"))),
        outlook=_(
            "Expected damages (the average over {count} equally likely outcomes): {expected}. In 9 "
            "outcomes out of 10 the group owes no more than {worst}."
        ).format(
            count=fmt.quantity(exposure.outlook.scenarios),
            expected=fmt.money(exposure.outlook.expected),
            worst=fmt.money(exposure.outlook.likely_worst),
        ),
        cancel_today=(
            _("If the group cancelled on {date}, it would owe {amount}.").format(
                date=fmt.long_date(exposure.as_of), amount=fmt.money(exposure.cancel_today)
            )
            if exposure.cancel_today is not None
            else ""
        ),
        break_even_note=(
            ""
            if exposure.break_even is not None or contract.attrition is None
            else _("Even a full block owes damages: no pickup reaches break-even.")
        ),
        reductions=tuple(_reduction(contract, option, fmt, _) for option in exposure.reductions),
    )


def _scenario_damages(scenarios: tuple[ScenarioDamages, ...], fmt: _Formats, _: Gettext) -> tuple[str, str]:
    """Expected damages, and the low and high scenarios' damages beside them."""
    by_name = {s.scenario: s.damages for s in scenarios}
    expected, low, high = by_name.get("expected"), by_name.get("low"), by_name.get("high")
    return (
        fmt.money(expected) if expected is not None else DASH,
        (
            _("low pickup {low}, high pickup {high}").format(low=fmt.money(low), high=fmt.money(high))
            if low is not None and high is not None
            else ""
        ),
    )


def _reduction(contract: Contract, option: ReductionOption, fmt: _Formats, _: Gettext) -> ReductionRow:
    named = {right.name for right in contract.reduction_rights if right.name}
    right = (
        option.right
        if option.right in named
        else _("Reduction right until {date}").format(date=fmt.short_date(option.deadline))
    )
    return ReductionRow(
        right=right,
        deadline=fmt.short_date(option.deadline),
        room_nights=fmt.quantity(option.room_nights),
        if_used=_scenario_damages(option.if_used, fmt, _),
        if_not_used=_scenario_damages(option.if_not_used, fmt, _),
        note=(
            ""
            if option.room_nights
            else _(
                "Not usable now: no room is expected to go unused within the right's limit, or the "
                "reduction would not be valid."
            )
        ),
    )


def render_report_html(document: ReportDocument) -> str:
    """The report's final HTML; ``_`` translates the template's fixed words into its language."""
    template = ENVIRONMENT.get_template("report.html")
    return template.render(doc=document, _=translations(document.language).gettext)


def render_report_pdf(document: ReportDocument) -> bytes:
    return render_pdf(render_report_html(document))
