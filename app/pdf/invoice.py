"""The damages invoice render model: an engine assessment, every figure already formatted for the locale.

The template only places strings: money, percentages, quantities and dates are formatted here with
Babel, and every sum (the totals block, the due date) is worked out here, never in the template.

Every line's label and working, the terms, assumptions and conditions are the engine's explanations
rendered in the invoice's language by :mod:`app.wording`, the one renderer the pages and the CLI use too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from app.engine.contract import Contract
from app.engine.money import Money
from app.engine.results import Assessment, LineItem, LineKind
from app.pdf.i18n import invoice_language, number_locale, translations
from app.pdf.parties import Parties
from app.wording import Wording, wording

Gettext = Callable[[str], str]

_CREDIT_KINDS = frozenset({LineKind.DEPOSIT, LineKind.REBATE})
_TAX_KINDS = frozenset({LineKind.TAX, LineKind.SERVICE_CHARGE})


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is used."""
    return message


#: The number an invoice shows when it is previewed before it is issued (translated where it is used).
DRAFT_NUMBER = N_("DRAFT")

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
    (docs/architecture.md, "Documents"); the due date is the issue date plus the contract's payment terms.
    """
    account_locale = contract.property.locale
    language = invoice_language(language, account_locale)
    catalog = translations(language)
    _ = catalog.gettext
    fmt = _Formats(number_locale(language, account_locale))
    said = wording(language, fmt.locale)
    currency = assessment.currency
    due = issue_date + timedelta(days=contract.payment_terms_days)
    if bill_to is None:
        bill_to = [contract.group.name]
        if contract.group.account:
            bill_to.append(_("Account {account}").format(account=contract.group.account))
    lines = localized_lines(assessment, said)
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
        conditions=said.all(assessment.conditions),
        terms=tuple(_with_default(said.say(term.text), term.is_default, _) for term in assessment.terms),
        assumptions=said.all(term.text for term in assessment.assumptions),
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


# --- terms, conditions and lines -----------------------------------------------------------------


def _with_default(text: str, is_default: bool, _: Gettext) -> str:
    return _("{term} (default)").format(term=text) if is_default else text


def _invoice_line(line: LineItem, said: Wording, fmt: _Formats) -> InvoiceLine:
    return InvoiceLine(
        label=said.say(line.label),
        working=said.all(line.steps),
        amount=fmt.money(line.amount),
        is_credit=line.amount.amount < 0,
    )


def localized_lines(assessment: Assessment, said: Wording) -> tuple[InvoiceLine, ...]:
    """The assessment's lines, labelled and worked out in ``said``'s language (for other documents,
    such as the exposure report, that show what is owed as the invoice would)."""
    fmt = _Formats(said.locale)
    return tuple(_invoice_line(line, said, fmt) for line in assessment.lines)
