# ruff: noqa: F811  (the ``hotel`` fixture is imported from the staff pages' tests)
"""Invoicing in the staff pages: preview before issuing, an explicit interim choice before the stay is
over, credit notes from the page, and the hotel's invoices with their status. On both databases."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.persistence.records import AccountRecord, ContractRecord, InvoiceRecord, PropertyRecord
from tests.pdf.rendering import pdf_text
from tests.web.test_staff_pages import Hotel, hotel  # noqa: F401  (fixture)


def invoices(session: Session) -> list[InvoiceRecord]:
    session.expire_all()
    return list(session.exec(select(InvoiceRecord).order_by(InvoiceRecord.id)))  # type: ignore[arg-type]


def issue(client: TestClient, hotel: Hotel, **extra: str) -> int:
    data = {"csrf_token": hotel.csrf, "language": "en", "confirm": "yes", "interim": "yes", **extra}
    return client.post(
        f"/contracts/{hotel.contract_id}/invoices", data=data, follow_redirects=False
    ).status_code


def test_the_contract_page_previews_before_it_issues(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    page = client.get(f"/contracts/{hotel.contract_id}")
    unconfirmed = client.post(
        f"/contracts/{hotel.contract_id}/invoices",
        data={"csrf_token": hotel.csrf, "language": "fr", "as_of": "2027-01-05"},
        follow_redirects=False,
    )

    assert f'action="/contracts/{hotel.contract_id}/invoices/preview"' in page.text
    assert "Preview the invoice" in page.text
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == (
        f"/contracts/{hotel.contract_id}/invoices/preview?as_of=2027-01-05&language=fr"
    )
    assert invoices(session) == []


def test_the_preview_shows_the_invoice_and_its_draft_pdf_and_stores_nothing(
    client: TestClient,
    session: Session,
    hotel: Hotel,
    tmp_path: Path,
) -> None:
    preview = client.get(f"/contracts/{hotel.contract_id}/invoices/preview", params={"language": "fr"})
    pdf_link = re.search(r'href="([^"]*/invoices/preview\.pdf[^"]*)"', preview.text)
    assert pdf_link is not None
    pdf = client.get(pdf_link.group(1).replace("&amp;", "&"))

    assert preview.status_code == 200, preview.text
    assert "Nothing is issued yet" in preview.text
    assert 'name="interim"' in preview.text  # the stay is still to come: an interim invoice
    assert "BROUILLON" in preview.text  # the draft's number, in the invoice language
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    (tmp_path / "draft.pdf").write_bytes(pdf.content)
    assert "BROUILLON" in pdf_text(tmp_path / "draft.pdf")
    assert invoices(session) == []


def test_before_the_stay_is_over_issuing_needs_the_interim_choice(
    client: TestClient,
    session: Session,
    hotel: Hotel,
) -> None:
    data = {"csrf_token": hotel.csrf, "language": "en", "confirm": "yes"}
    refused = client.post(f"/contracts/{hotel.contract_id}/invoices", data=data)

    assert refused.status_code == 422
    assert 'id="interim-error"' in refused.text
    assert "confirm that this is an interim invoice" in refused.text
    assert invoices(session) == []
    assert issue(client, hotel) == 303
    assert len(invoices(session)) == 1


def test_an_invoice_is_credited_from_the_page_and_can_then_be_issued_again(
    client: TestClient,
    session: Session,
    hotel: Hotel,
) -> None:
    assert issue(client, hotel) == 303
    [first] = invoices(session)
    url = f"/contracts/{hotel.contract_id}/invoices/{first.number}/credit-note"

    blank = client.post(url, data={"csrf_token": hotel.csrf, "reason": "  "})
    credited = client.post(
        url, data={"csrf_token": hotel.csrf, "reason": "Pickup report corrected"}, follow_redirects=False
    )
    again = client.post(url, data={"csrf_token": hotel.csrf, "reason": "twice"})
    page = client.get(credited.headers["location"])
    reissued = issue(client, hotel)

    assert blank.status_code == 422
    assert "give the reason for the credit" in blank.text
    assert credited.status_code == 303, credited.text
    stored = invoices(session)
    note = stored[1]
    assert (note.kind, note.credits_invoice_id) == ("credit_note", first.id)
    assert f"Credit note {note.number} was issued." in page.text
    assert f"Credited by {note.number}" in page.text
    assert f"Credits invoice {first.number}" in page.text
    assert again.status_code == 409
    assert reissued == 303
    assert len(invoices(session)) == 3


def test_another_contracts_invoice_cannot_be_credited_through_this_contract(
    client: TestClient,
    session: Session,
    hotel: Hotel,
) -> None:
    assert issue(client, hotel) == 303
    [first] = invoices(session)

    response = client.post(
        f"/contracts/{hotel.other_contract_id}/invoices/{first.number}/credit-note",
        data={"csrf_token": hotel.csrf, "reason": "wrong contract"},
    )

    assert response.status_code == 404
    assert len(invoices(session)) == 1


def test_the_hotels_invoices_page_lists_each_with_its_status(
    client: TestClient,
    session: Session,
    hotel: Hotel,
) -> None:
    assert issue(client, hotel) == 303
    [first] = invoices(session)
    client.post(
        f"/contracts/{hotel.contract_id}/invoices/{first.number}/credit-note",
        data={"csrf_token": hotel.csrf, "reason": "Corrected"},
    )
    note = invoices(session)[1]

    page = client.get("/invoices")
    filtered = client.get("/invoices", params={"property_id": str(first.property_id)})
    elsewhere = client.get("/invoices", params={"property_id": "999999"})

    assert page.status_code == 200
    assert f"Credited by {note.number}" in page.text
    assert f"Credits invoice {first.number}" in page.text
    assert f'href="/contracts/{hotel.contract_id}#invoices"' in page.text
    assert "2 in all" in filtered.text
    assert elsewhere.status_code == 404  # a hotel this user may not see is not found


def test_portuguese_is_offered_as_portugals_and_brazils_and_a_brazilian_property_gets_brazils(
    client: TestClient, session: Session, hotel: Hotel, tmp_path: Path
) -> None:
    contract = session.get(ContractRecord, hotel.contract_id)
    assert contract is not None
    prop = session.get(PropertyRecord, contract.property_id)
    assert prop is not None
    assert contract.account_id is not None
    account = session.get(AccountRecord, contract.account_id)
    assert account is not None
    account.language, prop.locale = "de", "pt_BR"  # no catalog for the account's: the property's decides
    session.add_all([account, prop])
    session.commit()

    page = client.get(f"/contracts/{hotel.contract_id}")
    preview = client.get(f"/contracts/{hotel.contract_id}/invoices/preview", params={"language": "pt_BR"})
    pdf_link = re.search(r'href="([^"]*/invoices/preview\.pdf[^"]*)"', preview.text)
    assert pdf_link is not None
    pdf = client.get(pdf_link.group(1).replace("&amp;", "&"))

    assert page.status_code == 200, page.text
    assert '<option value="pt">Português (Portugal)</option>' in page.text
    assert '<option value="pt_BR" selected>Português (Brasil)</option>' in page.text
    assert preview.status_code == 200, preview.text
    assert "RASCUNHO" in preview.text
    (tmp_path / "draft.pdf").write_bytes(pdf.content)
    text = pdf_text(tmp_path / "draft.pdf")
    assert "Fatura de indenizações" in text
    assert re.search(r"US\$ \d{1,3}(\.\d{3})*,\d{2}", text), text  # Brazil's US$ 1.616,80
    assert not re.search(r"\d,\d{2} US\$", text)  # not Portugal's 1 616,80 US$
