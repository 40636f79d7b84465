"""Payments against issued invoices through the API and the service, on SQLite and PostgreSQL: the
balance outstanding, each refusal naming its field, idempotent retries, and who may record one.

The invoices here are issued without a body, so as of today and dated today at the hotel: a payment
cannot be dated after today, so an invoice dated later could not be paid yet."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from app.engine.money import Money
from app.persistence.records import PaymentRecord
from app.services import auth, payments
from app.services.assessments import hotel_today
from app.services.auth import Principal
from app.services.errors import ConflictError, InvalidInputError
from tests.api.conftest import bearer
from tests.api.test_invoices import credit, import_sample

ZONE = "America/Los_Angeles"  # the sample hotel's


def issue_today(client: TestClient, key: str, contract_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/contracts/{contract_id}/invoices", headers=bearer(key))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def pay(
    client: TestClient, key: str, number: str, headers: dict[str, str] | None = None, **body: Any
) -> Response:
    return client.post(
        f"/api/v1/invoices/{number}/payments", headers={**bearer(key), **(headers or {})}, json=body
    )


def stored_payments(session: Session) -> list[PaymentRecord]:
    session.expire_all()
    return list(session.exec(select(PaymentRecord)))


@pytest.fixture
def invoice(client: TestClient, session: Session, admin_key: str) -> dict[str, Any]:
    sample = import_sample(session)
    return issue_today(client, admin_key, sample.contract_id)


def test_a_new_invoice_is_issued_with_its_whole_total_outstanding(invoice: dict[str, Any]) -> None:
    assert invoice["status"] == "issued"
    assert invoice["payments"] == []
    assert invoice["paid"] == {"amount": "0.00", "currency": "USD"}
    assert invoice["balance_outstanding"] == invoice["total"]


def test_payments_lower_the_balance_until_the_invoice_is_paid(
    client: TestClient, session: Session, admin_key: str, invoice: dict[str, Any]
) -> None:
    number, total = invoice["number"], Decimal(invoice["total"]["amount"])
    today = hotel_today(ZONE).isoformat()

    first = pay(client, admin_key, number, paid_on=today, amount="500.00", reference="BACS 4471")
    read = client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()
    rest = pay(client, admin_key, number, amount=str(total - 500))
    paid = client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()

    assert first.status_code == 201, first.text
    body = first.json()
    assert first.headers["Location"] == f"/api/v1/invoices/{number}/payments/{body['id']}" == body["link"]
    assert (body["paid_on"], body["amount"], body["reference"]) == (
        today,
        {"amount": "500.00", "currency": "USD"},
        "BACS 4471",
    )
    assert body["balance_outstanding"] == {"amount": str(total - 500), "currency": "USD"}
    assert body["status"] == "partly_paid"
    assert (
        client.get(first.headers["Location"], headers=bearer(admin_key)).json()["amount"]["amount"]
        == "500.00"
    )
    assert read["status"] == "partly_paid"
    assert read["paid"]["amount"] == "500.00"
    assert read["balance_outstanding"]["amount"] == str(total - 500)
    assert [(p["amount"]["amount"], p["recorded_by"]) for p in read["payments"]] == [
        ("500.00", body["recorded_by"])
    ]
    assert rest.status_code == 201, rest.text
    assert rest.json()["paid_on"] == today  # the default: today at the hotel
    assert (paid["status"], paid["balance_outstanding"]["amount"]) == ("paid", "0.00")
    assert len(stored_payments(session)) == 2


def test_a_payment_beyond_the_balance_is_refused_naming_amount_and_stating_the_balance(
    client: TestClient, session: Session, admin_key: str, invoice: dict[str, Any]
) -> None:
    number, total = invoice["number"], Decimal(invoice["total"]["amount"])
    assert pay(client, admin_key, number, amount="100.00").status_code == 201

    over = pay(client, admin_key, number, amount=str(total))
    assert pay(client, admin_key, number, amount=str(total - 100)).status_code == 201
    after_paid = pay(client, admin_key, number, amount="0.01")

    assert over.status_code == 422, over.text
    [problem] = over.json()["errors"]
    assert problem["field"] == "amount"
    balance = format_currency(total - 100, "USD", locale="en")  # the hotel's locale: "$1,516.80"
    assert problem["message"] == (
        f"the balance outstanding on invoice {number} is {balance}: a payment may be at most that"
    )
    assert after_paid.status_code == 422
    assert after_paid.json()["errors"][0] == {
        "field": "amount",
        "message": f"invoice {number} is paid in full: nothing is outstanding",
    }
    assert len(stored_payments(session)) == 2


def _bad_bodies() -> list[tuple[dict[str, Any], str]]:
    today = hotel_today(ZONE)
    return [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "10.001"}, "amount"),  # USD has two decimal places
        ({"amount": 10}, "amount"),  # an unquoted number would be a binary float
        ({"amount": "10.00 EUR"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": "1000000000000.01"}, "amount"),
        ({}, "amount"),
        ({"amount": "10.00", "paid_on": (today + timedelta(days=1)).isoformat()}, "paid_on"),
        ({"amount": "10.00", "paid_on": (today - timedelta(days=1)).isoformat()}, "paid_on"),  # before issue
        ({"amount": "10.00", "paid_on": "20270301"}, "paid_on"),
        ({"amount": "10.00", "reference": "x" * 121}, "reference"),
        ({"amount": "10.00", "reference": "BACS\x00"}, "reference"),
        ({"amount": "10.00", "reference": "two\nlines"}, "reference"),
        ({"amount": "10.00", "payer": "Northwind"}, "payer"),
    ]


@pytest.mark.parametrize(("body", "field"), _bad_bodies())
def test_bad_payment_input_is_a_422_naming_the_field_and_records_nothing(
    client: TestClient,
    session: Session,
    admin_key: str,
    invoice: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    response = pay(client, admin_key, invoice["number"], **body)

    assert response.status_code == 422, response.text
    assert [problem["field"] for problem in response.json()["errors"]] == [field]
    assert stored_payments(session) == []


def test_the_payment_date_refusals_say_which_day_in_words(
    client: TestClient, admin_key: str, invoice: dict[str, Any]
) -> None:
    today = hotel_today(ZONE)
    early = pay(
        client, admin_key, invoice["number"], amount="1.00", paid_on=(today - timedelta(days=3)).isoformat()
    )
    late = pay(
        client, admin_key, invoice["number"], amount="1.00", paid_on=(today + timedelta(days=3)).isoformat()
    )

    day = format_date(today, "medium", locale="en")
    assert early.json()["errors"][0]["message"] == (
        f"invoice {invoice['number']} was issued on {day}: a payment of it cannot be dated earlier"
    )
    assert (
        late.json()["errors"][0]["message"]
        == f"a payment is recorded once received: today at the hotel is {day}"
    )


def test_a_credit_note_and_a_credited_invoice_take_no_payment(
    client: TestClient, session: Session, admin_key: str, invoice: dict[str, Any]
) -> None:
    today = hotel_today(ZONE).isoformat()
    note = credit(client, admin_key, invoice["number"], issue_date=today).json()

    of_note = pay(client, admin_key, note["number"], amount="1.00")
    of_credited = pay(client, admin_key, invoice["number"], amount="1.00")
    read = client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()
    read_note = client.get(note["links"]["self"], headers=bearer(admin_key)).json()

    assert of_note.status_code == 409, of_note.text
    assert "is a credit note" in of_note.json()["detail"]
    assert of_credited.status_code == 409, of_credited.text
    assert "has been credited" in of_credited.json()["detail"]
    assert (read["status"], read["balance_outstanding"]["amount"]) == ("credited", "0.00")
    assert (read_note["status"], read_note["balance_outstanding"], read_note["payments"]) == (None, None, [])
    assert stored_payments(session) == []


def test_crediting_a_paid_invoice_leaves_the_refund_as_a_negative_balance(
    client: TestClient, admin_key: str, invoice: dict[str, Any]
) -> None:
    assert pay(client, admin_key, invoice["number"], amount="200.00").status_code == 201
    credit(client, admin_key, invoice["number"], issue_date=hotel_today(ZONE).isoformat())

    read = client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()

    assert (read["status"], read["balance_outstanding"]["amount"]) == ("credited", "-200.00")


def test_a_retry_with_the_same_idempotency_key_records_once_and_gets_the_first_answer(
    client: TestClient, session: Session, admin_key: str, invoice: dict[str, Any]
) -> None:
    key = {"Idempotency-Key": "payment-7f3a"}
    first = pay(client, admin_key, invoice["number"], headers=key, amount="250.00", reference="Wire 1")
    again = pay(client, admin_key, invoice["number"], headers=key, amount="250.00", reference="Wire 1")
    other = pay(client, admin_key, invoice["number"], headers=key, amount="251.00", reference="Wire 1")

    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(stored_payments(session)) == 1


def test_a_read_only_key_cannot_record_a_payment_and_another_hotels_key_finds_no_invoice(
    client: TestClient, session: Session, admin_key: str, invoice: dict[str, Any], make_key: Any
) -> None:
    reader = make_key(auth.Access.READ, {invoice["property_id"]})
    elsewhere = import_sample(session, reference="elsewhere", hotel="Elsewhere Hotel")
    stranger = make_key(auth.Access.READ_WRITE, {elsewhere.property_id})

    assert pay(client, reader, invoice["number"], amount="1.00").status_code == 403
    assert pay(client, stranger, invoice["number"], amount="1.00").status_code == 404
    assert pay(client, admin_key, "9-999999", amount="1.00").status_code == 404
    assert (
        client.get(
            f"/api/v1/invoices/{invoice['number']}/payments/999999", headers=bearer(admin_key)
        ).status_code
        == 404
    )
    assert stored_payments(session) == []


def test_the_service_refuses_what_the_api_model_refuses_whoever_calls_it(
    session: Session, invoice: dict[str, Any]
) -> None:
    principal = Principal("test", None, can_write=True, is_admin=True)
    number = invoice["number"]

    refusals = []
    for amount in (Money(Decimal("5.00"), "EUR"), Money(Decimal("5.001"), "USD"), Money(Decimal("0"), "USD")):
        with pytest.raises(InvalidInputError) as refused:
            payments.record_payment(session, principal, number, amount=amount)
        refusals.append([problem.field for problem in refused.value.problems])
    with pytest.raises(InvalidInputError) as bad_reference:
        payments.record_payment(
            session, principal, number, amount=Money(Decimal("5.00"), "USD"), reference="a\rb"
        )

    assert refusals == [["amount"]] * 3
    assert [problem.field for problem in bad_reference.value.problems] == ["reference"]
    assert stored_payments(session) == []


def test_an_invoice_takes_at_most_its_number_of_payments(
    client: TestClient, session: Session, invoice: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(payments, "MAX_PAYMENTS_PER_INVOICE", 2)
    principal = Principal("test", None, can_write=True, is_admin=True)
    one_cent = Money(Decimal("0.01"), "USD")
    payments.record_payment(session, principal, invoice["number"], amount=one_cent)
    payments.record_payment(session, principal, invoice["number"], amount=one_cent)

    with pytest.raises(ConflictError):
        payments.record_payment(session, principal, invoice["number"], amount=one_cent)

    assert len(stored_payments(session)) == 2
