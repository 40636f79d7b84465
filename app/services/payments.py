"""Payments received against issued invoices, and the balance each invoice leaves outstanding.

    balance outstanding = invoice total - credit notes against it - payments

A payment is recorded in the invoice's currency, dated from the invoice's issue date to today at the
hotel, and never beyond the balance outstanding: a hotel records what it received against what it
billed, and money received beyond that (or against a credit note) is a refund question for the
accounts, not a payment of this invoice. Payments are insert-only, like the invoices they pay.

Two payments of one invoice sent at the same moment are checked one after the other: the invoice's row
is locked (``invoice_repository.lock_invoice``) before its balance is read, in the request's write
transaction, so the second sees the first and cannot overpay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.engine.limits import CONTROL_EXCEPT_NEWLINES, MAX_AMOUNT, IsoDate, OneLine
from app.engine.money import Money, minor_units, money_sum, rounded_money
from app.persistence import invoice_repository
from app.persistence import repositories as repo
from app.persistence.records import InvoiceRecord, PaymentRecord, PropertyRecord
from app.services.assessments import hotel_today
from app.services.auth import Principal
from app.services.errors import ConflictError, InvalidInputError, Problem
from app.services.invoices import InvoiceKind, get_invoice

#: A payment's reference (a bank transfer's reference, a cheque number): one line, as banks print them.
MAX_REFERENCE_CHARS = 120
#: Payments of one invoice: far more instalments than any group settles in, and a bound on the history
#: every page and response lists. The amount of each is bounded by the balance outstanding, and so by
#: the largest amount accepted (``app.engine.limits.MAX_AMOUNT``).
MAX_PAYMENTS_PER_INVOICE = 200


class PaymentStatus(StrEnum):
    ISSUED = "issued"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    CREDITED = "credited"


#: The status as people read it.
STATUS_WORDS = {
    PaymentStatus.ISSUED: "Issued",
    PaymentStatus.PARTLY_PAID: "Partly paid",
    PaymentStatus.PAID: "Paid",
    PaymentStatus.CREDITED: "Credited",
}


class PaymentCreate(BaseModel):
    """A payment received against an invoice."""

    model_config = ConfigDict(extra="forbid")

    paid_on: IsoDate | None = Field(
        default=None,
        description="The day the money was received (default: today at the hotel); not before the "
        "invoice's issue date, not after today at the hotel",
    )
    amount: Money = Field(
        description='In the invoice\'s currency, quoted: "500.00", "500.00 USD" or {"amount": "500.00", '
        '"currency": "USD"}; more than zero, no more decimal places than the currency has, and at most '
        "the balance outstanding"
    )
    reference: OneLine = Field(
        default="",
        max_length=MAX_REFERENCE_CHARS,
        description=f"The bank's or payer's reference, one line of at most {MAX_REFERENCE_CHARS} characters",
    )


@dataclass(frozen=True, slots=True)
class Balance:
    """What an invoice billed, what credit notes took back, what was paid, and what is left."""

    total: Money
    credited: Money
    paid: Money
    outstanding: Money
    status: PaymentStatus
    payments: tuple[PaymentRecord, ...]

    @property
    def can_pay(self) -> bool:
        return (
            self.status in (PaymentStatus.ISSUED, PaymentStatus.PARTLY_PAID) and self.outstanding.amount > 0
        )


def _money(amount: Decimal | str, currency: str) -> Money:
    # Amounts are stored exactly; PostgreSQL's NUMERIC(16, 3) gives back three places, so each is shown
    # at its currency's minor unit (no rounding happens: a stored amount has no more places than that).
    return rounded_money(Decimal(amount), currency)


def rounded_amount(record: PaymentRecord) -> Money:
    """A stored payment's amount at its currency's minor unit."""
    return _money(record.amount, record.currency)


def balances(session: Session, records: Iterable[InvoiceRecord]) -> dict[int, Balance]:
    """The balance of each invoice among ``records`` (credit notes have none), by invoice id."""
    invoices = [record for record in records if record.kind == InvoiceKind.INVOICE and record.id is not None]
    ids = [record.id for record in invoices if record.id is not None]
    payments = invoice_repository.payments_of(session, ids)
    credits = invoice_repository.credit_note_totals(session, ids)
    result = {}
    for record in invoices:
        assert record.id is not None
        currency = record.currency
        total = _money(record.total_amount, currency)
        credited = money_sum(
            (_money(-Decimal(text), currency) for text in credits.get(record.id, ())), currency
        )
        paid = money_sum((_money(row.amount, row.currency) for row in payments[record.id]), currency)
        outstanding = total - credited - paid
        if credited.amount > 0:
            status = PaymentStatus.CREDITED
        elif paid.amount > 0 and outstanding.amount <= 0:
            status = PaymentStatus.PAID
        elif paid.amount > 0:
            status = PaymentStatus.PARTLY_PAID
        else:
            status = PaymentStatus.ISSUED
        result[record.id] = Balance(total, credited, paid, outstanding, status, tuple(payments[record.id]))
    return result


def balance_of(session: Session, record: InvoiceRecord) -> Balance | None:
    """The invoice's balance; None for a credit note."""
    return balances(session, [record]).get(record.id or 0)


def record_payment(
    session: Session,
    principal: Principal,
    number: str,
    *,
    amount: Money,
    paid_on: date | None = None,
    reference: str = "",
) -> PaymentRecord:
    """Record a payment received against invoice ``number``. The caller commits, in the transaction this
    reads in (a write: ``BEGIN IMMEDIATE`` on SQLite), and the invoice's row stays locked until then.

    Refused, naming the field (422): an amount that is not more than zero, not in the invoice's currency,
    with more decimal places than that currency has, larger than the largest amount accepted, or larger
    than the balance outstanding (the message states the balance, in the hotel's money); a date before
    the invoice's issue date or after today at the hotel; a reference over its length or with a control
    character. Refused as a conflict (409): a credit note, an invoice a credit note has credited, and an
    invoice that already has ``MAX_PAYMENTS_PER_INVOICE`` payments or nothing outstanding.
    """
    invoice = get_invoice(session, principal, number, with_pdf=False)
    principal.require_write(invoice.property_id, f"invoice {number}")
    prop = repo.get(session, PropertyRecord, invoice.property_id)
    assert prop is not None
    assert invoice.id is not None
    words = _Words(prop.locale)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ConflictError(
            f"{number} is a credit note: payments are recorded against invoices",
            [Problem("number", f"{number} is a credit note: record the payment against an invoice")],
        )
    _check_amount(amount, invoice.currency, words)
    today = hotel_today(prop.timezone)
    paid_on = paid_on or today
    if paid_on < invoice.issue_date:
        raise InvalidInputError(
            "the payment is dated before the invoice",
            [
                Problem(
                    "paid_on",
                    f"invoice {number} was issued on {words.day(invoice.issue_date)}: a payment of it "
                    "cannot be dated earlier",
                )
            ],
        )
    if paid_on > today:
        raise InvalidInputError(
            "the payment is dated in the future",
            [
                Problem(
                    "paid_on",
                    f"a payment is recorded once received: today at the hotel is {words.day(today)}",
                )
            ],
        )
    reference = reference.strip()
    if (
        len(reference) > MAX_REFERENCE_CHARS
        or CONTROL_EXCEPT_NEWLINES.search(reference)
        or "\n" in reference
        or "\r" in reference
    ):
        raise InvalidInputError(
            "the reference is too long or has a control character",
            [
                Problem(
                    "reference", f"write the reference on one line, at most {MAX_REFERENCE_CHARS} characters"
                )
            ],
        )

    invoice_repository.lock_invoice(session, invoice.id)  # held until the caller commits
    balance = balance_of(session, invoice)
    assert balance is not None
    if balance.status == PaymentStatus.CREDITED:
        raise ConflictError(
            f"invoice {number} has been credited: nothing is owed on it",
            [
                Problem(
                    "number", f"invoice {number} has been credited by a credit note: nothing is owed on it"
                )
            ],
        )
    if len(balance.payments) >= MAX_PAYMENTS_PER_INVOICE:
        raise ConflictError(
            f"invoice {number} already has {MAX_PAYMENTS_PER_INVOICE} payments",
            [Problem("number", f"an invoice takes at most {MAX_PAYMENTS_PER_INVOICE} payments")],
        )
    if amount > balance.outstanding:
        owed = words.money(balance.outstanding)
        message = (
            f"invoice {number} is paid in full: nothing is outstanding"
            if balance.outstanding.amount <= 0
            else f"the balance outstanding on invoice {number} is {owed}: a payment may be at most that"
        )
        raise InvalidInputError(
            "the payment is more than the balance outstanding", [Problem("amount", message)]
        )
    return invoice_repository.add_payment(
        session,
        PaymentRecord(
            invoice_id=invoice.id,
            paid_on=paid_on,
            amount=amount.amount,
            currency=amount.currency,
            reference=reference,
            recorded_by=principal.label,
        ),
    )


def _check_amount(amount: Money, currency: str, words: _Words) -> None:
    """The amount checks every caller gets (the API's model makes most of them too, the pages do not)."""
    if amount.currency != currency:
        raise InvalidInputError(
            "the payment is in another currency",
            [Problem("amount", f"the invoice is in {currency}: record the payment in {currency}")],
        )
    if amount.amount <= 0:
        raise InvalidInputError(
            "the payment is not more than zero", [Problem("amount", "a payment is more than zero")]
        )
    if amount.amount > MAX_AMOUNT:
        raise InvalidInputError(
            "the payment is too large",
            [Problem("amount", f"a payment is at most {words.number(MAX_AMOUNT)}")],
        )
    places = minor_units(currency)
    exponent = amount.amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidInputError(
            "the payment has too many decimal places",
            [Problem("amount", f"an amount in {currency} has at most {places} decimal places")],
        )


@dataclass(frozen=True, slots=True)
class _Words:
    """Money and dates in a message, as the hotel's locale writes them."""

    locale: Locale

    def __init__(self, locale: str) -> None:
        try:
            parsed = Locale.parse(locale.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            parsed = Locale.parse("en")
        object.__setattr__(self, "locale", parsed)

    def money(self, value: Money) -> str:
        return format_currency(value.amount, value.currency, locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, "medium", locale=self.locale)

    def number(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale)
