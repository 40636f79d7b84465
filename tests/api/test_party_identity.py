"""Seller and buyer identities and per-hotel invoice numbering through the API, on SQLite and PostgreSQL:
stored and read back, refused with a 422 naming the field, printed on the issued invoice, numbered in
the hotel's format (per year when it shows the year), and the warnings of what an invoice lacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.persistence.records import PropertyRecord
from tests.api.conftest import bearer, property_body
from tests.api.test_invoices import AS_OF, ISSUED, account_of, credit, import_sample, issue, text_of

SELLER: dict[str, Any] = {
    "legal_name": "Harbor Point Hospitality LLC",
    "address": {
        "lines": ["1 Embarcadero Center"],
        "postcode": "94111",
        "city": "San Francisco",
        "region": "CA",
        "country": "US",
    },
    "vat_id": "12-3456789",
    "registration": "Delaware file 7012345",
    "contact": {"name": "Dana Ruiz", "email": "ar@harborpoint.example", "phone": "+1 415 555 0100"},
    "bank": {
        "account_number": "000123456789",
        "routing_number": "021000021",
        "bank_name": "First Harbor Bank",
    },
    "payment_reference": "Invoice {number}",
}
BUYER: dict[str, Any] = {
    "legal_name": "Evergreen Engineering Inc.",
    "address": {
        "lines": ["400 Pine Street"],
        "postcode": "98101",
        "city": "Seattle",
        "region": "WA",
        "country": "US",
    },
    "tax_id": "98-7654321",
    "reference": "PO 55-1207",
    "contact": {"name": "Sam Lee", "email": "ap@evergreen.example"},
}


def fields(response: Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def put_property(client: TestClient, key: str, property_id: int, **changes: Any) -> Response:
    current = client.get(f"/api/v1/properties/{property_id}", headers=bearer(key))
    body = {
        name: current.json()[name]
        for name in (
            *("name", "address", "currency", "locale", "timezone", "tax_profile"),
            *("identity", "invoice_prefix", "invoice_number_format"),
        )
    }
    headers = bearer(key) | {"If-Match": current.headers["ETag"]}
    return client.put(f"/api/v1/properties/{property_id}", headers=headers, json=body | changes)


def put_account(client: TestClient, key: str, account_id: int, **changes: Any) -> Response:
    current = client.get(f"/api/v1/accounts/{account_id}", headers=bearer(key))
    body = {
        name: current.json()[name]
        for name in ("name", "contact_name", "contact_email", "language", "segment")
    }
    headers = bearer(key) | {"If-Match": current.headers["ETag"]}
    return client.put(f"/api/v1/accounts/{account_id}", headers=headers, json=body | changes)


def test_a_property_keeps_its_identity_and_numbering_and_reads_them_back(
    client: TestClient, admin_key: str
) -> None:
    created = client.post(
        "/api/v1/properties",
        headers=bearer(admin_key),
        json=property_body(
            identity=SELLER, invoice_prefix="HPH", invoice_number_format="{prefix}/{year}/{seq:05}"
        ),
    )

    assert created.status_code == 201, created.text
    read = client.get(created.headers["Location"], headers=bearer(admin_key)).json()
    assert read["identity"]["legal_name"] == "Harbor Point Hospitality LLC"
    assert read["identity"]["bank"]["routing_number"] == "021000021"
    assert read["identity"]["address"]["country"] == "US"
    assert (read["invoice_prefix"], read["invoice_number_format"]) == ("HPH", "{prefix}/{year}/{seq:05}")


def test_an_iban_is_normalised_and_a_bad_one_refused_naming_the_field(
    client: TestClient, admin_key: str
) -> None:
    uk = SELLER | {
        "address": {"lines": ["12 Queen Street"], "city": "Edinburgh", "country": "GB"},
        "vat_id": "GB284193734",
        "bank": {"iban": "gb29nwbk60161331926819", "bic": "NWBKGB2L"},
    }
    good = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body(identity=uk))
    bad = client.post(
        "/api/v1/properties",
        headers=bearer(admin_key),
        json=property_body(identity=uk | {"bank": {"iban": "GB29NWBK60161331926818", "bic": "NWBKGB2L"}}),
    )

    assert good.json()["identity"]["bank"]["iban"] == "GB29 NWBK 6016 1331 9268 19"
    assert bad.status_code == 422
    assert fields(bad) == ["identity.bank.iban"]
    assert "not a valid IBAN" in bad.json()["errors"][0]["message"]


def test_bad_identity_and_numbering_inputs_are_422s_naming_each_field(
    client: TestClient, admin_key: str
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"identity": SELLER | {"vat_id": "12-3456780x"}}, "identity.vat_id"),
        ({"identity": SELLER | {"address": {"country": "XX"}}}, "identity.address.country"),
        ({"identity": SELLER | {"contact": {"email": "not an email"}}}, "identity.contact.email"),
        ({"identity": SELLER | {"bank": {"iban": "", "account_number": "123456"}}}, "identity.bank"),
        ({"identity": SELLER | {"legal_name": "x" * 201}}, "identity.legal_name"),
        ({"identity": SELLER | {"payment_reference": "Invoice {numero}"}}, "identity.payment_reference"),
        ({"invoice_prefix": "hph"}, "invoice_prefix"),
        ({"invoice_prefix": "12"}, "invoice_prefix"),
        ({"invoice_number_format": "{prefix}-{seq:06}"}, "invoice_number_format"),  # no prefix set
        ({"invoice_prefix": "HPH", "invoice_number_format": "{prefix}-{year}"}, "invoice_number_format"),
        (
            {"invoice_prefix": "HPH", "invoice_number_format": "{year}-{prefix}-{seq}"},
            "invoice_number_format",
        ),
        (
            {"invoice_prefix": "HPH", "invoice_number_format": "{prefix}-{seq:06}-" + "X" * 30},
            "invoice_number_format",
        ),
    ]
    for body, field in cases:
        response = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body(**body))
        assert response.status_code == 422, (body, response.text)
        assert fields(response) == [field], body


def test_a_prefix_another_property_uses_is_a_409_naming_it(client: TestClient, admin_key: str) -> None:
    first = client.post(
        "/api/v1/properties", headers=bearer(admin_key), json=property_body(invoice_prefix="HPH")
    )
    second = client.post(
        "/api/v1/properties",
        headers=bearer(admin_key),
        json=property_body(name="Other Hotel", invoice_prefix="HPH"),
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert fields(second) == ["invoice_prefix"]


def test_an_account_keeps_its_buyer_identity_and_refuses_a_bad_tax_id(
    client: TestClient, admin_key: str, session: Session
) -> None:
    sample = import_sample(session)
    account = account_of(session, sample)

    updated = put_account(client, admin_key, account.id or 0, identity=BUYER)
    refused = put_account(client, admin_key, account.id or 0, identity=BUYER | {"tax_id": "98-765432"})

    assert updated.status_code == 200, updated.text
    assert updated.json()["identity"]["legal_name"] == "Evergreen Engineering Inc."
    assert updated.json()["identity"]["reference"] == "PO 55-1207"
    assert refused.status_code == 422
    assert fields(refused) == ["identity.tax_id"]


def test_the_issued_invoice_prints_both_identities_and_is_numbered_in_the_hotels_format(
    client: TestClient, admin_key: str, session: Session, tmp_path: Path
) -> None:
    sample = import_sample(session)
    account = account_of(session, sample)
    assert put_account(client, admin_key, account.id or 0, identity=BUYER).status_code == 200
    changed = put_property(client, admin_key, sample.property_id, identity=SELLER, invoice_prefix="HPH")
    assert changed.status_code == 200, changed.text

    issued = issue(client, admin_key, sample.contract_id)

    assert issued.status_code == 201, issued.text
    assert issued.json()["number"] == "HPH-2027-000001"
    assert issued.json()["warnings"] == []
    text = text_of(client.get(issued.json()["links"]["pdf"], headers=bearer(admin_key)).content, tmp_path)
    assert "Harbor Point Hospitality LLC" in text
    assert "VAT number 12-3456789" in text
    assert "Evergreen Engineering Inc." in text
    assert "400 Pine Street" in text
    assert "Your reference PO 55-1207" in text
    assert "Account number 000123456789" in text
    assert "Routing number 021000021" in text
    assert "Payment reference Invoice HPH-2027-000001" in text


def test_numbers_are_gap_free_per_year_when_the_format_shows_the_year(
    client: TestClient, admin_key: str, session: Session
) -> None:
    sample = import_sample(session)
    assert put_property(client, admin_key, sample.property_id, invoice_prefix="HPH").status_code == 200

    first = issue(client, admin_key, sample.contract_id).json()["number"]
    note = credit(client, admin_key, first).json()["number"]
    next_year = issue(client, admin_key, sample.contract_id, issue_date="2028-01-04").json()["number"]
    note_2028 = credit(client, admin_key, next_year, issue_date="2028-01-05").json()["number"]
    plain = put_property(client, admin_key, sample.property_id, invoice_number_format="{prefix}.{seq:04}")
    assert plain.status_code == 200, plain.text
    all_time = issue(client, admin_key, sample.contract_id, issue_date="2028-01-06").json()["number"]

    assert (first, note) == ("HPH-2027-000001", "HPH-2027-000002")
    assert (next_year, note_2028) == ("HPH-2028-000001", "HPH-2028-000002")
    assert all_time == "HPH.0001"


def test_a_property_without_a_prefix_keeps_its_original_numbers(
    client: TestClient, admin_key: str, session: Session
) -> None:
    sample = import_sample(session)

    number = issue(client, admin_key, sample.contract_id).json()["number"]

    assert number == f"{sample.property_id}-000001"
    record = session.get(PropertyRecord, sample.property_id)
    assert record is not None
    assert record.invoice_prefix is None


def test_the_preview_and_the_issue_response_say_what_the_invoice_lacks(
    client: TestClient, admin_key: str, session: Session
) -> None:
    sample = import_sample(session)
    uk_seller = SELLER | {
        "address": {"lines": ["12 Queen Street"], "city": "Edinburgh", "country": "GB"},
        "vat_id": "",
        "bank": {},
    }
    assert put_property(client, admin_key, sample.property_id, identity=uk_seller).status_code == 200
    account = account_of(session, sample)
    french_buyer = BUYER | {"address": {"lines": ["1 rue X"], "city": "Paris", "country": "FR"}, "tax_id": ""}
    assert put_account(client, admin_key, account.id or 0, identity=french_buyer).status_code == 200

    preview = client.get(
        f"/api/v1/contracts/{sample.contract_id}/invoices/preview?as_of={AS_OF}&issue_date={ISSUED}",
        headers=bearer(admin_key),
    )
    issued = issue(client, admin_key, sample.contract_id)

    assert preview.status_code == 200, preview.text
    codes = [(warning["code"], warning["fix"]) for warning in preview.json()["warnings"]]
    assert codes == [("seller_vat_id", "seller"), ("seller_bank", "seller"), ("buyer_vat_id", "buyer")]
    assert preview.json()["warnings"][0]["message"].startswith("The hotel's VAT number is not set")
    assert issued.status_code == 201
    assert [warning["code"] for warning in issued.json()["warnings"]] == [code for code, _ in codes]
    read = client.get(issued.json()["links"]["self"], headers=bearer(admin_key)).json()
    assert read["warnings"] == issued.json()["warnings"]
    assert issued.json()["issue_date"] == ISSUED


def test_importing_the_uk_sample_fills_both_identities_so_nothing_is_lacking(
    client: TestClient, admin_key: str, session: Session
) -> None:
    sample = import_sample(session, "edinburgh-actuaries-chronological-vat.yaml")

    preview = client.get(
        f"/api/v1/contracts/{sample.contract_id}/invoices/preview?as_of=2027-09-24&issue_date=2027-09-24",
        headers=bearer(admin_key),
    )
    hotel = client.get(f"/api/v1/properties/{sample.property_id}", headers=bearer(admin_key)).json()

    assert preview.status_code == 200, preview.text
    assert preview.json()["warnings"] == []
    assert hotel["identity"]["vat_id"] == "GB284193734"
