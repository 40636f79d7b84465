"""The damages invoice render model: an engine assessment, every figure already formatted for the locale.

The template only places strings: money, percentages, quantities and dates are formatted here with
Babel, and every sum (the totals block, the due date) is worked out here, never in the template.

Per-line working is rebuilt in the invoice's language, for every kind of line the engine produces,
from each line's structured fields (its kind, inputs, night), the assessment's room summary and the
contract's terms. A few figures the engine states only inside its English sentences, in no structured
field, cannot be rebuilt: the credited room revenue and shortfall of a revenue test (``revenue``,
``greater_of``), the room-night damages of a ``greater_of`` test, the rooms and rates behind a
``resold_rooms`` credit, the room revenue under a percentage rebate, and the other baseline's damages
under ``stricter_of``. Those lines say in the invoice language what they can, and keep the engine's
sentences beside it, marked ``lang="en"`` (``InvoiceLine.quoted_working``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

from app.engine.cancellation import cancellation_base
from app.engine.contract import (
    AttritionClause,
    BaselineMode,
    CancellationComponentKind,
    Contract,
    CreditAllocation,
    DamageRateRule,
    DamagesKind,
    EvaluationMode,
    GreaterOfCharge,
    MinimumRounding,
    ResaleMode,
    ScaleBasis,
    ThresholdSemantics,
)
from app.engine.money import Money, pct_text
from app.engine.results import Assessment, LineItem, LineKind, NightResult, RoomSummary
from app.engine.words import words as enum_words
from app.pdf.i18n import DEFAULT_LANGUAGE, invoice_language, number_locale, translations
from app.pdf.parties import Parties

Gettext = Callable[[str], str]

_CREDIT_KINDS = frozenset({LineKind.DEPOSIT, LineKind.REBATE})
_TAX_KINDS = frozenset({LineKind.TAX, LineKind.SERVICE_CHARGE})


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is used."""
    return message


#: The number an invoice shows when it is previewed before it is issued (translated where it is used).
DRAFT_NUMBER = N_("DRAFT")

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
    #: The engine's English sentences kept beside a rebuilt working for figures that no structured
    #: field carries (shown after it, marked ``lang="en"``); empty when the working says everything.
    quoted_working: tuple[str, ...] = ()


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
    #: On a credit note: the invoice it credits (a sentence) and the reason given, as typed; else empty.
    credits_invoice: str = ""
    reason: str = ""
    #: The seller, bill-to and remittance blocks (app/pdf/parties.py); None: letterhead and bill_to only.
    parties: Parties | None = None


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
    (docs/style.md, "PDF"); the due date is the issue date plus the contract's payment terms.
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
    index = _RoomIndex.of(assessment)
    lines = tuple(_invoice_line(line, assessment, contract, fmt, _, index) for line in assessment.lines)
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


def build_credit_note_document(
    *,
    assessment: Assessment,
    contract: Contract,
    credit_note_number: str,
    issue_date: date,
    credited_number: str,
    credited_issue_date: date,
    reason: str,
    bill_to: Sequence[str] | None = None,
    language: str | None = None,
) -> InvoiceDocument:
    """A credit note for the whole of an invoice: the invoice's lines, with their working, and its totals,
    each with the opposite sign; it names the invoice it credits and the reason, and nothing is payable.

    ``assessment`` and ``contract`` are those the credited invoice was built from, so its lines read the
    same; the due date is the issue date (a credit is effective when issued).
    """
    invoice = build_invoice_document(
        assessment=assessment,
        contract=contract,
        invoice_number=credit_note_number,
        issue_date=issue_date,
        bill_to=bill_to,
        language=language,
    )
    _ = translations(invoice.language).gettext
    fmt = _Formats(Locale.parse(invoice.locale))
    negated = replace(
        assessment,
        total=-assessment.total,
        lines=tuple(replace(line, amount=-line.amount) for line in assessment.lines),
        unapplied_credit=Money.zero(assessment.currency),
    )
    totals = tuple(
        replace(row, label=_("Total credited")) if row.is_grand_total else row
        for row in _totals(negated, fmt, _)
    )
    return replace(
        invoice,
        title=_("Credit note"),
        due_date=invoice.issue_date,
        lines=tuple(
            replace(shown, amount=fmt.money(line.amount), is_credit=line.amount.amount < 0)
            for shown, line in zip(invoice.lines, negated.lines, strict=True)
        ),
        totals=totals,
        total_due=fmt.money(negated.total),
        payment_terms=_("Nothing is payable on this credit note."),
        conditions=(),
        credits_invoice=_("Credits invoice {number} of {date} in full.").format(
            number=credited_number, date=fmt.long_date(credited_issue_date)
        ),
        reason=reason,
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

#: How pooled pickup is shared among short nights (``credit_allocation``).
_ALLOCATION_WORDS: dict[CreditAllocation, str] = {
    CreditAllocation.HIGHEST_RATE_FIRST: N_("highest rate first"),
    CreditAllocation.CHRONOLOGICAL: N_("in date order"),
    CreditAllocation.PRO_RATA: N_("in proportion to each night's shortfall"),
}

_RATE_RULE_WORDS: dict[DamageRateRule, str] = {
    DamageRateRule.LOWEST_RATE: N_("the lowest group rate"),
    DamageRateRule.PICKUP_WEIGHTED_AVERAGE: N_("the average rate of credited pickup"),
    DamageRateRule.FIXED: N_("the fixed damage rate"),
}

_COMPONENT_NAMES: dict[CancellationComponentKind, str] = {
    CancellationComponentKind.ROOM_REVENUE: N_("Room revenue of the block"),
    CancellationComponentKind.FNB_MINIMUM: N_("F&B minimum"),
    CancellationComponentKind.MEETING_ROOM_RENTAL: N_("Meeting-room rental"),
    CancellationComponentKind.OTHER: N_("Other"),
}

#: Working rebuilt for a line: its label, its steps in the invoice language, and the engine's English
#: sentences kept for figures that no structured field carries (empty when nothing is missing).
_Rebuilt = tuple[str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _RoomIndex:
    """The room test's nights by date, and the shoulder pickup: looked up for every line, so worked out
    once per document (a scan per line would make a long stay's invoice cost grow with its square)."""

    by_night: dict[date, NightResult]
    shoulder: int

    @classmethod
    def of(cls, assessment: Assessment) -> _RoomIndex:
        rooms = assessment.rooms
        if rooms is None:
            return cls({}, 0)
        return cls(
            {n.night: n for n in rooms.nights},
            rooms.credited_room_nights - sum(n.credited_room_nights for n in rooms.nights),
        )


def _invoice_line(
    line: LineItem, assessment: Assessment, contract: Contract, fmt: _Formats, _: Gettext, index: _RoomIndex
) -> InvoiceLine:
    amount = fmt.money(line.amount)
    rebuilt = _LineWorking(line, assessment, contract, fmt, _, index).rebuild()
    if rebuilt is None:
        return InvoiceLine(
            label=line.label,
            working=line.steps,
            amount=amount,
            is_credit=line.amount.amount < 0,
            working_lang="en",
        )
    label, working, quoted = rebuilt
    if quoted == line.steps and fmt.locale.language == DEFAULT_LANGUAGE:
        # In English the engine's own sentences are the fuller working: show them once, not twice.
        working, quoted = line.steps, ()
    return InvoiceLine(
        label=label, working=working, amount=amount, is_credit=line.amount.amount < 0, quoted_working=quoted
    )


class _LineWorking:
    """Rebuilds one line's working in the invoice language from the line's structured fields (kind,
    inputs, night), the assessment's room summary and the contract's terms.

    Where a figure the engine states exists only inside its English sentences (the cases are listed in
    the module docstring), the rebuilt working says what it can and the engine's sentences are kept
    beside it, marked as English.
    """

    def __init__(
        self,
        line: LineItem,
        assessment: Assessment,
        contract: Contract,
        fmt: _Formats,
        _: Gettext,
        index: _RoomIndex,
    ) -> None:
        self.line = line
        self.index = index
        self.assessment = assessment
        self.contract = contract
        self.fmt = fmt
        self._ = _
        self.inputs = dict(line.inputs)
        self.amount = fmt.money(line.amount)
        self.currency = line.amount.currency

    def money(self, value: Decimal | str) -> str:
        return self.fmt.money(Money(Decimal(value), self.currency))

    def rebuild(self) -> _Rebuilt | None:
        kind = self.line.kind
        inputs = self.inputs
        if kind is LineKind.ROOM_ATTRITION:
            if {"room_nights", "damage_rate", "damages_pct"} <= inputs.keys():
                return self.room_nights_line()
            if "blocked_revenue" in inputs:
                return self.revenue_line()
            return None
        if kind is LineKind.FNB_ATTRITION and "minimum" in inputs:
            return self.fnb_line()
        if kind is LineKind.FNB_ATTRITION and "rate_pct" in inputs:
            label = (
                self._("Service charge on the F&B shortfall")
                if self.line.label.startswith("Service charge")
                else self._("Tax on the F&B shortfall")
            )
            return (
                label,
                (_rate_working(self.money(inputs["base"]), self.fmt.pct(inputs["rate_pct"]), self.amount),),
                (),
            )
        if kind is LineKind.MEETING_ROOM_RENTAL and "basis" in inputs:
            return self.rental_line()
        if kind is LineKind.CANCELLATION and "tier_pct" in inputs:
            return self.cancellation_line()
        if kind is LineKind.RESALE_CREDIT:
            return self.resale_line()
        if kind is LineKind.DAMAGES_CAP and "cap" in inputs:
            return self.cap_line()
        if kind is LineKind.COMP_CREDIT and {"earned", "used"} <= inputs.keys():
            return self.comp_line()
        if kind in _TAX_KINDS and {"base", "rate_pct"} <= inputs.keys():
            label = _tax_label(self.line, self.contract, self.fmt, self._)
            return (
                label,
                (_rate_working(self.money(inputs["base"]), self.fmt.pct(inputs["rate_pct"]), self.amount),),
                (),
            )
        if kind is LineKind.DEPOSIT:
            label, working = _deposit(self.line, self.assessment, self.contract, self.fmt, self._)
            return None if working is None else (label, working, ())
        if kind is LineKind.REBATE and "amount" in inputs:
            return self.rebate_line()
        if kind is LineKind.MANUAL:
            return (
                self._("Amount entered by the hotel"),
                (self._("Reason: {reason}").format(reason=inputs.get("reason", "")),),
                (),
            )
        return None

    # -- room attrition: room-night tests ----------------------------------------------------
    @property
    def clause(self) -> AttritionClause:
        clause = self.contract.attrition
        assert clause is not None  # the engine prices room attrition only under an attrition clause
        return clause

    def is_first_room_line(self) -> bool:
        first = next(item for item in self.assessment.lines if item.kind is LineKind.ROOM_ATTRITION)
        return first is self.line

    def stricter_of(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The stricter-of note: the engine adds it, with the other baseline's damages, as the last step
        of the first room line; that amount is in no structured field, so its sentence is kept."""
        if self.clause.baseline_mode is not BaselineMode.STRICTER_OF or not self.is_first_room_line():
            return (), ()
        return (
            (
                self._(
                    "Stricter of: the test was also made on the other baseline (the original block or the "
                    "block after reductions); the larger damages apply."
                ),
            ),
            self.line.steps[-1:],
        )

    def room_nights_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        line = self.line
        clause = self.clause
        rooms = self.assessment.rooms
        mode = clause.evaluation_mode
        label = (
            _("Room attrition, night of {night}").format(night=fmt.short_date(line.night))
            if line.night is not None
            else _("Room attrition (all nights together)")
        )
        steps: list[str] = []
        night: NightResult | None = None
        if rooms is not None and line.night is not None:
            night = self.index.by_night.get(line.night)
        if rooms is not None and mode is EvaluationMode.PER_NIGHT_WITH_CREDIT and night is rooms.nights[0]:
            steps.append(self.pool_step(rooms))
        if mode is EvaluationMode.PEAK_NIGHT:
            steps.append(_("Only the peak night, the night with the largest baseline, is tested."))
        steps += _room_test(self.assessment, line.night, fmt, _, self.index)
        if rooms is not None:
            test: NightResult | RoomSummary = night if night is not None else rooms
            contracted = night.block_room_nights if night is not None else rooms.original_room_nights
            shortfall, chargeable = test.shortfall_room_nights, test.chargeable_room_nights
            if contracted != test.baseline_room_nights:
                steps.append(
                    _(
                        "Contracted block (room nights): {contracted}; the baseline is after reductions "
                        "and released rooms."
                    ).format(contracted=fmt.quantity(contracted))
                )
            steps += self.minimum_steps(test.baseline_room_nights, test.minimum_room_nights)
            shoulder = self.index.shoulder
            if night is None and shoulder:
                steps.append(
                    _("Shoulder room nights included in the credited pickup: {room_nights}.").format(
                        room_nights=fmt.quantity(shoulder)
                    )
                )
            if night is not None and mode is EvaluationMode.PER_NIGHT_WITH_CREDIT:
                applied = _pooled_credit(clause, night)
                if applied:
                    steps.append(
                        _("Pooled room nights credited to this night: {room_nights}.").format(
                            room_nights=fmt.quantity(applied)
                        )
                    )
            if shortfall and clause.threshold_semantics is ThresholdSemantics.CLIFF:
                steps.append(
                    _("Below the minimum (cliff): every unused room night of the baseline is charged.")
                )
            if shortfall and clause.resale_mode is ResaleMode.LAST_ROOM_SOLD:
                steps.append(self.last_room_sold_step(shortfall, chargeable))
        rule = self.rate_rule_words(night)
        if rule:
            steps.append(
                _("Damage rate {rate}: {rule}.").format(
                    rate=self.money(self.inputs["damage_rate"]), rule=rule
                )
            )
        steps.append(
            _("Damages = unused room nights {room_nights} × {rate} × {pct} = {amount}").format(
                room_nights=fmt.quantity(self.inputs["room_nights"]),
                rate=self.money(self.inputs["damage_rate"]),
                pct=fmt.pct(self.inputs["damages_pct"]),
                amount=self.amount,
            )
        )
        note, quoted = self.stricter_of()
        return label, (*steps, *note), quoted

    def pool_step(self, rooms: RoomSummary) -> str:
        above = sum(max(0, n.credited_room_nights - n.baseline_room_nights) for n in rooms.nights)
        shoulder = self.index.shoulder
        order = self._(_ALLOCATION_WORDS[self.clause.credit_allocation])
        if shoulder:
            return self._(
                "Room nights above the block and on shoulder nights, pooled for short nights ({order}): "
                "{above} + {shoulder} = {pool}."
            ).format(
                order=order,
                above=self.fmt.quantity(above),
                shoulder=self.fmt.quantity(shoulder),
                pool=self.fmt.quantity(above + shoulder),
            )
        return self._("Room nights above the block, pooled for short nights ({order}): {pool}.").format(
            order=order, pool=self.fmt.quantity(above)
        )

    def minimum_steps(self, baseline: int, minimum: Decimal) -> tuple[str, ...]:
        """The minimum's rounding, when it changed the figure (the terms state the percentage)."""
        clause = self.clause
        if clause.evaluation_mode is EvaluationMode.PEAK_NIGHT and self.line.night is None:
            return ()
        exact = clause.performance_pct * baseline / 100
        if clause.minimum_rounding is MinimumRounding.EXACT or exact == minimum:
            return ()
        message = {
            MinimumRounding.CEIL: N_("Minimum = {pct} × {baseline} = {exact}, rounded up to {minimum}."),
            MinimumRounding.FLOOR: N_("Minimum = {pct} × {baseline} = {exact}, rounded down to {minimum}."),
            MinimumRounding.HALF_UP: N_(
                "Minimum = {pct} × {baseline} = {exact}, rounded to the nearest whole room night, {minimum}."
            ),
        }[clause.minimum_rounding]
        return (
            self._(message).format(
                pct=self.fmt.pct(clause.performance_pct),
                baseline=self.fmt.quantity(baseline),
                exact=self.fmt.quantity(exact),
                minimum=self.fmt.quantity(minimum),
            ),
        )

    def last_room_sold_step(self, shortfall: Decimal, chargeable: Decimal) -> str:
        # chargeable = min(shortfall, rooms the hotel could have sold): below the shortfall, it is the
        # number of unsold rooms; equal to it, the hotel had at least that many.
        if chargeable < shortfall:
            return self._(
                "Last room sold: of the room nights short ({shortfall}), the hotel had unsold rooms for "
                "only {chargeable}; only those are charged."
            ).format(chargeable=self.fmt.quantity(chargeable), shortfall=self.fmt.quantity(shortfall))
        return self._(
            "Last room sold: the hotel had unsold rooms for all the room nights short ({shortfall}), so "
            "all are charged."
        ).format(shortfall=self.fmt.quantity(shortfall))

    def rate_rule_words(self, night: NightResult | None) -> str:
        """The damage rate's rule, unless it is the contract rate (the terms say so already)."""
        rule = self.clause.damage_rate_rule
        if rule is DamageRateRule.CONTRACT_RATE:
            return ""
        rooms = self.assessment.rooms
        if rule is DamageRateRule.PICKUP_WEIGHTED_AVERAGE and rooms is not None:
            nights = (night,) if night is not None else rooms.nights
            if not any(n.credited_room_nights for n in nights):
                # With no credited pickup to average, the engine prices at the contract rate.
                return ""
        return self._(_RATE_RULE_WORDS[rule])

    # -- room attrition: money tests ---------------------------------------------------------
    def revenue_line(self) -> _Rebuilt:
        mode = self.clause.evaluation_mode
        if mode is EvaluationMode.TIERED:
            return self.tiered_line()
        if mode is EvaluationMode.GREATER_OF:
            return self.greater_of_line()
        return self.revenue_test_line()

    def blocked(self) -> Money:
        return Money(Decimal(self.inputs["blocked_revenue"]), self.currency)

    def minimum_revenue(self) -> Money:
        return Money(self.blocked().amount * self.clause.performance_pct / 100, self.currency)

    def tiered_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        rooms = self.assessment.rooms
        if rooms is None:
            return _("Room attrition (tiered scale)"), (), self.line.steps
        blocked = self.blocked()
        tier = next(
            t
            for t in self.clause.tiers
            if t.from_pct <= rooms.pickup_pct and (t.to_pct is None or rooms.pickup_pct < t.to_pct)
        )
        steps = [
            _("Pickup (room nights): {credited} of {baseline} = {pct}.").format(
                credited=fmt.quantity(rooms.credited_room_nights),
                baseline=fmt.quantity(rooms.baseline_room_nights),
                pct=fmt.pct(rooms.pickup_pct.quantize(Decimal("0.01"))),
            ),
            (
                _("Tier from {low} to below {high}: {pct} of the blocked room revenue {revenue}.").format(
                    low=fmt.pct(tier.from_pct),
                    high=fmt.pct(tier.to_pct),
                    pct=fmt.pct(tier.damages_pct),
                    revenue=fmt.money(blocked),
                )
                if tier.to_pct is not None
                else _("Tier from {low} up: {pct} of the blocked room revenue {revenue}.").format(
                    low=fmt.pct(tier.from_pct), pct=fmt.pct(tier.damages_pct), revenue=fmt.money(blocked)
                )
            ),
            _("Amount = {pct} × {revenue} = {amount}").format(
                pct=fmt.pct(tier.damages_pct), revenue=fmt.money(blocked), amount=self.amount
            ),
        ]
        note, quoted = self.stricter_of()
        return _("Room attrition (tiered scale)"), (*steps, *note), quoted

    def revenue_test_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        clause = self.clause
        rooms = self.assessment.rooms
        steps = [
            _("Blocked room revenue {revenue}; minimum revenue = {pct} × {revenue} = {minimum}.").format(
                revenue=fmt.money(self.blocked()),
                pct=fmt.pct(clause.performance_pct),
                minimum=fmt.money(self.minimum_revenue()),
            )
        ]
        note, quoted = self.stricter_of()
        if rooms is not None and rooms.is_passed:
            steps.append(_("Credited room revenue reaches the minimum: no shortfall."))
            return _("Room attrition (revenue test)"), (*steps, *note), quoted
        if clause.threshold_semantics is ThresholdSemantics.CLIFF:
            steps.append(_("Below the minimum (cliff): the shortfall is all the unused blocked revenue."))
        steps.append(
            (
                _("Damages = {pct} of the revenue shortfall = {amount}")
                if clause.resale_mode is ResaleMode.NONE
                else _("Damages = {pct} of the revenue shortfall, less the resale credit = {amount}")
            ).format(pct=fmt.pct(clause.damages_pct), amount=self.amount)
        )
        # The credited room revenue, the shortfall and any resale credit are in the English steps only.
        return _("Room attrition (revenue test)"), (*steps, *note), self.line.steps

    def greater_of_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        clause = self.clause
        rooms = self.assessment.rooms
        label = _("Room attrition (room-night and revenue tests)")
        if rooms is None:
            return label, (), self.line.steps
        credited, minimum = Decimal(rooms.credited_room_nights), rooms.minimum_room_nights
        passed_rooms = credited > minimum or (credited == minimum and clause.pass_if_equal)
        test = {
            "baseline": fmt.quantity(rooms.baseline_room_nights),
            "minimum": fmt.quantity(minimum),
            "credited": fmt.quantity(credited),
        }
        steps = [
            _(
                "Room-night test (room nights): baseline {baseline}, minimum {minimum}, credited pickup "
                "{credited}: passed."
            ).format(**test)
            if passed_rooms
            else _(
                "Room-night test (room nights): baseline {baseline}, minimum {minimum}, credited pickup "
                "{credited}: shortfall {shortfall}."
            ).format(**test, shortfall=fmt.quantity(rooms.shortfall_room_nights)),
            _("Revenue test: minimum revenue = {pct} × blocked room revenue {revenue} = {minimum}.").format(
                pct=fmt.pct(clause.performance_pct),
                revenue=fmt.money(self.blocked()),
                minimum=fmt.money(self.minimum_revenue()),
            ),
        ]
        if passed_rooms:
            steps.append(_("The room-night test passes, so nothing is owed (greater of)."))
        elif rooms.is_passed:
            steps.append(_("The revenue test passes, so nothing is owed (greater of)."))
        else:
            steps.append(
                {
                    GreaterOfCharge.LESSER: _("Both tests fail; the lesser of the two damages applies."),
                    GreaterOfCharge.ROOM_NIGHTS: _("Both tests fail; the room-night damages apply."),
                    GreaterOfCharge.REVENUE: _("Both tests fail; the revenue damages apply."),
                }[clause.greater_of_charge]
            )
        note, quoted = self.stricter_of()
        if not passed_rooms:
            # Each test's damages and the credited room revenue are in the English steps only.
            quoted = self.line.steps
        return label, (*steps, *note), quoted

    # -- credits against room attrition ------------------------------------------------------
    def resale_line(self) -> _Rebuilt:
        _ = self._
        label = _("Resale credit (rooms resold by the hotel)")
        if "resold_revenue" in self.inputs:
            return (
                label,
                (
                    _("Revenue of resold rooms {revenue}; credited up to the fee: {amount}").format(
                        revenue=self.money(self.inputs["resold_revenue"]), amount=self.amount
                    ),
                ),
                (),
            )
        # The rooms resold and the rates received, night by night, are in the English steps only.
        return (
            label,
            (
                _(
                    "Rooms the hotel resold are credited at the rate received, at most the damage "
                    "rate, × {pct}."
                ).format(pct=self.fmt.pct(self.clause.damages_pct)),
            ),
            self.line.steps,
        )

    def cap_line(self) -> _Rebuilt:
        _ = self._
        cap = Money(Decimal(self.inputs["cap"]), self.currency)
        before = cap - self.line.amount
        return (
            _("Cap: revenue of the unused, unresold baseline"),
            (
                _("Room damages are limited to the unused baseline at the contract rate, {cap}.").format(
                    cap=self.fmt.money(cap)
                ),
                _("Room damages before the cap {total}, reduced by {reduction}.").format(
                    total=self.fmt.money(before), reduction=self.fmt.money(-self.line.amount)
                ),
            ),
            (),
        )

    def comp_line(self) -> _Rebuilt | None:
        _ = self._
        fmt = self.fmt
        contract = self.contract
        earned, used = int(self.inputs["earned"]), int(self.inputs["used"])
        unused = max(0, earned - used)
        # The engine prices unused comps at the block-weighted average rate of the contracted block.
        rooms = contract.rooms_after_reductions(None)
        rates = contract.cell_rates()
        total = sum(rooms.values())
        rate = (
            sum((count * rates[cell] for cell, count in rooms.items()), Decimal(0)) / total
            if total
            else sum(rates.values(), Decimal(0)) / len(rates)
        )
        credit = Money(unused * rate, self.currency).rounded(contract.money_rounding)
        applied = -self.line.amount
        if applied > credit:
            return None
        steps = [
            _("Complimentary room nights earned {earned}, used {used}; credit {amount}").format(
                earned=fmt.quantity(earned), used=fmt.quantity(used), amount=fmt.money(applied)
            ),
            _("Unused complimentary room nights {unused} × average group rate {rate} = {credit}").format(
                unused=fmt.quantity(unused),
                rate=fmt.money(Money(rate, self.currency).rounded()),
                credit=fmt.money(credit),
            ),
        ]
        if applied != credit:
            steps.append(
                _("Applied {applied}; the rest, {carried}, is carried.").format(
                    applied=fmt.money(applied), carried=fmt.money(credit - applied)
                )
            )
        return _("Credit for unused complimentary rooms"), tuple(steps), ()

    def rebate_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        terms = self.contract.rebates
        payee = terms.payee if terms else ""
        label = _("Rebate to {payee}").format(payee=payee) if payee else _("Rebate")
        rebate = Money(Decimal(self.inputs["amount"]), self.currency)
        steps: list[str] = []
        quoted: tuple[str, ...] = ()
        if terms is not None and terms.per_room_night is not None:
            per = terms.per_room_night
            paid = rebate.amount / per.amount if per.amount else None
            # rebate = per × paid room nights, rounded: recover the count only where it is exact.
            if (
                paid is not None
                and paid == paid.to_integral_value()
                and (per * int(paid)).rounded(self.contract.money_rounding) == rebate
            ):
                steps.append(
                    _("Paid room nights {room_nights} × {rate} = {amount}").format(
                        room_nights=fmt.quantity(paid), rate=fmt.money(per), amount=fmt.money(rebate)
                    )
                )
            else:
                steps.append(
                    _("{rate} per paid room night: {amount}").format(
                        rate=fmt.money(per), amount=fmt.money(rebate)
                    )
                )
                quoted = self.line.steps[:1]
        elif terms is not None and terms.pct_of_room_revenue is not None:
            steps.append(
                _("{pct} of room revenue: {amount}").format(
                    pct=fmt.pct(terms.pct_of_room_revenue), amount=fmt.money(rebate)
                )
            )
            # The room revenue it is a percentage of is in the English step only.
            quoted = self.line.steps[:1]
        applied = -self.line.amount
        if applied != rebate:
            steps.append(
                _("Applied {applied}; {left} exceeds what is owed and is not applied.").format(
                    applied=fmt.money(applied), left=fmt.money(rebate - applied)
                )
            )
        return label, tuple(steps), quoted

    # -- F&B, rental, cancellation -----------------------------------------------------------
    def fnb_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        inputs = self.inputs
        minimum = Money(Decimal(inputs["minimum"]), self.currency)
        threshold = Money(minimum.amount * (100 - Decimal(inputs["allowance_pct"])) / 100, self.currency)
        spend = Decimal(inputs["credited_spend"])
        shortfall = Money(max(Decimal(0), threshold.amount - spend), self.currency)
        return (
            _("F&B minimum shortfall"),
            (
                _("F&B minimum {minimum}, allowance {allowance}; credited spend {spend}.").format(
                    minimum=fmt.money(minimum),
                    allowance=fmt.pct(inputs["allowance_pct"]),
                    spend=self.money(spend),
                ),
                _(
                    "Threshold = ({full} − {allowance}) × {minimum} = {threshold}; shortfall {shortfall}."
                ).format(
                    full=fmt.pct(Decimal(100)),
                    allowance=fmt.pct(inputs["allowance_pct"]),
                    minimum=fmt.money(minimum),
                    threshold=fmt.money(threshold),
                    shortfall=fmt.money(shortfall),
                ),
                _("Damages = {pct} of the shortfall = {amount}").format(
                    pct=fmt.pct(inputs["damages_pct"]), amount=self.amount
                ),
            ),
            (),
        )

    def rental_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        inputs = self.inputs
        value = Decimal(inputs["value"])
        is_spend = inputs["basis"] == ScaleBasis.FNB_SPEND
        basis = (
            _("Basis: credited F&B spend {value}.").format(value=self.money(value))
            if is_spend
            else _("Basis: room pickup {value} of the baseline.").format(
                value=fmt.pct(value.quantize(Decimal("0.01")))
            )
        )
        steps = [basis]
        scale = self.contract.rental_scale
        step = (
            next(
                (
                    s
                    for s in scale.steps
                    if s.from_value <= value and (s.to_value is None or value < s.to_value)
                ),
                None,
            )
            if scale is not None
            else None
        )
        if step is not None:
            shown = self.money if is_spend else fmt.pct
            steps.append(
                _("Scale step from {low} to below {high}.").format(
                    low=shown(step.from_value), high=shown(step.to_value)
                )
                if step.to_value is not None
                else _("Scale step from {low} up.").format(low=shown(step.from_value))
            )
        steps.append(
            _("The basis reaches the step where the rental is waived.")
            if self.line.amount.is_zero()
            else _("Rental from the scale step the basis falls in: {amount}").format(amount=self.amount)
        )
        return _("Meeting-room rental (sliding scale)"), tuple(steps), ()

    def cancellation_line(self) -> _Rebuilt:
        _ = self._
        fmt = self.fmt
        inputs = self.inputs
        contract = self.contract
        days = int(inputs["days_before_arrival"])
        notice = contract.arrival_date - timedelta(days=days)
        steps = [
            _("Notice received {notice}; arrival {arrival}.").format(
                notice=fmt.short_date(notice), arrival=fmt.short_date(contract.arrival_date)
            ),
            _("Days between notice and arrival: {days}; tier: {pct} of the cancellation base.").format(
                days=fmt.quantity(days), pct=fmt.pct(inputs["tier_pct"])
            ),
        ]
        clause = contract.cancellation
        if clause is not None:
            for component, (_label, value, pct) in zip(
                clause.base, cancellation_base(contract, notice), strict=True
            ):
                name = component.label or _(_COMPONENT_NAMES[component.kind])
                steps.append(
                    _("{component}: {amount}").format(component=name, amount=self.money(value))
                    if pct == 100
                    else _("{component}: {amount} × {pct}").format(
                        component=name, amount=self.money(value), pct=fmt.pct(pct)
                    )
                )
        steps.append(
            _("Fee = {pct} × {base} = {amount}").format(
                pct=fmt.pct(inputs["tier_pct"]), base=self.money(inputs["base"]), amount=self.amount
            )
        )
        return _("Cancellation fee"), tuple(steps), ()


def _pooled_credit(clause: AttritionClause, night: NightResult) -> Decimal:
    """Pooled pickup the engine credited to ``night`` (per_night_with_credit, docs/rules.md §3.3).

    The night result keeps the pickup before the credit and the shortfall after it, so the credit is
    their difference from the test's threshold: the minimum (deductible) or the baseline (cliff). A
    night the credit lifted to passing got exactly what it lacked.
    """
    credited, minimum = Decimal(night.credited_room_nights), night.minimum_room_nights
    if credited > minimum or (credited == minimum and clause.pass_if_equal):
        return Decimal(0)
    cliff = clause.threshold_semantics is ThresholdSemantics.CLIFF
    if night.shortfall_room_nights == 0:
        gap = minimum - credited
        if clause.pass_if_equal or not cliff:
            return gap
        return gap.to_integral_value(rounding=ROUND_FLOOR) + 1
    threshold = Decimal(night.baseline_room_nights) if cliff else minimum
    return threshold - credited - night.shortfall_room_nights


def _rate_working(base: str, rate: str, amount: str) -> str:
    return f"{base} × {rate} = {amount}"


def _room_test(
    assessment: Assessment, night: date | None, fmt: _Formats, _: Gettext, index: _RoomIndex
) -> tuple[str, ...]:
    """Baseline, minimum, credited pickup and shortfall: of the night, or of the whole block."""
    rooms = assessment.rooms
    if rooms is None:
        return ()
    result: NightResult | None = None
    if night is not None:
        result = index.by_night.get(night)
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
        on = enum_words(kind)
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


def localized_lines(
    assessment: Assessment, contract: Contract, locale: Locale, gettext: Gettext
) -> tuple[InvoiceLine, ...]:
    """The assessment's lines, labelled and worked out in ``gettext``'s language (for other documents,
    such as the exposure report, that show what is owed as the invoice would)."""
    fmt = _Formats(locale)
    index = _RoomIndex.of(assessment)
    return tuple(_invoice_line(line, assessment, contract, fmt, gettext, index) for line in assessment.lines)
