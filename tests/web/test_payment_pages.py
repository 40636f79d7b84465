# ruff: noqa: F811  (the ``hotel`` fixture is imported from the staff pages' tests)
"""Recording payments in the staff pages, on both databases: each issued invoice shows what was paid and
what is outstanding, with a form (date defaulting to today at the hotel, the amount as the locale writes
it); a confirmation after saving, the history of who recorded what and when; errors beside the field
with the entered values kept, from the contract page and from the hotel's invoice list."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.persistence.records import InvoiceRecord, PaymentRecord, PropertyRecord
from app.services.assessments import hotel_today
from tests.web.test_invoicing_pages import invoices, issue
from tests.web.test_staff_pages import Hotel, hotel  # noqa: F401  (fixture)

ZONE = "America/Chicago"  # the congress hotel's


def payments(session: Session) -> list[PaymentRecord]:
    session.expire_all()
    return list(session.exec(select(PaymentRecord)))


@pytest.fixture
def invoice(client: TestClient, session: Session, hotel: Hotel) -> InvoiceRecord:
    assert issue(client, hotel) == 303  # an interim invoice, as of and dated today at the hotel
    [issued] = invoices(session)
    return issued


def usd(amount: Decimal) -> str:
    return format_currency(amount, "USD", locale="en")


def pay(client: TestClient, hotel: Hotel, number: str, **fields: str) -> object:
    data = {"csrf_token": hotel.csrf, "paid_on": hotel_today(ZONE).isoformat(), **fields}
    return client.post(f"/invoices/{number}/payments", data=data, follow_redirects=False)


def test_each_issued_invoice_shows_paid_outstanding_and_a_payment_form_dated_today(
    client: TestClient, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    total = Decimal(invoice.total_amount)
    for path in (f"/contracts/{hotel.contract_id}", "/invoices"):
        page = client.get(path)

        assert page.status_code == 200
        assert f"Record a payment against invoice {invoice.number}" in page.text
        assert f'action="/invoices/{invoice.number}/payments"' in page.text
        assert (
            f'id="pay-{invoice.number}-paid_on" name="paid_on" value="{hotel_today(ZONE).isoformat()}"'
            in page.text
        )
        assert html.unescape(
            f"<strong>{usd(Decimal(0))}</strong> paid, <strong>{usd(total)}</strong> outstanding"
        ) in html.unescape(page.text)
        assert "<td>Issued</td>" in page.text


def test_a_payment_written_with_grouping_is_recorded_confirmed_and_listed_with_who_recorded_it(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    total = Decimal(invoice.total_amount)
    amount = min(total - Decimal("0.01"), Decimal("1234.50"))
    written = format_decimal(amount, format="#,##0.00", locale="en")  # "1,234.50"

    saved = pay(client, hotel, invoice.number, amount=written, reference="Wire 88-A")
    page = client.get(saved.headers["location"])  # type: ignore[attr-defined]

    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert (
        saved.headers["location"]
        == f"/contracts/{hotel.contract_id}?paid={invoice.number}#payments-{invoice.number}"
    )  # type: ignore[attr-defined]
    [stored] = payments(session)
    assert (stored.amount, stored.currency, stored.reference) == (amount, "USD", "Wire 88-A")
    text = html.unescape(page.text)
    assert (
        f"The payment against invoice {invoice.number} was recorded: {usd(total - amount)} is outstanding."
        in text
    )
    assert "<td>Partly paid</td>" in page.text
    assert f"<strong>{usd(amount)}</strong> paid, <strong>{usd(total - amount)}</strong> outstanding" in text
    assert f"{usd(amount)} received on" in text
    assert "reference Wire 88-A (recorded by staff1@harbor.example" in text


def test_a_french_hotel_writes_the_amount_with_its_own_grouping_and_decimal_comma(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    prop = session.get(PropertyRecord, invoice.property_id)
    assert prop is not None
    prop.locale = "fr"
    session.add(prop)
    session.commit()
    amount = min(Decimal(invoice.total_amount), Decimal("1234.50"))
    written = format_decimal(amount, format="#,##0.00", locale="fr")  # "1 234,50" (a narrow space)

    typed = pay(
        client, hotel, invoice.number, amount=written.replace("\u202f", " ")
    )  # as a keyboard types it
    english = pay(client, hotel, invoice.number, amount="1,234.50")

    assert typed.status_code == 303, typed.text  # type: ignore[attr-defined]
    assert [row.amount for row in payments(session)] == [amount]
    assert english.status_code == 422  # type: ignore[attr-defined]
    assert "is not an amount" in html.unescape(english.text)  # type: ignore[attr-defined]


def test_the_rest_pays_the_invoice_and_the_form_goes(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    assert pay(client, hotel, invoice.number, amount=invoice.total_amount).status_code == 303  # type: ignore[attr-defined]

    page = client.get(f"/contracts/{hotel.contract_id}")

    assert "<td>Paid</td>" in page.text
    assert f"Record a payment against invoice {invoice.number}" not in page.text


def test_an_overpayment_is_refused_beside_the_amount_stating_the_balance_with_the_input_kept(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    total = Decimal(invoice.total_amount)
    too_much = format_decimal(total + 1, format="#,##0.00", locale="en")

    refused = pay(client, hotel, invoice.number, amount=too_much, reference="Cheque 1042")

    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = html.unescape(refused.text)  # type: ignore[attr-defined]
    assert f'id="pay-{invoice.number}-amount-error"' in text
    assert (
        f"the balance outstanding on invoice {invoice.number} is {usd(total)}: a payment may be at most that"
        in text
    )
    assert f'value="{too_much}"' in text
    assert 'value="Cheque 1042"' in text
    kept = f'id="pay-{invoice.number}-amount" name="amount" value="{too_much}" type="text"'
    assert f'{kept} inputmode="decimal" autocomplete="off" required aria-invalid="true"' in text
    assert "<details open>" in text
    assert payments(session) == []


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"amount": "12abc"}, "amount", "is not an amount"),
        ({"amount": ""}, "amount", "enter the amount received"),
        ({"amount": "0"}, "amount", "a payment is more than zero"),
        ({"amount": "10.001"}, "amount", "at most 2 decimal places"),
        ({"amount": "10.00", "paid_on": "tomorrow"}, "paid_on", "is not a date"),
        ({"amount": "10.00", "paid_on": ""}, "paid_on", "enter the day the payment was received"),
        ({"amount": "10.00", "reference": "r" * 121}, "reference", "at most 120 characters"),
    ],
)
def test_bad_payment_input_on_the_hotel_list_is_shown_beside_its_field_and_records_nothing(
    client: TestClient,
    session: Session,
    hotel: Hotel,
    invoice: InvoiceRecord,
    fields: dict[str, str],
    field: str,
    words: str,
) -> None:
    refused = pay(client, hotel, invoice.number, back="list", **fields)

    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "<h1>Invoices</h1>" in refused.text  # type: ignore[attr-defined]
    assert f'id="pay-{invoice.number}-{field}-error"' in refused.text  # type: ignore[attr-defined]
    assert words in html.unescape(refused.text)  # type: ignore[attr-defined]
    assert payments(session) == []


def test_a_payment_dated_after_today_at_the_hotel_is_refused(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    tomorrow = (hotel_today(ZONE) + timedelta(days=1)).isoformat()

    refused = pay(client, hotel, invoice.number, amount="10.00", paid_on=tomorrow)

    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert f'id="pay-{invoice.number}-paid_on-error"' in refused.text  # type: ignore[attr-defined]
    assert "a payment is recorded once received" in refused.text  # type: ignore[attr-defined]
    assert payments(session) == []


def test_the_hotel_list_records_a_payment_and_comes_back_confirmed(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    saved = pay(client, hotel, invoice.number, amount="100.00", back="list", property_id="", page="1")
    page = client.get(saved.headers["location"])  # type: ignore[attr-defined]

    assert saved.status_code == 303  # type: ignore[attr-defined]
    total = Decimal(invoice.total_amount)
    assert (
        f"The payment against invoice {invoice.number} was recorded: {usd(total - 100)} is outstanding."
        in html.unescape(page.text)
    )
    assert "<td>Partly paid</td>" in page.text
    assert len(payments(session)) == 1
    assert "was recorded" not in client.get("/invoices?paid=9-999999").text  # only for an invoice shown


def test_a_payment_needs_the_csrf_token_and_a_credited_invoice_offers_no_form(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    forged = client.post(
        f"/invoices/{invoice.number}/payments", data={"amount": "10.00"}, follow_redirects=False
    )
    client.post(
        f"/contracts/{hotel.contract_id}/invoices/{invoice.number}/credit-note",
        data={"csrf_token": hotel.csrf, "reason": "Corrected"},
    )
    page = client.get(f"/contracts/{hotel.contract_id}")
    late = pay(client, hotel, invoice.number, amount="10.00")

    assert forged.status_code == 403
    assert f"Record a payment against invoice {invoice.number}" not in page.text
    assert late.status_code == 409  # type: ignore[attr-defined]
    assert "has been credited by a credit note" in late.text  # type: ignore[attr-defined]
    assert payments(session) == []


def test_another_hotels_invoice_is_not_found(
    client: TestClient, session: Session, hotel: Hotel, invoice: InvoiceRecord
) -> None:
    assert pay(client, hotel, "999-000001", amount="10.00").status_code == 404  # type: ignore[attr-defined]
    assert payments(session) == []
