"""The contract page (``GET /contracts/{id}``) and issuing an invoice from it.

The page shows the contract as of a date (``?as_of=``, default today at the hotel): its terms in plain
language, the block grid with pickup to date against the block and the per-night minimum (table and
chart), the assessment with its working, the forecast, the versions with what changed, and the invoices.
With htmx the as-of form swaps only the date-dependent part (``_contract_asof.html``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.api.deps import SessionDep
from app.charts import NIGHTS_SHOWN_SINGLY, ChartLabels, ChartNight, pickup_chart_svg
from app.engine import Actuals, Assessment
from app.engine.money import Money
from app.engine.words import words as enum_words
from app.pdf.i18n import catalog_language
from app.persistence.records import AccountRecord, ContractVersionRecord, PropertyRecord, StaffUserRecord
from app.services import forecasts, invoices
from app.services.actuals import actuals_as_of, night_shares
from app.services.assessments import assess_contract, hotel_today
from app.services.auth import Principal
from app.services.contracts import StoredContract, list_versions, load_contract
from app.services.errors import ServiceError
from app.services.forecasts import credited_sources, on_the_books
from app.services.properties import get_account, get_property
from app.web.deps import Staff, StaffDep
from app.web.editor_forms import GROUPS, SCALARS
from app.web.missing import MissingInput, missing_input
from app.web.payments import InvoicePayments, invoice_payments
from app.web.room_shares import share_rows
from app.web.templating import page_context, templates
from app.web.terms import TOPICS, TermSentence, plain_terms
from app.web.views import (
    FieldError,
    Formats,
    block_by_night,
    parse_day,
    pickup_pct,
)

router = APIRouter(include_in_schema=False)

LANGUAGES = {
    "en": "English",
    "fr": "Français",
    "pt": "Português (Portugal)",
    "pt_BR": "Português (Brasil)",
    "ro": "Română",
    "ca": "Català",
    "ru": "Русский",
}


@dataclass(frozen=True, slots=True)
class TermGroup:
    topic: str
    sentences: tuple[TermSentence, ...]


@dataclass(frozen=True, slots=True)
class GridCell:
    block: str
    pickup: str
    is_short: bool


@dataclass(frozen=True, slots=True)
class GridRow:
    night: str
    cells: tuple[GridCell, ...]
    block: str
    pickup: str
    minimum: str
    pct: str
    is_short: bool


@dataclass(frozen=True, slots=True)
class Grid:
    room_types: tuple[str, ...]
    rows: tuple[GridRow, ...]
    block: str
    pickup: str
    minimum: str
    pct: str
    chart_svg: str


@dataclass(frozen=True, slots=True)
class LineView:
    label: str
    clause: str
    formula: str
    steps: tuple[str, ...]
    amount: str
    is_credit: bool


@dataclass(frozen=True, slots=True)
class AssessmentView:
    total: str
    remedy: str
    is_final: bool
    lines: tuple[LineView, ...]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    conditions: tuple[str, ...]
    unapplied_credit: str


@dataclass(frozen=True, slots=True)
class ForecastView:
    low: str
    expected: str
    high: str
    low_room_nights: str
    expected_room_nights: str
    high_room_nights: str
    probability: str
    expected_damages: str
    likely_worst: str
    cancel_today: str
    break_even: tuple[tuple[str, str, str, str], ...]
    #: For a clause that tests the whole stay: one sentence instead of a figure per night.
    break_even_over_stay: str
    comparable_blocks: int
    method: str


@dataclass(frozen=True, slots=True)
class VersionView:
    number: int
    created: str
    created_by: str
    note: str
    changes: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class InvoiceView:
    number: str
    kind: str
    issue_date: str
    as_of: str
    total: str
    language: str
    pdf_url: str
    status: str
    can_credit: bool
    # An invoice's payments (app.web.payments); None for a credit note.
    paid: str = "—"
    outstanding: str = "—"
    payments: InvoicePayments | None = None
    #: Why the shares of the hotel's unsold rooms this invoice billed no longer hold (empty: they do).
    shares_changed: str = ""


# --- building the view models -------------------------------------------------------------------


def term_groups(sentences: Sequence[TermSentence]) -> tuple[TermGroup, ...]:
    grouped: dict[str, list[TermSentence]] = defaultdict(list)
    for sentence in sentences:
        grouped[sentence.topic].append(sentence)
    return tuple(TermGroup(topic, tuple(grouped[topic])) for topic in TOPICS if grouped[topic])


def _grid(
    stored: StoredContract, actuals: Actuals, assessment: Assessment | None, day: date, fmt: Formats
) -> Grid:
    terms = stored.terms
    held = terms.rooms_after_reductions(day)
    credited = credited_sources(terms)
    booked_cells: dict[tuple[date, str], int] = defaultdict(int)
    for entry in actuals.pickup:
        if credited.credits(entry.source):
            booked_cells[(entry.night, entry.room_type)] += entry.room_nights
    booked = on_the_books(terms, actuals.pickup)
    blocks = block_by_night(terms, day)
    minimums: dict[date, Decimal] = {}
    if assessment is not None and assessment.rooms is not None:
        minimums = {night.night: night.minimum_room_nights for night in assessment.rooms.nights}
    rows = []
    chart_nights = []
    for night in terms.nights:
        minimum = minimums.get(night)
        rows.append(
            GridRow(
                night=fmt.day(night),
                cells=tuple(
                    GridCell(
                        fmt.number(held.get((night, room_type), 0)),
                        fmt.number(booked_cells[(night, room_type)]),
                        booked_cells[(night, room_type)] < held.get((night, room_type), 0),
                    )
                    for room_type in terms.room_types
                ),
                block=fmt.number(blocks[night]),
                pickup=fmt.number(booked[night]),
                minimum=fmt.number(minimum),
                pct=fmt.pct(pickup_pct(booked[night], blocks[night])),
                is_short=minimum is not None and booked[night] < minimum,
            )
        )
        chart_nights.append(
            ChartNight(
                night=night,
                label=fmt.day(night),
                pickup_room_nights=booked[night],
                block_room_nights=blocks[night],
                minimum_room_nights=minimum,
            )
        )
    total_min = sum(minimums.values()) if minimums else None
    svg = pickup_chart_svg(
        chart_nights,
        title=f"Pickup to date against the block, as of {fmt.day(day)}",
        labels=ChartLabels(
            pickup="Pickup to date",
            block="Block",
            minimum="Minimum",
            expected="Expected",
            band="Low–high",
            axis="Room nights",
        ),
    )
    return Grid(
        room_types=terms.room_types,
        rows=tuple(rows),
        block=fmt.number(sum(blocks.values())),
        pickup=fmt.number(sum(booked.values())),
        minimum=fmt.number(total_min),
        pct=fmt.pct(pickup_pct(sum(booked.values()), sum(blocks.values()))),
        chart_svg=svg,
    )


#: What the assessment was charged under, in words.
REMEDIES = {"attrition": "The attrition clause", "cancellation": "The cancellation clause"}


def _assessment_view(assessment: Assessment, fmt: Formats) -> AssessmentView:
    said = fmt.explained
    return AssessmentView(
        total=fmt.money(assessment.total),
        remedy=REMEDIES.get(assessment.remedy, assessment.remedy),
        is_final=assessment.is_final,
        lines=tuple(
            LineView(
                said(line.label),
                said(line.clause),
                said(line.formula),
                tuple(said(step) for step in line.steps),
                fmt.money(line.amount),
                line.amount.amount < 0,
            )
            for line in assessment.lines
        ),
        assumptions=tuple(said(term.text) for term in assessment.assumptions),
        warnings=tuple(said(warning) for warning in assessment.warnings),
        conditions=tuple(said(condition) for condition in assessment.conditions),
        unapplied_credit=""
        if assessment.unapplied_credit.is_zero()
        else fmt.money(assessment.unapplied_credit),
    )


def _forecast_view(
    session: Session, principal: Principal, contract_id: int, day: date, fmt: Formats
) -> ForecastView:
    found = forecasts.forecast_contract(session, principal, contract_id, day)
    exposure = found.exposure
    even = exposure.break_even
    by_name = {scenario.scenario: scenario for scenario in exposure.scenarios}
    return ForecastView(
        low=fmt.money(by_name["low"].damages),
        expected=fmt.money(by_name["expected"].damages),
        high=fmt.money(by_name["high"].damages),
        low_room_nights=fmt.number(by_name["low"].room_nights),
        expected_room_nights=fmt.number(by_name["expected"].room_nights),
        high_room_nights=fmt.number(by_name["high"].room_nights),
        probability=fmt.pct(exposure.outlook.probability_pct),
        expected_damages=fmt.money(exposure.outlook.expected),
        likely_worst=fmt.money(exposure.outlook.likely_worst),
        cancel_today=fmt.money(exposure.cancel_today) if exposure.cancel_today is not None else "",
        break_even=tuple(
            (
                fmt.day(night.night),
                fmt.number(night.on_the_books),
                fmt.number(night.break_even_room_nights),
                fmt.number(night.still_needed_room_nights),
            )
            for night in (even.nights if even is not None and not even.is_over_stay else ())
        ),
        break_even_over_stay=(
            f"All nights are tested together: {fmt.number(even.still_needed_room_nights)} more room "
            f"nights over the stay are needed to owe nothing for rooms ("
            f"{fmt.number(even.on_the_books)} on the books, break-even {fmt.number(even.room_nights)})."
            if even is not None and even.is_over_stay
            else ""
        ),
        comparable_blocks=found.comparable_blocks,
        method=fmt.explained(exposure.steps[0]) if exposure.steps else "",
    )


def _flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        if not value and path:
            yield path, {}
        for key in sorted(value):
            yield from _flatten(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        if not value and path:
            yield path, []
        for index, item in enumerate(value):
            yield from _flatten(item, f"{path}[{index}]")
    else:
        yield path, value


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def terms_diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """Field-level changes between two versions' stored terms: ``(path, old, new)``, ``—`` for absent."""
    old = dict(_flatten(before))
    new = dict(_flatten(after))
    return tuple(
        (path, _shown(old.get(path)), _shown(new.get(path)))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    )


_ROW = re.compile(r"^(?P<group>[a-z_.]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_.]+))?(?:\[\d+\])?$")
_NESTED = re.compile(r"^(?P<name>[a-z_]+)\[(?P<index>\d+)\]$")
_IDENTIFIER = re.compile(r"[a-z]+(?:_[a-z]+)+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Terms the editor does not name (recorded on the block-changes page), as staff read them.
_PART_WORDS = {
    "offline_rooms": "Off-line rooms",
    "reductions": "Block reductions",
    "cells": "night and room type",
    "tax_override": "Tax profile",
}
_ONE_WORDS = {"reductions": "Block reduction", "offline_rooms": "Off-line room night", "taxes": "Tax"}


def term_label(path: str) -> str:
    """A changed term as the editor labels it (``attrition.performance_pct``: "Performance %")."""
    if path in SCALARS:
        return SCALARS[path].label
    row = _ROW.match(path)
    if row is not None:
        group, index, field = row["group"], int(row["index"]) + 1, row["field"]
        spec = GROUPS.get(group)
        title = spec.label if spec else ("Room block" if group == "block" else _spaced(group))
        labels = {f.name: f.label for f in spec.fields} if spec else {}
        return f"{title}, row {index}" + (f": {labels.get(field, _spaced(field))}" if field else "")
    return _spaced(path)


def _spaced(path: str) -> str:
    parts = []
    for part in path.split("."):
        nested = _NESTED.match(part)
        name, number = (nested["name"], f" {int(nested['index']) + 1}") if nested else (part, "")
        words = _ONE_WORDS.get(name) if number else None
        parts.append((words or _PART_WORDS.get(name) or enum_words(name)).capitalize() + number)
    return " › ".join(parts)


def _shown_value(text: str, fmt: Formats | None = None) -> str:
    if text in ("true", "false"):
        return "yes" if text == "true" else "no"
    if fmt is not None and _ISO_DAY.fullmatch(text):
        try:
            return fmt.day(date.fromisoformat(text))
        except ValueError:
            return text
    return enum_words(text) if _IDENTIFIER.fullmatch(text) else text


def _person(label: str, people: Mapping[str, str]) -> str:
    if label in people:
        return people[label]
    if label.startswith("key:"):
        return "an API key"
    if label.startswith("user:"):
        return "a staff user no longer listed"
    return {"import": "the contract file import"}.get(label, label)


def _versions(
    records: Sequence[ContractVersionRecord], fmt: Formats, people: Mapping[str, str]
) -> tuple[VersionView, ...]:
    views = []
    previous: dict[str, Any] | None = None
    for record in records:
        changes = () if previous is None else terms_diff(previous, record.terms)
        views.append(
            VersionView(
                number=record.version,
                created=fmt.day(record.created_at.date()),
                created_by=_person(record.created_by, people),
                note=record.note,
                changes=tuple(
                    (term_label(path), _shown_value(old, fmt), _shown_value(new, fmt))
                    for path, old, new in changes
                ),
            )
        )
        previous = record.terms
    return tuple(reversed(views))


def _people(session: Session, records: Sequence[ContractVersionRecord]) -> dict[str, str]:
    """Who made each version, by name (or email), for the staff users among them."""
    ids = {
        int(r.created_by.removeprefix("user:")) for r in records if re.fullmatch(r"user:\d+", r.created_by)
    }
    if not ids:
        return {}
    users = session.exec(select(StaffUserRecord).where(col(StaffUserRecord.id).in_(ids))).all()
    return {f"user:{user.id}": user.name or user.email for user in users}


def _language(account: AccountRecord | None, prop: PropertyRecord) -> str:
    """The invoice language chosen by default: the account's, else the property locale's (``pt_BR`` is
    Brazil's catalog, ``pt_PT`` and ``pt`` Portugal's), else English."""
    for locale in (account.language if account else None, prop.locale):
        language = catalog_language(locale)
        if language in LANGUAGES:
            return language
    return "en"


def contract_context(
    request: Request,
    session: Session,
    staff: Staff,
    contract_id: int,
    as_of: str | None,
    *,
    invoice_errors: Sequence[FieldError] = (),
    invoice_form: dict[str, str] | None = None,
    credit_errors: Sequence[FieldError] = (),
) -> dict[str, Any]:
    principal = staff.principal
    stored = load_contract(session, principal, contract_id)
    record, terms = stored.record, stored.terms
    prop = get_property(session, principal, record.property_id)
    account = None if record.account_id is None else get_account(session, principal, record.account_id)
    fmt = Formats.of(prop.locale)
    today = hotel_today(prop.timezone)
    errors: list[FieldError] = []
    day = parse_day(as_of, "as_of", errors) or today
    actuals = actuals_as_of(session, stored, day)
    assessment: Assessment | None = None
    assessment_error: MissingInput | None = None
    try:
        assessment = assess_contract(session, principal, contract_id, day).assessment
    except ServiceError as error:
        assessment_error = missing_input(error, contract_id, terms.cutoff_date)
    forecast: ForecastView | None = None
    forecast_note = ""
    try:
        forecast = _forecast_view(session, principal, contract_id, day, fmt)
    except ServiceError as error:
        forecast_note = fmt.problem(error.problems[0].message if error.problems else error.detail)
    invoice_records = invoices.list_invoices(session, principal, contract_id)
    invoice_list = invoice_views(session, invoice_records, fmt, prop.timezone, {contract_id: stored})
    issued = request.query_params.get("issued", "")
    saved = request.query_params.get("saved", "")
    version_records = list_versions(session, principal, contract_id)
    return page_context(
        title=record.name or terms.group.name,
        staff=staff,
        locale=prop.locale,
        contract_id=contract_id,
        record=record,
        terms=terms,
        property=prop,
        account_name=account.name if account is not None else terms.group.account,
        account_id=account.id if account is not None else None,
        can_edit=principal.can_write,
        status=record.status,
        dates={
            "Arrival": fmt.day(terms.arrival_date),
            "Departure": fmt.day(terms.departure_date),
            "Cut-off": fmt.day(terms.cutoff_date),
            "Signed": fmt.day(terms.signed_date),
        },
        version=record.current_version,
        term_groups=term_groups(plain_terms(terms, prop.locale)),
        as_of=day.isoformat(),
        as_of_text=fmt.day(day),
        is_today=day == today,
        as_of_errors={error.field: error.message for error in errors},
        # A long stay's per-night tables are folded under their totals (app.charts.NIGHTS_SHOWN_SINGLY).
        long_stay=len(terms.nights) > NIGHTS_SHOWN_SINGLY,
        night_count=len(terms.nights),
        grid=_grid(stored, actuals, assessment, day, fmt),
        room_shares=share_rows(session, stored, day, fmt, anonymous=False),
        assessment=None if assessment is None else _assessment_view(assessment, fmt),
        assessment_error=assessment_error,
        forecast=forecast,
        forecast_note=forecast_note,
        versions=_versions(version_records, fmt, _people(session, version_records)),
        invoices=invoice_list,
        credit_errors={error.field: error.message for error in credit_errors},
        languages=LANGUAGES,
        # The invoice is assessed as of the date the page shows, unless the form says otherwise.
        invoice_form=invoice_form or {"language": _language(account, prop), "as_of": day.isoformat()},
        invoice_errors={error.field: error.message for error in invoice_errors},
        notice=paid_notice(invoice_list, request.query_params.get("paid", ""))
        or _notice(issued, request.query_params.get("credited", ""), saved)
        or _terms_saved(request.query_params, record.current_version),
    )


def paid_notice(views: Sequence[InvoiceView], paid: str) -> str:
    """The confirmation after a payment of invoice ``paid`` was recorded (none for a number not shown)."""
    for view in views:
        if paid and view.number == paid and view.payments is not None:
            return f"The payment against invoice {paid} was recorded: {view.outstanding} is outstanding."
    return ""


def _notice(issued: str, credited: str, saved: str) -> str:
    if issued:
        return f"Invoice {issued} was issued."
    if credited:
        return f"Credit note {credited} was issued."
    return f"Pickup saved ({saved} rows)." if saved.isdigit() else ""


def _terms_saved(query: Mapping[str, str], current: int) -> str:
    """The editor's confirmation: which version of the terms the save made (or kept, with no change)."""
    version = query.get("terms_saved", "")
    if not version.isdigit() or not 1 <= int(version) <= current:
        return ""
    if query.get("unchanged"):
        return f"Saved. Nothing in the terms changed, so they are still version {version}."
    return f"Saved version {version} of the terms."


def shares_changed(session: Session, stored: StoredContract, invoice: Any, fmt: Formats) -> str:
    """Why the shares of the hotel's unsold rooms an uncredited invoice billed no longer hold (a later
    invoice of another group, or new figures, changed them), in words; empty when they still hold."""
    billed = {
        date.fromisoformat(night): Decimal(share) for night, share in (invoice.room_shares or {}).items()
    }
    try:
        now = {night: s.share for night, s in night_shares(session, stored, invoice.as_of).items()}
    except ServiceError:
        return ""
    nights = sorted(night for night in billed.keys() | now.keys() if billed.get(night) != now.get(night))
    if not invoice.room_shares and not now:
        return ""
    changes = [
        f"{fmt.day(night)}: {fmt.number(billed.get(night, Decimal(0)))} billed, "
        f"{fmt.number(now.get(night, Decimal(0)))} now"
        for night in nights
    ]
    return "; ".join(changes)


def invoice_views(
    session: Session,
    records: Sequence[Any],
    fmt: Formats,
    timezone: str,
    contracts: Mapping[int, StoredContract] | None = None,
) -> tuple[InvoiceView, ...]:
    """Invoices and credit notes with their status in words: issued, partly paid, paid, credited by
    which credit note, or which invoice a credit note credits; and each invoice's payments. An uncredited
    invoice of one of ``contracts`` (by id) whose shares of the hotel's unsold rooms changed says so
    (docs/rules.md §3.6)."""
    contracts = contracts or {}
    links = invoices.related(session, records)
    paying = invoice_payments(session, records, fmt, timezone)
    views = []
    for invoice in records:
        link = links[invoice.id]
        is_credit_note = invoice.kind == "credit_note"
        if is_credit_note:
            status = f"Credits invoice {link.credits}" if link.credits else "Credit note"
        elif link.credited_by:
            status = f"Credited by {link.credited_by}"
        else:
            status = paying[invoice.id].status
        views.append(
            InvoiceView(
                number=invoice.number,
                kind="Credit note" if is_credit_note else "Invoice",
                issue_date=fmt.day(invoice.issue_date),
                as_of=fmt.day(invoice.as_of),
                total=fmt.money(_money(invoice.total_amount, invoice.currency)),
                language=LANGUAGES.get(invoice.language, invoice.language),
                pdf_url=f"/api/v1/invoices/{invoice.number}.pdf",
                status=status,
                can_credit=not is_credit_note and link.credited_by is None,
                paid=paying[invoice.id].paid if invoice.id in paying else "—",
                outstanding=paying[invoice.id].outstanding if invoice.id in paying else "—",
                payments=paying.get(invoice.id),
                shares_changed=shares_changed(session, contracts[invoice.contract_id], invoice, fmt)
                if invoice.contract_id in contracts and not is_credit_note and link.credited_by is None
                else "",
            )
        )
    return tuple(views)


def _money(amount: str, currency: str) -> Money:
    return Money(Decimal(amount), currency)


# --- routes ------------------------------------------------------------------------------------------


@router.get("/contracts/{contract_id:int}", response_model=None)
def contract_page(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    contract_id: int,
    as_of: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    context = contract_context(request, session, staff, contract_id, as_of)
    status = 422 if context["as_of_errors"] else 200
    if "hx-request" in request.headers:
        return templates.TemplateResponse(request, "_contract_asof.html", context, status_code=status)
    return templates.TemplateResponse(request, "contract.html", context, status_code=status)
