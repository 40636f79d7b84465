"""The damages invoice render model: an engine assessment, every figure already formatted for the locale.

The template only places strings: money, percentages, quantities and dates are formatted here with
Babel, and every sum (the totals block, the due date) is worked out here, never in the template.

Per-line working is rebuilt in the invoice's language from each line's structured fields (its kind,
inputs, night and the assessment's room summary). Lines whose working the engine gives only as
English sentences keep those sentences, marked ``lang="en"`` (see ``InvoiceLine.working_lang``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

from app.engine.contract import Contract, DamagesKind, EvaluationMode, ScaleBasis
from app.engine.money import Money, pct_text
from app.engine.results import Assessment, LineItem, LineKind, NightResult
from app.pdf.i18n import invoice_language, number_locale, translations

Gettext = Callable[[str], str]

_CREDIT_KINDS = frozenset({LineKind.DEPOSIT, LineKind.REBATE})
_TAX_KINDS = frozenset({LineKind.TAX, LineKind.SERVICE_CHARGE})


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is used."""
    return message


_DAMAGES_KIND_NAMES: dict[DamagesKind, str] = {
    DamagesKind.ROOM_ATTRITION: N_("room attrition"),
    DamagesKind.FNB_ATTRITION: N_("F&B attrition"),
    DamagesKind.MEETING_ROOM_RENTAL: N_("meeting-room rental"),
    DamagesKind.CANCELLATION: N_("cancellation"),
}

_REMEDY_NAMES: dict[str, str] = {
    "attrition": N_("Attrition damages"),
    "cancellation": N_("Cancellation damages"),
}


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One invoice line: what it is, how it was worked out, and its amount."""

    label: str
    working: tuple[str, ...]
    amount: str
    is_credit: bool
    #: ``"en"`` when the working is the engine's English text; ``None`` when it is in the invoice language.
    working_lang: str | None = None


@dataclass(frozen=True, slots=True)
class TotalRow:
    label: str
    amount: str
    is_grand_total: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """Everything the invoice template shows, formatted for ``locale``; the template adds nothing."""

    language: str
    locale: str
    title: str
    property_name: str
    property_address: tuple[str, ...]
    bill_to: tuple[str, ...]
    invoice_number: str
    issue_date: str
    due_date: str
    contract_reference: str
    event: str
    stay: str
    remedy: str
    status_note: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    totals: tuple[TotalRow, ...]
    total_due: str
    payment_terms: str
    conditions: tuple[str, ...]
    terms: tuple[str, ...]
    assumptions: tuple[str, ...]
    #: "Page X of Y" split around the two numbers, which CSS counters fill in.
    page_label: tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class _Formats:
    locale: Locale

    def money(self, value: Money) -> str:
        return format_currency(value.amount, value.currency, locale=self.locale)

    def pct(self, pct: Decimal | str) -> str:
        return format_percent(Decimal(pct) / 100, locale=self.locale, decimal_quantization=False)

    def quantity(self, value: Decimal | int | str) -> str:
        return format_decimal(Decimal(value), locale=self.locale, decimal_quantization=False)

    def long_date(self, value: date) -> str:
        return format_date(value, "long", locale=self.locale)

    def short_date(self, value: date) -> str:
        return format_date(value, "medium", locale=self.locale)


def build_invoice_document(
    *,
    assessment: Assessment,
    contract: Contract,
    invoice_number: str,
    issue_date: date,
    bill_to: Sequence[str] | None = None,
    language: str | None = None,
) -> InvoiceDocument:
    """The damages invoice for ``assessment`` in ``language`` (default: the account's, else English).

    ``bill_to`` defaults to the group and its account; ``invoice_number`` and ``issue_date`` are inputs
    (style.md, "PDF"); the due date is the issue date plus the contract's payment terms.
    """
    account_locale = contract.property.locale
    language = invoice_language(language, account_locale)
    catalog = translations(language)
    _ = catalog.gettext
    fmt = _Formats(number_locale(language, account_locale))
    currency = assessment.currency
    due = issue_date + timedelta(days=contract.payment_terms_days)
    if bill_to is None:
        bill_to = [contract.group.name]
        if contract.group.account:
            bill_to.append(_("Account {account}").format(account=contract.group.account))
    lines = tuple(_invoice_line(line, assessment, contract, fmt, _) for line in assessment.lines)
    page = _("Page {page} of {pages}")
    before, _page, rest = page.partition("{page}")
    middle, _pages, after = rest.partition("{pages}")
    nights = len(contract.nights)
    return InvoiceDocument(
        language=language,
        locale=str(fmt.locale),
        title=_("Damages invoice"),
        property_name=contract.property.name,
        property_address=tuple(
            part.strip() for part in contract.property.address.splitlines() if part.strip()
        ),
        bill_to=tuple(line for line in bill_to if line.strip()),
        invoice_number=invoice_number,
        issue_date=fmt.long_date(issue_date),
        due_date=fmt.long_date(due),
        contract_reference=(f"{contract.name} ({contract.id})" if contract.name else contract.id),
        event=contract.group.name,
        stay=catalog.ngettext(
            "{arrival} to {departure} ({nights} night)", "{arrival} to {departure} ({nights} nights)", nights
        ).format(
            arrival=fmt.long_date(contract.arrival_date),
            departure=fmt.long_date(contract.departure_date),
            nights=fmt.quantity(nights),
        ),
        remedy=_(_REMEDY_NAMES.get(assessment.remedy, assessment.remedy)),
        status_note=(
            ""
            if assessment.is_final
            else _("Provisional: assessed on {date}, before the end of the event.").format(
                date=fmt.long_date(assessment.as_of)
            )
        ),
        currency=currency,
        lines=lines,
        totals=_totals(assessment, fmt, _),
        total_due=fmt.money(assessment.total),
        payment_terms=catalog.ngettext(
            "Payment is due within {days} day of the invoice date, by {due_date}.",
            "Payment is due within {days} days of the invoice date, by {due_date}.",
            contract.payment_terms_days,
        ).format(days=fmt.quantity(contract.payment_terms_days), due_date=fmt.long_date(due)),
        conditions=_conditions(assessment, contract, fmt, catalog),
        terms=tuple(_with_default(term.text, term.is_default, _) for term in assessment.terms),
        assumptions=tuple(f"{term.name} = {term.value}" for term in assessment.assumptions),
        page_label=(before.strip(), middle.strip(), after.strip()),
    )


# --- totals ------------------------------------------------------------------------------------


def _totals(assessment: Assessment, fmt: _Formats, _: Gettext) -> tuple[TotalRow, ...]:
    zero = Money.zero(assessment.currency)
    damages = sum(
        (line.amount for line in assessment.lines if line.kind not in _TAX_KINDS | _CREDIT_KINDS), zero
    )
    taxes = sum((line.amount for line in assessment.lines if line.kind in _TAX_KINDS), zero)
    credits = sum((line.amount for line in assessment.lines if line.kind in _CREDIT_KINDS), zero)
    rows = [TotalRow(_("Damages"), fmt.money(damages))]
    if not taxes.is_zero():
        rows.append(TotalRow(_("Service charge and taxes"), fmt.money(taxes)))
    if not credits.is_zero():
        rows.append(TotalRow(_("Deposits and rebates applied"), fmt.money(credits)))
    rows.append(TotalRow(_("Total due"), fmt.money(assessment.total), is_grand_total=True))
    if not assessment.unapplied_credit.is_zero():
        rows.append(TotalRow(_("Credit not applied (carried)"), fmt.money(assessment.unapplied_credit)))
    return tuple(rows)


# --- conditions (waivers) ----------------------------------------------------------------------


def _with_default(text: str, is_default: bool, _: Gettext) -> str:
    return _("{term} (default)").format(term=text) if is_default else text


def _conditions(
    assessment: Assessment, contract: Contract, fmt: _Formats, catalog: Translations
) -> tuple[str, ...]:
    """The engine's conditions, in the invoice language where the contract term behind them is known."""
    known: dict[str, str] = {}
    waiver = contract.attrition.rebooking_waiver if contract.attrition else None
    if waiver is not None:
        known[waiver.condition_text("room attrition damages")] = catalog.ngettext(
            "{pct} of the room attrition damages is credited if the group books a comparable event "
            "with the hotel within {months} month.",
            "{pct} of the room attrition damages is credited if the group books a comparable event "
            "with the hotel within {months} months.",
            waiver.within_months,
        ).format(pct=fmt.pct(waiver.pct), months=fmt.quantity(waiver.within_months))
    credit = contract.cancellation.rebooking_credit if contract.cancellation else None
    if credit is not None:
        known[credit.condition_text("cancellation fee")] = catalog.ngettext(
            "{pct} of the cancellation fee is credited if the group books a comparable event "
            "with the hotel within {months} month.",
            "{pct} of the cancellation fee is credited if the group books a comparable event "
            "with the hotel within {months} months.",
            credit.within_months,
        ).format(pct=fmt.pct(credit.pct), months=fmt.quantity(credit.within_months))
    return tuple(known.get(text, text) for text in assessment.conditions)


# --- lines -------------------------------------------------------------------------------------


def _invoice_line(
    line: LineItem, assessment: Assessment, contract: Contract, fmt: _Formats, _: Gettext
) -> InvoiceLine:
    inputs = dict(line.inputs)
    amount = fmt.money(line.amount)
    currency = line.amount.currency

    def money(key: str) -> str:
        return fmt.money(Money(Decimal(inputs[key]), currency))

    label: str | None = None
    working: tuple[str, ...] | None = None
    kind = line.kind
    if kind is LineKind.ROOM_ATTRITION and {"room_nights", "damage_rate", "damages_pct"} <= inputs.keys():
        label = (
            _("Room attrition, night of {night}").format(night=fmt.short_date(line.night))
            if line.night is not None
            else _("Room attrition (all nights together)")
        )
        working = (
            *_room_test(assessment, line.night, fmt, _),
            _("Damages = unused room nights {room_nights} × {rate} × {pct} = {amount}").format(
                room_nights=fmt.quantity(inputs["room_nights"]),
                rate=money("damage_rate"),
                pct=fmt.pct(inputs["damages_pct"]),
                amount=amount,
            ),
        )
    elif kind is LineKind.ROOM_ATTRITION:
        mode = contract.attrition.evaluation_mode if contract.attrition else EvaluationMode.REVENUE
        label = {
            EvaluationMode.GREATER_OF: _("Room attrition (room-night and revenue tests)"),
            EvaluationMode.TIERED: _("Room attrition (tiered scale)"),
        }.get(mode, _("Room attrition (revenue test)"))
    elif kind is LineKind.FNB_ATTRITION and "minimum" in inputs:
        label = _("F&B minimum shortfall")
        working = (
            _("F&B minimum {minimum}, allowance {allowance}; credited spend {spend}.").format(
                minimum=money("minimum"),
                allowance=fmt.pct(inputs["allowance_pct"]),
                spend=money("credited_spend"),
            ),
            _("Damages = {pct} of the shortfall = {amount}").format(
                pct=fmt.pct(inputs["damages_pct"]), amount=amount
            ),
        )
    elif kind is LineKind.FNB_ATTRITION and "rate_pct" in inputs:
        label = (
            _("Service charge on the F&B shortfall")
            if line.label.startswith("Service charge")
            else _("Tax on the F&B shortfall")
        )
        working = (_rate_working(money("base"), fmt.pct(inputs["rate_pct"]), amount),)
    elif kind is LineKind.MEETING_ROOM_RENTAL and "basis" in inputs:
        label = _("Meeting-room rental (sliding scale)")
        basis = (
            _("Basis: credited F&B spend {value}.").format(value=money("value"))
            if inputs["basis"] == ScaleBasis.FNB_SPEND
            else _("Basis: room pickup {value} of the baseline.").format(
                value=fmt.pct(Decimal(inputs["value"]).quantize(Decimal("0.01")))
            )
        )
        step = _("Rental from the scale step the basis falls in: {amount}").format(amount=amount)
        if line.amount.is_zero():
            step = _("The basis reaches the step where the rental is waived.")
        working = (basis, step)
    elif kind is LineKind.CANCELLATION and "tier_pct" in inputs:
        label = _("Cancellation fee")
        working = (
            _("Days between notice and arrival: {days}; tier: {pct} of the cancellation base.").format(
                days=fmt.quantity(inputs["days_before_arrival"]), pct=fmt.pct(inputs["tier_pct"])
            ),
            _("Fee = {pct} × {base} = {amount}").format(
                pct=fmt.pct(inputs["tier_pct"]), base=money("base"), amount=amount
            ),
        )
    elif kind is LineKind.RESALE_CREDIT:
        label = _("Resale credit (rooms resold by the hotel)")
        if "resold_revenue" in inputs:
            working = (
                _("Revenue of resold rooms {revenue}; credited up to the fee: {amount}").format(
                    revenue=money("resold_revenue"), amount=amount
                ),
            )
    elif kind is LineKind.DAMAGES_CAP:
        label = _("Cap: revenue of the unused, unresold baseline")
        working = (
            _("Room damages are limited to the unused baseline at the contract rate, {cap}.").format(
                cap=money("cap")
            ),
        )
    elif kind is LineKind.COMP_CREDIT:
        label = _("Credit for unused complimentary rooms")
        working = (
            _("Complimentary room nights earned {earned}, used {used}; credit {amount}").format(
                earned=fmt.quantity(inputs["earned"]), used=fmt.quantity(inputs["used"]), amount=amount
            ),
        )
    elif kind in _TAX_KINDS:
        label = _tax_label(line, contract, fmt, _)
        working = (_rate_working(money("base"), fmt.pct(inputs["rate_pct"]), amount),)
    elif kind is LineKind.DEPOSIT:
        label, working = _deposit(line, assessment, contract, fmt, _)
    elif kind is LineKind.REBATE:
        payee = contract.rebates.payee if contract.rebates else ""
        label = _("Rebate to {payee}").format(payee=payee) if payee else _("Rebate")
    elif kind is LineKind.MANUAL:
        label = _("Amount entered by the hotel")
        working = (_("Reason: {reason}").format(reason=inputs.get("reason", "")),)
    return InvoiceLine(
        label=label if label is not None else line.label,
        working=working if working is not None else line.steps,
        amount=amount,
        is_credit=line.amount.amount < 0,
        working_lang=None if working is not None else "en",
    )


def _rate_working(base: str, rate: str, amount: str) -> str:
    return f"{base} × {rate} = {amount}"


def _room_test(assessment: Assessment, night: date | None, fmt: _Formats, _: Gettext) -> tuple[str, ...]:
    """Baseline, minimum, credited pickup and shortfall: of the night, or of the whole block."""
    rooms = assessment.rooms
    if rooms is None:
        return ()
    result: NightResult | None = None
    if night is not None:
        result = next((n for n in rooms.nights if n.night == night), None)
        if result is None:
            return ()
        baseline, minimum = result.baseline_room_nights, result.minimum_room_nights
        credited, shortfall = result.credited_room_nights, result.shortfall_room_nights
    else:
        baseline, minimum = rooms.baseline_room_nights, rooms.minimum_room_nights
        credited, shortfall = rooms.credited_room_nights, rooms.shortfall_room_nights
    return (
        _("Baseline {baseline}, minimum {minimum}, credited pickup {credited}, shortfall {shortfall}").format(
            baseline=fmt.quantity(baseline),
            minimum=fmt.quantity(minimum),
            credited=fmt.quantity(credited),
            shortfall=fmt.quantity(shortfall),
        )
        + " "
        + _("(room nights)"),
    )


def _tax_label(line: LineItem, contract: Contract, fmt: _Formats, _: Gettext) -> str:
    """The engine names tax lines from the tax profile; match the rule and the damages kind back."""
    profile = contract.tax_profile
    if profile is None:
        return line.label
    for kind in DamagesKind:
        on = kind.replace("_", " ")
        kind_name = _(_DAMAGES_KIND_NAMES[kind])
        if line.kind is LineKind.SERVICE_CHARGE and line.label == f"Service charge on {on}":
            return _("Service charge on {kind}").format(kind=kind_name)
        for rule in profile.taxes:
            if line.label == f"{rule.name} {pct_text(rule.rate_pct)} on {on}":
                return _("{tax} {rate} on {kind}").format(
                    tax=rule.name, rate=fmt.pct(rule.rate_pct), kind=kind_name
                )
    return line.label


def _deposit(
    line: LineItem, assessment: Assessment, contract: Contract, fmt: _Formats, _: Gettext
) -> tuple[str, tuple[str, ...] | None]:
    # Deposit lines follow the contract's deposits received by the assessment date, in order.
    received = [d for d in contract.deposits if d.received_date <= assessment.as_of]
    deposit_lines = [item for item in assessment.lines if item.kind is LineKind.DEPOSIT]
    index = next(i for i, item in enumerate(deposit_lines) if item is line)
    if index >= len(received):
        return line.label, None
    deposit = received[index]
    label = (
        _("Deposit {reference} received {date}").format(
            reference=deposit.reference, date=fmt.short_date(deposit.received_date)
        )
        if deposit.reference
        else _("Deposit received {date}").format(date=fmt.short_date(deposit.received_date))
    )
    paid = deposit.amount.rounded(contract.money_rounding)
    if -line.amount == paid:
        working = _("Deposit of {amount} applied in full.").format(amount=fmt.money(paid))
    else:
        working = _("Deposit of {amount}: {applied} applied; the rest exceeds what is owed.").format(
            amount=fmt.money(paid), applied=fmt.money(-line.amount)
        )
    return label, (working,)
