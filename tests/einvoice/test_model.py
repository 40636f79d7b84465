"""The EN 16931 e-invoice of the sample contracts: totals equal to the engine's, VAT categories as
docs/e-invoicing.md says, CII and UBL valid against their schemas and, for representative invoices and
credit notes, against the EN 16931 business rules (schematron, run offline with Saxon)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.contract_files import load_document
from app.einvoice import cii, ubl
from app.einvoice.model import (
    EInvoice,
    EInvoiceError,
    Line,
    PrecedingInvoice,
    _breakdowns,
    check_totals,
    from_invoice,
    party_of,
)
from app.engine import Actuals, Assessment, assess
from app.engine.contract import Contract, VatCategory
from app.services.einvoices import credit_note_of
from tests.einvoice.schematron import errors

CONTRACTS = Path(__file__).parents[2] / "contracts"
UBL_NS = {"cbc": ubl.CBC, "cac": ubl.CAC}


@dataclass
class Hotel:
    """A property with the identity fields task D adds (read getattr-safe by ``party_of``)."""

    name: str = "Marlowe Hotels Ltd trading as The Marlowe Hotel Edinburgh"
    legal_name: str = "Marlowe Hotels Ltd"
    address: str = "12 Queen Street"
    postcode: str = "EH2 1JE"
    city: str = "Edinburgh"
    country_code: str = "GB"
    vat_id: str = "GB123456789"
    legal_registration: str = "SC123456"
    bank: Any = None


@dataclass
class Account:
    name: str = "Caledonian Institute of Actuaries"
    address: str = "1 Rose Street\nEH2 2PR Edinburgh\nUnited Kingdom"
    contact_name: str = "Ailsa Reid"
    contact_email: str = "accounts@cia.example"
    vat_id: str = "GB987654321"


def assessed(name: str) -> tuple[Assessment, Contract]:
    document = load_document(CONTRACTS / name)
    contract = document.contract
    assessment = assess(contract, document.actuals or Actuals(), document.as_of or date.today())
    return assessment, contract


def einvoice_of(name: str, seller: Any = None, buyer: Any = None) -> tuple[EInvoice, Assessment]:
    assessment, contract = assessed(name)
    invoice = from_invoice(
        assessment=assessment,
        contract=contract,
        number="7-000042",
        issue_date=assessment.as_of,
        due_date=assessment.as_of + timedelta(days=30),
        seller=seller if seller is not None else contract.property,
        buyer=buyer,
        seller_identifier="attrition-property-7",
        payment_terms="Payment is due within 30 days.",
    )
    return invoice, assessment


SAMPLES = sorted(
    path.name
    for path in CONTRACTS.glob("*.yaml")
    if assessed(path.name)[0].total.amount > 0  # nothing owed: no invoice
)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_invoice_is_valid_cii_and_ubl_and_owes_what_the_engine_says(name: str) -> None:
    invoice, assessment = einvoice_of(name, Hotel(), Account())

    assert invoice.totals.due_payable == assessment.total.amount
    taxes = sum((line.amount.amount for line in assessment.lines if line.kind == "tax"), Decimal(0))
    assert invoice.totals.tax_total == taxes
    check_totals(invoice)
    xml = cii.to_cii(invoice)
    cii.validate(xml)
    assert cii.from_cii(xml) == invoice  # what is embedded reads back as issued
    ubl.validate(ubl.to_ubl(invoice), credit_note=False)


def test_untaxed_damages_are_outside_the_scope_of_vat_and_name_no_vat_ids() -> None:
    invoice, _ = einvoice_of("corporate-sales-meeting-per-night.yaml", Hotel(), Account())

    assert {line.category for line in invoice.lines} == {VatCategory.OUTSIDE_SCOPE}
    assert all(line.rate is None for line in invoice.lines)
    (vat,) = invoice.vat
    assert (vat.category, vat.tax, vat.exemption_reason_code) == (VatCategory.OUTSIDE_SCOPE, 0, "VATEX-EU-O")
    assert vat.basis == Decimal("1616.80")
    # BR-O-02..04: no VAT identifiers with category O; the legal registration identifies the seller.
    assert (invoice.seller.vat_id, invoice.buyer.vat_id) == ("", "")
    assert invoice.seller.legal_registration == "SC123456"


def test_taxed_damages_are_standard_rated_at_the_rate_that_taxed_them() -> None:
    invoice, _ = einvoice_of("edinburgh-actuaries-chronological-vat.yaml", Hotel(), Account())

    assert {(line.category, line.rate) for line in invoice.lines} == {(VatCategory.STANDARD, Decimal(20))}
    (vat,) = invoice.vat
    assert (vat.basis, vat.tax) == (Decimal("1084.00"), Decimal("216.80"))
    assert (invoice.totals.grand_total, invoice.totals.due_payable) == (Decimal("1300.80"),) * 2
    assert invoice.seller.vat_id == "GB123456789"


def test_a_mixed_invoice_states_untaxed_lines_as_exempt_and_deposits_as_paid() -> None:
    invoice, assessment = einvoice_of("medical-congress-fnb-rental.yaml", Hotel(), Account())

    categories = {vat.category: vat for vat in invoice.vat}
    assert set(categories) == {VatCategory.STANDARD, VatCategory.EXEMPT}
    assert categories[VatCategory.EXEMPT].tax == 0
    assert categories[VatCategory.EXEMPT].exemption_reason
    deposits = -sum((line.amount.amount for line in assessment.lines if line.kind == "deposit"), Decimal(0))
    assert invoice.totals.prepaid == deposits == Decimal("10000.00")
    assert invoice.totals.due_payable == Decimal("13943.98")


@pytest.mark.parametrize(
    "name",
    [
        "corporate-sales-meeting-per-night.yaml",  # O
        "edinburgh-actuaries-chronological-vat.yaml",  # S
        "medical-congress-fnb-rental.yaml",  # S and E, service charge, deposit
    ],
)
def test_representative_invoices_and_credit_notes_keep_the_en16931_business_rules(name: str) -> None:
    invoice, _ = einvoice_of(
        name, Hotel(bank={"iban": "GB33BUKB20201555555555", "bic": "BUKBGB22"}), Account()
    )
    credit = credit_note_of(
        invoice, number="7-000043", issue_date=invoice.issue_date, terms="Nothing is payable."
    )

    for document in (invoice, credit):
        assert errors(cii.to_cii(document), "cii") == []
        assert errors(ubl.to_ubl(document), "ubl") == []


def test_the_business_rules_catch_a_broken_invoice() -> None:
    """The schematron run can fail: a seller VAT id on an invoice outside the scope of VAT breaks BR-O-02."""
    invoice, _ = einvoice_of("corporate-sales-meeting-per-night.yaml", Hotel(), Account())
    broken = replace(invoice, seller=replace(invoice.seller, vat_id="GB123456789"))

    assert "BR-O-02" in {finding.rule for finding in errors(cii.to_cii(broken), "cii")}
    with pytest.raises(EInvoiceError, match="BR-CO-15"):
        check_totals(replace(broken, totals=replace(broken.totals, grand_total=Decimal("1.00"))))


def test_a_credit_note_is_381_names_the_invoice_and_is_a_ubl_credit_note() -> None:
    invoice, _ = einvoice_of("edinburgh-actuaries-chronological-vat.yaml", Hotel(), Account())
    credit = credit_note_of(
        invoice, number="7-000043", issue_date=date(2027, 9, 30), terms="Nothing is payable."
    )

    xml = cii.to_cii(credit)
    cii.validate(xml)
    read = cii.from_cii(xml)
    assert (read.type_code, read.preceding) == ("381", PrecedingInvoice("7-000042", invoice.issue_date))
    assert read.totals == invoice.totals  # positive, as EN 16931 wants on a credit note
    document = ubl.to_ubl(credit)
    ubl.validate(document, credit_note=True)
    root = etree.fromstring(document)
    assert root.tag == f"{{{ubl.CREDIT_NOTE_NS}}}CreditNote"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=UBL_NS) == "381"
    assert root.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=UBL_NS) == (
        "7-000042"
    )
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL_NS) == "1300.80"


def test_parties_come_from_the_fields_a_record_has_and_fall_back_to_names() -> None:
    _, contract = assessed("edinburgh-actuaries-chronological-vat.yaml")
    seller = party_of(contract.property, fallback_name="unused")  # name, address and locale only
    assert (seller.name, seller.address_lines, seller.postcode, seller.city, seller.country_code) == (
        "The Marlowe Hotel Edinburgh",
        ("12 Queen Street",),
        "EH2 1JE",
        "Edinburgh",
        "GB",
    )
    buyer = party_of(Account(), fallback_name="unused")
    assert (buyer.address_lines, buyer.postcode, buyer.city, buyer.country_code) == (
        ("1 Rose Street",),
        "EH2 2PR",
        "Edinburgh",
        "GB",
    )
    assert party_of(None, fallback_name="Caledonian Institute").name == "Caledonian Institute"
    us = party_of(
        load_document(CONTRACTS / "convention-last-room-sold.yaml").contract.property, fallback_name=""
    )
    assert (us.address_lines, us.city, us.postcode) == (
        ("200 South Alamo Street",),
        "San Antonio, TX",
        "78205",
    )


def test_the_vat_breakdown_keeps_the_engine_tax_where_its_rounding_per_kind_differs() -> None:
    """Two kinds of damages taxed at 20 %: the engine rounds each tax (0.10 + 0.10), a breakdown of
    their sum would give 0.21; the cent goes on the breakdown so that the e-invoice states 0.20."""
    lines = [
        Line("1", "a", Decimal(1), Decimal("0.52"), Decimal("0.52"), VatCategory.STANDARD, Decimal(20)),
        Line("2", "b", Decimal(1), Decimal("0.52"), Decimal("0.52"), VatCategory.STANDARD, Decimal(20)),
    ]
    (vat,) = _breakdowns(lines, Decimal("0.20"))
    assert (vat.basis, vat.tax) == (Decimal("1.04"), Decimal("0.20"))


def test_a_currency_with_three_decimals_has_no_e_invoice() -> None:
    assessment, contract = assessed("corporate-sales-meeting-per-night.yaml")
    with pytest.raises(EInvoiceError, match="KWD"):
        from_invoice(
            assessment=replace(assessment, currency="KWD"),
            contract=contract,
            number="1",
            issue_date=assessment.as_of,
            due_date=assessment.as_of,
            seller=None,
            buyer=None,
        )


def test_an_invoice_issued_before_e_invoices_is_credited_with_one_built_now_and_has_no_ubl() -> None:
    """An older invoice's PDF has no XML: its credit note's XML is built from the invoice as it would be
    issued now and names it; its UBL is "not found" rather than invented."""
    from types import SimpleNamespace

    from app.pdf import render_pdf
    from app.services.einvoices import credit_note_xml, embedded_cii, ubl_of
    from app.services.errors import NotFoundError

    invoice, _ = einvoice_of("edinburgh-actuaries-chronological-vat.yaml", Hotel(), Account())
    plain = render_pdf("<p>An invoice issued before e-invoices</p>")
    assert embedded_cii(plain) is None

    build = credit_note_xml(plain, lambda: invoice, date(2027, 9, 30))
    document = SimpleNamespace(invoice_number="7-000043", payment_terms="Nothing is payable.")
    xml = build(document)  # type: ignore[arg-type]
    assert xml is not None
    read = cii.from_cii(xml)
    assert (read.type_code, read.number, read.preceding) == (
        "381",
        "7-000043",
        PrecedingInvoice("7-000042", invoice.issue_date),
    )
    with pytest.raises(NotFoundError, match="without an e-invoice"):
        ubl_of(SimpleNamespace(pdf=plain, number="7-000042"))  # type: ignore[arg-type]


def _with_profile(name: str, profile: dict[str, Any]) -> tuple[EInvoice, Assessment]:
    """The sample ``name`` with the contract's tax override replaced by ``profile``."""
    document = load_document(CONTRACTS / name)
    contract = Contract.model_validate(
        {**document.contract.model_dump(mode="json", exclude_unset=True), "tax_override": profile},
        strict=False,
    )
    assessment = assess(contract, document.actuals or Actuals(), document.as_of or date.today())
    invoice = from_invoice(
        assessment=assessment,
        contract=contract,
        number="7-000044",
        issue_date=assessment.as_of,
        due_date=assessment.as_of + timedelta(days=30),
        seller=Hotel(bank={"iban": "GB33BUKB20201555555555", "bic": "BUKBGB22"}),
        buyer=Account(),
        seller_identifier="attrition-property-7",
    )
    return invoice, assessment


def test_inclusive_uk_vat_is_the_vat_contained_in_the_damages_and_keeps_the_business_rules() -> None:
    """Edinburgh's room attrition of 1,084.00 holds VAT at 20 %: 1,084.00 × 20 / 120 = 180.666… →
    180.67; the VAT basis is the net 903.33 and the group owes 1,084.00, not 1,300.80."""
    vat_included = {
        "name": "UK VAT included in damages (HMRC Revenue and Customs Brief 2 (2022))",
        "vat_category": "S",
        "taxes": [{"name": "VAT", "rate_pct": 20, "kinds": ["room_attrition"], "inclusive": True}],
    }
    invoice, assessment = _with_profile("edinburgh-actuaries-chronological-vat.yaml", vat_included)

    assert assessment.total.amount == Decimal("1084.00")
    assert {(line.category, line.rate) for line in invoice.lines} == {(VatCategory.STANDARD, Decimal(20))}
    (vat,) = invoice.vat
    assert (vat.basis, vat.tax) == (Decimal("903.33"), Decimal("180.67"))
    assert (invoice.totals.grand_total, invoice.totals.due_payable) == (Decimal("1084.00"),) * 2
    check_totals(invoice)
    assert errors(cii.to_cii(invoice), "cii") == []
    assert errors(ubl.to_ubl(invoice), "ubl") == []


@pytest.mark.parametrize(
    ("profile", "category", "reason", "code"),
    [
        (
            {
                "vat_category": "O",
                "exemption_reason": "Indemnity, not consideration",
                "exemption_reason_code": "VATEX-EU-O",
            },
            VatCategory.OUTSIDE_SCOPE,
            "Indemnity, not consideration",
            "VATEX-EU-O",
        ),
        (
            {"vat_category": "E", "exemption_reason": "Exempt under the profile's ruling"},
            VatCategory.EXEMPT,
            "Exempt under the profile's ruling",
            "",
        ),
        ({"vat_category": "Z"}, VatCategory.ZERO_RATED, "", ""),
    ],
)
def test_untaxed_damages_take_the_vat_category_and_reason_of_the_profile(
    profile: dict[str, Any], category: VatCategory, reason: str, code: str
) -> None:
    invoice, _ = _with_profile("edinburgh-actuaries-chronological-vat.yaml", {"name": "Untaxed", **profile})

    assert {line.category for line in invoice.lines} == {category}
    (vat,) = invoice.vat
    assert (vat.category, vat.tax, vat.exemption_reason, vat.exemption_reason_code) == (
        category,
        0,
        reason,
        code,
    )
    assert errors(cii.to_cii(invoice), "cii") == []
    assert errors(ubl.to_ubl(invoice), "ubl") == []


@dataclass
class AccountWithOrder(Account):
    reference: str = "PO 2027-0871"


def test_the_buyer_reference_is_the_buyers_purchase_order_when_it_gave_one() -> None:
    with_order, _ = einvoice_of("edinburgh-actuaries-chronological-vat.yaml", Hotel(), AccountWithOrder())
    without, _ = einvoice_of("edinburgh-actuaries-chronological-vat.yaml", Hotel(), Account())

    assert with_order.buyer_reference == "PO 2027-0871"
    assert b"<ram:BuyerReference>PO 2027-0871</ram:BuyerReference>" in cii.to_cii(with_order)
    assert without.buyer_reference == "cia-edinburgh-2027"  # the contract, when the buyer gave none
