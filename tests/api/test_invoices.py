"""Issued invoices and credit notes through the API, on SQLite and PostgreSQL: numbering, the JSON, the
PDF as issued (read back with poppler), languages, immutability, credit notes and who may do what."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from app.contract_files import load_document
from app.pdf import LANGUAGES
from app.pdf.i18n import number_locale, translations
from app.persistence.records import AccountRecord, PropertyRecord
from app.services import auth, invoices
from app.services.assessments import hotel_today
from app.services.auth import Principal
from app.services.errors import InvalidInputError
from app.services.imports import Imported, import_document
from tests.api.conftest import CONTRACTS, bearer
from tests.pdf.rendering import flat, pdf_text

PER_NIGHT = "corporate-sales-meeting-per-night.yaml"  # 1,616.80 USD as of 2027-02-08
AS_OF = "2027-02-08"
ISSUED = "2027-02-10"
TOTAL = Decimal("1616.80")
# The per-night lines of the sample (see its `expected`): night, amount.
NIGHTS = (
    (date(2027, 1, 25), Decimal("1226.40")),
    (date(2027, 1, 26), Decimal("0.00")),
    (date(2027, 1, 27), Decimal("390.40")),
)


def import_sample(
    session: Session, name: str = PER_NIGHT, *, reference: str | None = None, hotel: str | None = None
) -> Imported:
    """Store a sample contract with its actuals (under another contract id, or another hotel)."""
    document = load_document(CONTRACTS / name)
    contract = document.contract
    if hotel is not None:
        contract = contract.model_copy(
            update={"property": contract.property.model_copy(update={"name": hotel})}
        )
    if reference is not None:
        contract = contract.model_copy(update={"id": reference})
    imported = import_document(session, document.model_copy(update={"contract": contract}))
    session.commit()
    return imported


def account_of(session: Session, sample: Imported) -> AccountRecord:
    """The account the sample's group books under (the importer creates one per property)."""
    return session.exec(select(AccountRecord).where(AccountRecord.property_id == sample.property_id)).one()


def issue(client: TestClient, key: str, contract_id: int, **body: Any) -> Response:
    return client.post(
        f"/api/v1/contracts/{contract_id}/invoices",
        headers=bearer(key),
        json={"as_of": AS_OF, "issue_date": ISSUED, **body},
    )


def credit(client: TestClient, key: str, number: str, **body: Any) -> Response:
    return client.post(
        f"/api/v1/invoices/{number}/credit-note",
        headers=bearer(key),
        json={"reason": "The block was reduced in writing", "issue_date": "2027-02-12", **body},
    )


def text_of(pdf: bytes, folder: Path) -> str:
    path = folder / f"{hashlib.sha256(pdf).hexdigest()}.pdf"
    path.write_bytes(pdf)
    return pdf_text(path)


def issued_pdf(client: TestClient, key: str, number: str) -> Response:
    response = client.get(f"/api/v1/invoices/{number}.pdf", headers=bearer(key))
    assert response.status_code == 200, response.text
    return response


# --- issuing ---------------------------------------------------------------------------------------


def test_issued_invoice_keeps_its_assessment_and_serves_its_pdf_with_number_total_and_nights(
    client: TestClient, session: Session, admin_key: str, tmp_path: Path
) -> None:
    sample = import_sample(session)
    account = account_of(session, sample)
    account.contact_name, account.contact_email = "Dana Whitfield", "ap@northwind.example"
    session.add(account)
    session.commit()

    response = issue(client, admin_key, sample.contract_id)

    assert response.status_code == 201, response.text
    body = response.json()
    number = f"{sample.property_id}-000001"
    assert response.headers["Location"] == f"/api/v1/invoices/{number}"
    assert {key: body[key] for key in ("number", "kind", "contract_id", "contract_version", "language")} == {
        "number": number,
        "kind": "invoice",
        "contract_id": sample.contract_id,
        "contract_version": 1,
        "language": "en",
    }
    assert (body["as_of"], body["issue_date"], body["due_date"]) == (AS_OF, ISSUED, "2027-03-12")  # 30 days
    assert body["total"] == {"amount": str(TOTAL), "currency": "USD"}
    assert (body["credits"], body["credited_by"], body["reason"]) == (None, None, None)
    assert body["links"]["pdf"] == f"/api/v1/invoices/{number}.pdf"
    kept = client.get(
        f"/api/v1/contracts/{sample.contract_id}/assessments/{body['assessment_id']}",
        headers=bearer(admin_key),
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["assessment"]["total"]["amount"] == str(TOTAL)
    assert client.get(body["links"]["self"], headers=bearer(admin_key)).json() == body

    pdf = issued_pdf(client, admin_key, number)
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == body["pdf_sha256"]
    assert pdf.headers["ETag"] == f'"{body["pdf_sha256"]}"'
    text = text_of(pdf.content, tmp_path)
    assert f"Invoice number {number}" in text
    assert "Total due $1,616.80" in text
    assert "Room attrition, night of Jan 25, 2027 $1,226.40" in text
    assert "Room attrition, night of Jan 27, 2027 $390.40" in text
    for words in ("NWA-CORP", "Dana Whitfield", "ap@northwind.example"):  # the account's name and contact
        assert words in text
    assert "Harbor Point Hotel San Diego" in text  # the property's letterhead


def test_an_invoice_without_a_body_is_assessed_and_dated_today_at_the_hotel(
    client: TestClient, session: Session, admin_key: str
) -> None:
    sample = import_sample(session)
    before = hotel_today("America/Los_Angeles")

    response = client.post(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(admin_key))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["as_of"] == body["issue_date"]
    assert before <= date.fromisoformat(body["as_of"]) <= hotel_today("America/Los_Angeles")


def _expected_words(lang: str, locale: str) -> list[str]:
    _ = translations(lang).gettext
    total = flat(format_currency(TOTAL, "USD", locale=locale))
    words = [flat(_("Damages invoice")), f"{flat(_('Total due'))} {total}"]
    for night, amount in NIGHTS:
        words += [
            flat(format_date(night, "medium", locale=locale)),
            flat(format_currency(amount, "USD", locale=locale)),
        ]
    return words


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_request_chooses_the_invoice_language(
    client: TestClient, session: Session, admin_key: str, tmp_path: Path, lang: str
) -> None:
    sample = import_sample(session)

    response = issue(client, admin_key, sample.contract_id, language=lang)

    assert response.status_code == 201, response.text
    assert response.json()["language"] == lang
    text = text_of(issued_pdf(client, admin_key, response.json()["number"]).content, tmp_path)
    assert response.json()["number"] in text
    for words in _expected_words(lang, str(number_locale(lang, None))):  # pt: Portugal's conventions
        assert words in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_accounts_language_is_the_default(
    client: TestClient, session: Session, admin_key: str, tmp_path: Path, lang: str
) -> None:
    sample = import_sample(session)
    account = account_of(session, sample)
    account.language = lang
    session.add(account)
    session.commit()

    response = issue(client, admin_key, sample.contract_id)

    assert response.status_code == 201, response.text
    assert response.json()["language"] == lang
    text = text_of(issued_pdf(client, admin_key, response.json()["number"]).content, tmp_path)
    for words in _expected_words(lang, str(number_locale(lang, lang))):  # pt alone: Portugal's conventions
        assert words in text


def test_an_account_language_without_a_catalog_falls_back_to_the_propertys_locale(
    client: TestClient, session: Session, admin_key: str, tmp_path: Path
) -> None:
    sample = import_sample(session)
    account = account_of(session, sample)
    prop = session.get(PropertyRecord, sample.property_id)
    assert prop is not None
    account.language, prop.locale = "de", "pt_BR"
    session.add_all([account, prop])
    session.commit()

    response = issue(client, admin_key, sample.contract_id)

    assert response.status_code == 201, response.text
    assert response.json()["language"] == "pt_BR"  # Brazil's Portuguese, its words and its numbers
    text = text_of(issued_pdf(client, admin_key, response.json()["number"]).content, tmp_path)
    for words in _expected_words("pt_BR", "pt_BR"):
        assert words in text


# --- numbering -------------------------------------------------------------------------------------


def test_numbers_are_consecutive_per_property_and_independent_across_properties(
    client: TestClient, session: Session, admin_key: str
) -> None:
    first, second, third = (import_sample(session, reference=f"sko-{n}") for n in (1, 2, 3))
    elsewhere = import_sample(session, reference="sko-x", hotel="Harbor Point Hotel Long Beach")
    assert elsewhere.property_id != first.property_id

    numbers = [
        issue(client, admin_key, sample.contract_id).json()["number"]
        for sample in (first, elsewhere, second, third)
    ]
    credit_note = credit(client, admin_key, numbers[2])

    here, there = first.property_id, elsewhere.property_id
    assert numbers == [f"{here}-000001", f"{there}-000001", f"{here}-000002", f"{here}-000003"]
    assert credit_note.status_code == 201, credit_note.text
    assert credit_note.json()["number"] == f"{here}-000004"  # one series for invoices and credit notes


def test_a_second_invoice_while_one_is_outstanding_is_refused_and_leaves_no_gap(
    client: TestClient, session: Session, admin_key: str
) -> None:
    sample = import_sample(session)
    first = issue(client, admin_key, sample.contract_id).json()["number"]

    again = issue(client, admin_key, sample.contract_id)

    assert again.status_code == 409, again.text
    assert first in again.json()["detail"]
    assessments = client.get(f"/api/v1/contracts/{sample.contract_id}/assessments", headers=bearer(admin_key))
    assert assessments.json()["total"] == 1  # the refused request kept nothing
    credited = credit(client, admin_key, first)
    reissued = issue(client, admin_key, sample.contract_id, issue_date="2027-02-12")
    assert credited.json()["number"] == f"{sample.property_id}-000002"
    assert reissued.status_code == 201, reissued.text
    assert reissued.json()["number"] == f"{sample.property_id}-000003"
    listed = client.get(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(admin_key)).json()
    assert [(item["number"], item["kind"]) for item in listed["items"]] == [
        (first, "invoice"),
        (credited.json()["number"], "credit_note"),
        (reissued.json()["number"], "invoice"),
    ]


def test_nothing_owed_is_refused_and_keeps_nothing(
    client: TestClient, session: Session, admin_key: str
) -> None:
    reunion = import_sample(session, "reunion-no-attrition-clause.yaml")
    document = load_document(CONTRACTS / "reunion-no-attrition-clause.yaml")
    assert document.as_of is not None

    day = document.as_of.isoformat()

    response = issue(client, admin_key, reunion.contract_id, as_of=day, issue_date=day)

    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["as_of"]
    assert "nothing is owed" in response.json()["errors"][0]["message"]
    url = f"/api/v1/contracts/{reunion.contract_id}"
    assert client.get(f"{url}/assessments", headers=bearer(admin_key)).json()["items"] == []
    assert client.get(f"{url}/invoices", headers=bearer(admin_key)).json()["items"] == []


# --- credit notes ----------------------------------------------------------------------------------


def test_credit_note_references_and_negates_the_invoice_and_only_once(
    client: TestClient, session: Session, admin_key: str, tmp_path: Path
) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id).json()

    response = credit(client, admin_key, invoice["number"], reason="Rate <b>typed</b> wrong & corrected")

    assert response.status_code == 201, response.text
    note = response.json()
    assert response.headers["Location"] == note["links"]["self"]
    assert note["kind"] == "credit_note"
    assert note["credits"] == invoice["number"]
    assert note["total"] == {"amount": str(-TOTAL), "currency": "USD"}
    assert note["reason"] == "Rate <b>typed</b> wrong & corrected"
    assert (note["assessment_id"], note["contract_version"], note["as_of"]) == (
        invoice["assessment_id"],
        invoice["contract_version"],
        invoice["as_of"],
    )
    assert (
        client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()["credited_by"]
        == note["number"]
    )
    assert client.get(note["links"]["self"], headers=bearer(admin_key)).json() == note
    text = text_of(issued_pdf(client, admin_key, note["number"]).content, tmp_path)
    assert f"Credit note number {note['number']}" in text
    assert f"Credits invoice {invoice['number']} of February 10, 2027 in full." in text
    assert "Reason for the credit Rate <b>typed</b> wrong & corrected" in text
    assert "Room attrition, night of Jan 25, 2027 -$1,226.40" in text
    assert "Total credited -$1,616.80" in text
    assert "Due date" not in text
    assert "Nothing is payable on this credit note." in text

    twice = credit(client, admin_key, invoice["number"])
    of_a_credit_note = credit(client, admin_key, note["number"])

    assert twice.status_code == 409, twice.text
    assert note["number"] in twice.json()["detail"]
    assert of_a_credit_note.status_code == 409, of_a_credit_note.text
    listed = client.get(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(admin_key))
    assert listed.json()["total"] == 2


def test_credit_note_keeps_the_invoices_language(
    client: TestClient, session: Session, admin_key: str, tmp_path: Path
) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id, language="ro").json()

    note = credit(client, admin_key, invoice["number"]).json()

    assert note["language"] == "ro"
    text = text_of(issued_pdf(client, admin_key, note["number"]).content, tmp_path)
    _ = translations("ro").gettext
    assert flat(_("Credit note")) in text
    assert (
        flat(
            _("Credits invoice {number} of {date} in full.").format(
                number=invoice["number"], date="10 februarie 2027"
            )
        )
        in text
    )
    assert f"{flat(_('Total credited'))} {flat(format_currency(-TOTAL, 'USD', locale='ro'))}" in text


# --- immutability ----------------------------------------------------------------------------------


def test_issued_invoices_cannot_be_changed_and_keep_their_bytes_when_the_contract_is_amended(
    client: TestClient, session: Session, admin_key: str
) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id).json()
    before = issued_pdf(client, admin_key, invoice["number"]).content
    headers = bearer(admin_key)
    url = f"/api/v1/invoices/{invoice['number']}"
    for path in (url, f"{url}.pdf", f"{url}/credit-note", f"/api/v1/contracts/{sample.contract_id}/invoices"):
        for method in ("PUT", "PATCH", "DELETE"):
            assert client.request(method, path, headers=headers).status_code == 405, (method, path)

    current = client.get(f"/api/v1/contracts/{sample.contract_id}", headers=headers)
    terms = {key: value for key, value in current.json()["contract"].items() if key != "property"}
    terms["attrition"] = {**terms["attrition"], "damages_pct": 100}
    amended = client.put(
        f"/api/v1/contracts/{sample.contract_id}",
        headers={**headers, "If-Match": current.headers["ETag"]},
        json={"account_id": current.json()["account_id"], "contract": terms},
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["current_version"] == 2
    reassessed = client.get(
        f"/api/v1/contracts/{sample.contract_id}/assessment", params={"as_of": AS_OF}, headers=headers
    )
    assert reassessed.json()["assessment"]["total"]["amount"] == "2021.00"  # 7 × 219 + 2 × 244 at 100 %

    after = issued_pdf(client, admin_key, invoice["number"])
    assert after.content == before
    assert after.headers["ETag"] == f'"{invoice["pdf_sha256"]}"'
    assert client.get(url, headers=headers).json() == invoice  # version 1, 1,616.80
    kept = client.get(
        f"/api/v1/contracts/{sample.contract_id}/assessments/{invoice['assessment_id']}", headers=headers
    )
    assert (kept.json()["contract_version"], kept.json()["assessment"]["total"]["amount"]) == (1, "1616.80")


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [("{etag}", 304), ("W/{etag}", 304), ('"other", {etag}', 304), ("*", 304), ('"other"', 200)],
)
def test_pdf_is_not_sent_again_to_a_client_that_has_it(
    client: TestClient, session: Session, admin_key: str, if_none_match: str, status: int
) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id).json()
    etag = f'"{invoice["pdf_sha256"]}"'

    response = client.get(
        invoice["links"]["pdf"],
        headers={**bearer(admin_key), "If-None-Match": if_none_match.format(etag=etag)},
    )

    assert response.status_code == status
    assert response.headers["ETag"] == etag
    assert (response.content == b"") == (status == 304)


# --- who may do what -------------------------------------------------------------------------------


def test_a_read_only_key_reads_invoices_but_cannot_issue_or_credit(
    client: TestClient, session: Session, admin_key: str, make_key: Callable[[auth.Access, set[int]], str]
) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id).json()
    reader = make_key(auth.Access.READ, {sample.property_id})

    assert client.get(invoice["links"]["self"], headers=bearer(reader)).status_code == 200
    assert issued_pdf(client, reader, invoice["number"]).content
    assert (
        client.get(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(reader)).status_code
        == 200
    )
    assert issue(client, reader, sample.contract_id).status_code == 403
    assert credit(client, reader, invoice["number"]).status_code == 403


def test_a_key_of_another_property_finds_no_invoice(
    client: TestClient, session: Session, admin_key: str, make_key: Callable[[auth.Access, set[int]], str]
) -> None:
    sample = import_sample(session)
    elsewhere = import_sample(session, reference="sko-x", hotel="Harbor Point Hotel Long Beach")
    invoice = issue(client, admin_key, sample.contract_id).json()
    stranger = make_key(auth.Access.READ_WRITE, {elsewhere.property_id})

    responses = [
        client.get(invoice["links"]["self"], headers=bearer(stranger)),
        client.get(invoice["links"]["pdf"], headers=bearer(stranger)),
        client.get(f"/api/v1/contracts/{sample.contract_id}/invoices", headers=bearer(stranger)),
        issue(client, stranger, sample.contract_id),
        credit(client, stranger, invoice["number"]),
    ]

    assert [response.status_code for response in responses] == [404] * 5
    assert client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()["credited_by"] is None


@pytest.mark.parametrize("number", ["9-999999", "x" * 100, "nul%00", "1-000001%2Fx"])
def test_an_unknown_number_is_not_found(client: TestClient, admin_key: str, number: str) -> None:
    for path in (f"/api/v1/invoices/{number}", f"/api/v1/invoices/{number}.pdf"):
        assert client.get(path, headers=bearer(admin_key)).status_code == 404, path
    assert credit(client, admin_key, number).status_code == 404


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "de"}, "language"),
        ({"language": ""}, "language"),
        ({"language": 7}, "language"),
        ({"as_of": "2027-02-30"}, "as_of"),
        ({"issue_date": "2027-02-07"}, "issue_date"),  # before as_of
        ({"issue_date": "9999-12-31"}, "issue_date"),  # due 30 days later: past the calendar
        ({"number": "1-000042"}, "number"),  # numbers are not chosen by the caller
    ],
)
def test_bad_issue_input_is_a_422_naming_the_field_and_keeps_nothing(
    client: TestClient, session: Session, admin_key: str, body: dict[str, Any], field: str
) -> None:
    sample = import_sample(session)

    response = issue(client, admin_key, sample.contract_id, **body)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    url = f"/api/v1/contracts/{sample.contract_id}"
    assert client.get(f"{url}/invoices", headers=bearer(admin_key)).json()["items"] == []
    assert client.get(f"{url}/assessments", headers=bearer(admin_key)).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": None}, "reason"),
        ({"issue_date": "2027-02-09"}, "issue_date"),  # before the invoice's
        ({"issue_date": "9999-12-31"}, "issue_date"),
    ],
)
def test_bad_credit_note_input_is_a_422_naming_the_field(
    client: TestClient, session: Session, admin_key: str, body: dict[str, Any], field: str
) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id).json()

    response = credit(client, admin_key, invoice["number"], **body)

    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()["credited_by"] is None


def test_a_credit_note_needs_a_body(client: TestClient, session: Session, admin_key: str) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id).json()

    response = client.post(f"/api/v1/invoices/{invoice['number']}/credit-note", headers=bearer(admin_key))

    assert response.status_code in {400, 415}, response.text


def test_the_credit_service_refuses_a_control_character_whoever_calls_it(
    client: TestClient, session: Session, admin_key: str
) -> None:
    sample = import_sample(session)
    invoice = issue(client, admin_key, sample.contract_id).json()
    principal = Principal("test", None, can_write=True, is_admin=True)

    with pytest.raises(InvalidInputError) as refused:
        invoices.credit_invoice(session, principal, invoice["number"], reason="Reduced\x00 in writing")

    assert [problem.field for problem in refused.value.problems] == ["reason"]
    assert client.get(invoice["links"]["self"], headers=bearer(admin_key)).json()["credited_by"] is None
