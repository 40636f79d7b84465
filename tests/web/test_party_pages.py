# ruff: noqa: F811  (the ``hotel`` fixture is imported from the staff pages' tests)
"""The hotel details and account details pages over HTTP on SQLite and PostgreSQL: reachable from the
contract page, saving what the API stores, refusing bad input with the input kept and the message
beside the field, and the invoice preview's warnings linking to them."""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.persistence.records import AccountRecord, PropertyRecord
from app.services.contracts import load_contract
from tests.web.test_staff_pages import ADMIN, Hotel, hotel  # noqa: F401  (fixture)

SELLER_FORM = {
    "legal_name": "Lakeshore Convention Hotels LLC",
    "address_line1": "301 E North Water St",
    "postcode": "60611",
    "city": "Chicago",
    "region": "IL",
    "country": "US",
    "vat_id": "36-4123456",
    "registration": "Illinois LLC 01234567",
    "contact_name": "Pat Kim",
    "contact_email": "billing@lakeshore.example",
    "contact_phone": "+1 312 555 0199",
    "account_number": "000987654321",
    "routing_number": "071000013",
    "bank_name": "Lakeshore Bank",
    "payment_reference": "Invoice {number}",
    "invoice_prefix": "LCH",
    "invoice_number_format": "",
}
BUYER_FORM = {
    "legal_name": "Great Lakes Surgical Congress Inc.",
    "address_line1": "55 W Monroe St",
    "address_line2": "Suite 1200",
    "postcode": "60603",
    "city": "Chicago",
    "region": "IL",
    "country": "US",
    "tax_id": "36-7654321",
    "reference": "PO 88-2027",
    "contact_name": "Alex Doe",
    "contact_email": "ap@glsc.example",
}


def ids(session: Session, hotel: Hotel) -> tuple[int, int]:
    record = load_contract(session, ADMIN, hotel.contract_id).record
    assert record.account_id is not None
    return record.property_id, record.account_id


def post(client: TestClient, path: str, hotel: Hotel, form: dict[str, str], **extra: str) -> Any:
    page = client.get(path)
    revision = page.text.split('name="revision" value="', 1)[1].split('"', 1)[0]
    data = {"csrf_token": hotel.csrf, "revision": revision, **form, **extra}
    return client.post(path, data=data, follow_redirects=False)


def test_the_contract_page_links_to_the_hotel_and_account_details(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    property_id, account_id = ids(session, hotel)

    page = client.get(f"/contracts/{hotel.contract_id}")

    assert f'href="/properties/{property_id}/details?back=/contracts/{hotel.contract_id}"' in page.text
    assert f'href="/accounts/{account_id}/details?back=/contracts/{hotel.contract_id}"' in page.text


def test_the_hotel_form_saves_the_identity_and_numbering(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    property_id, _ = ids(session, hotel)
    path = f"/properties/{property_id}/details"

    saved = post(client, path, hotel, SELLER_FORM)
    shown = client.get(saved.headers["location"])

    assert saved.status_code == 303, saved.text
    session.expire_all()
    record = session.get(PropertyRecord, property_id)
    assert record is not None
    assert record.invoice_prefix == "LCH"
    assert record.identity is not None
    assert record.identity["legal_name"] == "Lakeshore Convention Hotels LLC"
    assert record.identity["bank"]["routing_number"] == "071000013"
    assert record.identity["address"]["lines"] == ["301 E North Water St"]
    assert "Saved." in shown.text
    assert 'value="Lakeshore Convention Hotels LLC"' in shown.text
    assert '<option value="US" selected>United States</option>' in shown.text


def test_a_bad_hotel_form_comes_back_with_the_input_kept_and_the_message_beside_the_field(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    property_id, _ = ids(session, hotel)
    path = f"/properties/{property_id}/details"
    bad = SELLER_FORM | {"routing_number": "071000014", "contact_email": "billing at lakeshore", "iban": ""}

    refused = post(client, path, hotel, bad)

    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Nothing was saved: 2 fields need attention" in text
    assert 'id="routing_number-error">not a valid US routing number' in text
    assert 'id="contact_email-error">' in text
    assert 'value="billing at lakeshore"' in text  # kept as typed
    assert 'value="Lakeshore Convention Hotels LLC"' in text
    assert "identity." not in text  # field paths never reach the page
    session.expire_all()
    record = session.get(PropertyRecord, property_id)
    assert record is not None
    assert record.identity is None


def test_a_number_format_without_the_sequence_is_refused_beside_the_format(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    property_id, _ = ids(session, hotel)

    refused = post(
        client,
        f"/properties/{property_id}/details",
        hotel,
        SELLER_FORM | {"invoice_number_format": "{prefix}-{year}"},
    )

    assert refused.status_code == 422
    assert 'id="invoice_number_format-error">the format must hold the sequence number once' in html.unescape(
        refused.text
    )


def test_the_account_form_saves_the_buyer_and_returns_to_where_it_was_opened(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    _, account_id = ids(session, hotel)
    path = f"/accounts/{account_id}/details"

    saved = post(client, path, hotel, BUYER_FORM, back=f"/contracts/{hotel.contract_id}")
    elsewhere = post(client, path, hotel, BUYER_FORM, back="https://evil.example/")

    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/contracts/{hotel.contract_id}"
    assert elsewhere.headers["location"] == f"{path}?saved=1"
    session.expire_all()
    account = session.get(AccountRecord, account_id)
    assert account is not None
    assert account.identity is not None
    assert account.identity["address"]["lines"] == ["55 W Monroe St", "Suite 1200"]
    assert account.identity["reference"] == "PO 88-2027"


def test_another_hotels_details_are_not_found(client: TestClient, session: Session, hotel: Hotel) -> None:
    other = load_contract(session, ADMIN, hotel.other_contract_id).record

    response = client.get(f"/properties/{other.property_id}/details")

    assert response.status_code == 404


def test_the_preview_warns_of_what_the_invoice_lacks_and_links_to_the_forms(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    property_id, account_id = ids(session, hotel)

    before = client.get(f"/contracts/{hotel.contract_id}/invoices/preview", params={"language": "en"})
    post(client, f"/properties/{property_id}/details", hotel, SELLER_FORM)
    post(client, f"/accounts/{account_id}/details", hotel, BUYER_FORM)
    after = client.get(f"/contracts/{hotel.contract_id}/invoices/preview", params={"language": "en"})

    assert before.status_code == 200, before.text
    text = html.unescape(before.text)
    assert "This invoice lacks details an invoice needs in the hotel's country" in text
    assert "The hotel's legal name is not set." in text
    assert f'href="/properties/{property_id}/details?back=' in text
    assert "Fill in the hotel's details" in text
    assert "seller_legal_name" not in text
    assert after.status_code == 200
    assert "This invoice lacks details" not in html.unescape(after.text)
    assert "LCH-" not in after.text  # a preview takes no number
