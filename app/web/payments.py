"""The payments of issued invoices as the staff pages show them: paid, outstanding, who recorded what
and when (in the hotel's time zone), and the form that records one, with its input kept and its errors
beside the fields. The contract page and the hotel's invoice list show the same thing
(``templates/web/_invoice_payments.html``); the routes are in ``app.web.invoicing``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from sqlmodel import Session

from app.engine.limits import MAX_AMOUNT
from app.persistence import repositories as repo
from app.persistence.records import InvoiceRecord
from app.services import payments
from app.services.assessments import hotel_today
from app.web.numbers import number_example, read_number
from app.web.views import FieldError, Formats


def read_amount(text: str, locale: Locale, errors: list[FieldError]) -> Decimal | None:
    """An amount as the hotel's locale writes it (``15,000.00``; ``15 000,00`` in French, with whatever
    space the keyboard typed), or None after adding to ``errors`` why it is not one. Whether it is more
    than zero and within the currency's decimal places is the service's to say."""
    typed = text.strip()
    if not typed:
        errors.append(FieldError("amount", "enter the amount received"))
        return None
    value = read_number(typed, locale)
    if value is None or abs(value) > MAX_AMOUNT:
        errors.append(
            FieldError("amount", f"“{typed[:40]}” is not an amount: write it like {number_example(locale)}")
        )
        return None
    return value


@dataclass(frozen=True, slots=True)
class PaymentLine:
    paid_on: str
    amount: str
    reference: str
    who: str
    when: str


@dataclass(frozen=True, slots=True)
class InvoicePayments:
    """One invoice's payments and its form (``form``: the values shown, ``errors``: by field name, with
    ``form`` for what belongs to no one field)."""

    number: str
    currency: str
    status: str
    paid: str
    outstanding: str
    can_pay: bool
    history: tuple[PaymentLine, ...]
    form: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _zone(timezone: str) -> tzinfo:
    try:
        return ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return UTC


def _who(label: str, names: dict[int, str]) -> str:
    if label.startswith("user:") and label[5:].isdigit():
        return names.get(int(label[5:]), "a former user")
    if label.startswith("key:"):
        return "an API key"
    return "not recorded"


def invoice_payments(
    session: Session, records: Sequence[InvoiceRecord], fmt: Formats, timezone: str
) -> dict[int, InvoicePayments]:
    """The payments view of each invoice among ``records`` (credit notes have none), by invoice id; the
    form's date is today at the hotel."""
    balances = payments.balances(session, records)
    labels = [row.recorded_by for balance in balances.values() for row in balance.payments]
    names = repo.staff_names(
        session, (int(label[5:]) for label in labels if label.startswith("user:") and label[5:].isdigit())
    )
    zone = _zone(timezone)
    today = hotel_today(timezone if zone is not UTC else "UTC")
    numbers = {record.id: record.number for record in records}
    views = {}
    for invoice_id, balance in balances.items():
        lines = []
        for row in balance.payments:
            local = row.recorded_at.astimezone(zone)
            lines.append(
                PaymentLine(
                    paid_on=fmt.day(row.paid_on),
                    amount=fmt.money(payments.rounded_amount(row)),
                    reference=row.reference,
                    who=_who(row.recorded_by, names),
                    when=f"{fmt.day(local.date())} {local.strftime('%H:%M')} {local.tzname() or ''}".rstrip(),
                )
            )
        views[invoice_id] = InvoicePayments(
            number=numbers[invoice_id],
            currency=balance.total.currency,
            status=payments.STATUS_WORDS[balance.status],
            paid=fmt.money(balance.paid),
            outstanding=fmt.money(balance.outstanding),
            can_pay=balance.can_pay,
            history=tuple(lines),
            form={"paid_on": today.isoformat(), "amount": "", "reference": ""},
        )
    return views
