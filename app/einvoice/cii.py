"""Factur-X / ZUGFeRD 2 XML: UN/CEFACT Cross Industry Invoice, EN 16931 profile (docs/e-invoicing.md).

:func:`to_cii` writes an :class:`EInvoice` (element order as the Factur-X 1.0 XSD wants it) and
:func:`validate` checks it against the XSD that the ``factur-x`` library ships; :func:`from_cii` reads
one back, so that the UBL document of an issued invoice is written from the XML embedded in its PDF.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import facturx
from lxml import etree

from app.einvoice.model import (
    EInvoice,
    EInvoiceError,
    Line,
    Party,
    Payment,
    PrecedingInvoice,
    Totals,
    VatBreakdown,
)
from app.engine.contract import VatCategory

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
#: BT-24 of the EN 16931 profile; the XMP names it "EN 16931" and factur-x calls it "en16931".
GUIDELINE = "urn:cen.eu:en16931:2017"
LEVEL = "en16931"
FILENAME = "factur-x.xml"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, tag: str, value: date, prefix: str = "udt") -> None:
    _el(_el(parent, tag), f"{prefix}:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _rate(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}"


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    element = _el(parent, tag)
    if party.identifier:
        _el(element, "ram:ID", party.identifier)
    _el(element, "ram:Name", party.name)
    if party.legal_registration:
        _el(_el(element, "ram:SpecifiedLegalOrganization"), "ram:ID", party.legal_registration)
    if party.contact_name or party.contact_email:
        contact = _el(element, "ram:DefinedTradeContact")
        if party.contact_name:
            _el(contact, "ram:PersonName", party.contact_name)
        if party.contact_email:
            _el(_el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.contact_email)
    if party.country_code:
        address = _el(element, "ram:PostalTradeAddress")
        if party.postcode:
            _el(address, "ram:PostcodeCode", party.postcode)
        for tag_name, line in zip(
            ("ram:LineOne", "ram:LineTwo", "ram:LineThree"), party.address_lines, strict=False
        ):
            _el(address, tag_name, line)
        if party.city:
            _el(address, "ram:CityName", party.city)
        _el(address, "ram:CountryID", party.country_code)
    if party.vat_id:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")


def _tax(parent: etree._Element, category: VatCategory, rate: Decimal | None) -> etree._Element:
    tax = _el(parent, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", str(category))
    if rate is not None:
        _el(tax, "ram:RateApplicablePercent", _rate(rate))
    return tax


def to_cii(invoice: EInvoice) -> bytes:
    """The Factur-X XML of ``invoice`` (UTF-8, with an XML declaration)."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", invoice.type_code)
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    if invoice.note:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", invoice.note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _amount(line.net_price))
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", _quantity(line.quantity), unitCode=line.unit_code)
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        _tax(settlement, line.category, line.rate)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.net_amount))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        _el(agreement, "ram:BuyerReference", invoice.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", invoice.seller)
    _party(agreement, "ram:BuyerTradeParty", invoice.buyer)
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    _date(
        _el(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", invoice.delivery_date
    )

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    payment = invoice.payment
    if payment.reference:
        _el(settlement, "ram:PaymentReference", payment.reference)
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    if payment.iban:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", payment.means_code)
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", payment.iban)
        if payment.bic:
            _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", payment.bic)
    for vat in invoice.vat:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(vat.tax))
        _el(tax, "ram:TypeCode", "VAT")
        if vat.exemption_reason:
            _el(tax, "ram:ExemptionReason", vat.exemption_reason)
        _el(tax, "ram:BasisAmount", _amount(vat.basis))
        _el(tax, "ram:CategoryCode", str(vat.category))
        if vat.exemption_reason_code:
            _el(tax, "ram:ExemptionReasonCode", vat.exemption_reason_code)
        if vat.rate is not None:
            _el(tax, "ram:RateApplicablePercent", _rate(vat.rate))
    if payment.terms or payment.due_date is not None:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if payment.terms:
            _el(terms, "ram:Description", payment.terms)
        if payment.due_date is not None:
            _date(terms, "ram:DueDateDateTime", payment.due_date)
    totals = invoice.totals
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(totals.line_total))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(totals.tax_basis))
    _el(summation, "ram:TaxTotalAmount", _amount(totals.tax_total), currencyID=invoice.currency)
    _el(summation, "ram:GrandTotalAmount", _amount(totals.grand_total))
    if totals.prepaid:
        _el(summation, "ram:TotalPrepaidAmount", _amount(totals.prepaid))
    _el(summation, "ram:DuePayableAmount", _amount(totals.due_payable))
    if invoice.preceding is not None:
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", invoice.preceding.number)
        _date(referenced, "ram:FormattedIssueDateTime", invoice.preceding.issue_date, prefix="qdt")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def validate(xml: bytes) -> None:
    """Raise :class:`EInvoiceError` unless ``xml`` is valid against the Factur-X EN 16931 XSD."""
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level=LEVEL)
    except Exception as error:  # the library raises a bare Exception with the schema's message
        raise EInvoiceError(str(error)) from error


# --- reading it back ----------------------------------------------------------------------------


def _find(element: etree._Element, path: str) -> etree._Element | None:
    found = element.find(path, NSMAP)
    return found


def _text(element: etree._Element, path: str) -> str:
    found = _find(element, path)
    return "" if found is None or found.text is None else found.text.strip()


def _read_date(element: etree._Element | None) -> date | None:
    if element is None:
        return None
    text = _text(element, ".//udt:DateTimeString") or _text(element, ".//qdt:DateTimeString")
    return datetime.strptime(text, "%Y%m%d").date() if text else None


def _read_party(element: etree._Element | None) -> Party:
    if element is None:
        raise EInvoiceError("the XML names no seller or buyer")
    address = _find(element, "ram:PostalTradeAddress")
    lines: tuple[str, ...] = ()
    if address is not None:
        lines = tuple(
            text
            for text in (_text(address, f"ram:{tag}") for tag in ("LineOne", "LineTwo", "LineThree"))
            if text
        )
    return Party(
        name=_text(element, "ram:Name"),
        address_lines=lines,
        postcode="" if address is None else _text(address, "ram:PostcodeCode"),
        city="" if address is None else _text(address, "ram:CityName"),
        country_code="" if address is None else _text(address, "ram:CountryID"),
        vat_id=_text(element, "ram:SpecifiedTaxRegistration/ram:ID"),
        legal_registration=_text(element, "ram:SpecifiedLegalOrganization/ram:ID"),
        identifier=_text(element, "ram:ID"),
        contact_name=_text(element, "ram:DefinedTradeContact/ram:PersonName"),
        contact_email=_text(element, "ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"),
    )


def _decimal(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def _optional_rate(text: str) -> Decimal | None:
    return Decimal(text) if text else None


_MEANS = "ram:SpecifiedTradeSettlementPaymentMeans/"


_MEANS = "ram:SpecifiedTradeSettlementPaymentMeans/"


def from_cii(xml: bytes) -> EInvoice:
    """The :class:`EInvoice` that :func:`to_cii` wrote (the fields it writes, read back)."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    document = _find(root, "rsm:ExchangedDocument")
    transaction = _find(root, "rsm:SupplyChainTradeTransaction")
    if document is None or transaction is None:
        raise EInvoiceError("not a Cross Industry Invoice")
    lines = []
    for item in transaction.findall("ram:IncludedSupplyChainTradeLineItem", NSMAP):
        quantity = _find(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
        tax = "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/"
        lines.append(
            Line(
                id=_text(item, "ram:AssociatedDocumentLineDocument/ram:LineID"),
                name=_text(item, "ram:SpecifiedTradeProduct/ram:Name"),
                quantity=_decimal("" if quantity is None else (quantity.text or "")),
                net_price=_decimal(
                    _text(
                        item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"
                    )
                ),
                net_amount=_decimal(
                    _text(
                        item,
                        "ram:SpecifiedLineTradeSettlement/"
                        "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                    )
                ),
                category=VatCategory(_text(item, tax + "ram:CategoryCode")),
                rate=_optional_rate(_text(item, tax + "ram:RateApplicablePercent")),
                unit_code="" if quantity is None else quantity.get("unitCode", ""),
            )
        )
    agreement = _find(transaction, "ram:ApplicableHeaderTradeAgreement")
    settlement = _find(transaction, "ram:ApplicableHeaderTradeSettlement")
    if agreement is None or settlement is None:
        raise EInvoiceError("the XML has no agreement or settlement")
    vat = tuple(
        VatBreakdown(
            category=VatCategory(_text(tax, "ram:CategoryCode")),
            rate=_optional_rate(_text(tax, "ram:RateApplicablePercent")),
            basis=_decimal(_text(tax, "ram:BasisAmount")),
            tax=_decimal(_text(tax, "ram:CalculatedAmount")),
            exemption_reason=_text(tax, "ram:ExemptionReason"),
            exemption_reason_code=_text(tax, "ram:ExemptionReasonCode"),
        )
        for tax in settlement.findall("ram:ApplicableTradeTax", NSMAP)
    )
    summation = "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    totals = Totals(
        line_total=_decimal(_text(settlement, summation + "LineTotalAmount")),
        tax_basis=_decimal(_text(settlement, summation + "TaxBasisTotalAmount")),
        tax_total=_decimal(_text(settlement, summation + "TaxTotalAmount")),
        grand_total=_decimal(_text(settlement, summation + "GrandTotalAmount")),
        prepaid=_decimal(_text(settlement, summation + "TotalPrepaidAmount")),
        due_payable=_decimal(_text(settlement, summation + "DuePayableAmount")),
    )
    referenced = _find(settlement, "ram:InvoiceReferencedDocument")
    preceding = None
    if referenced is not None:
        preceding_date = _read_date(_find(referenced, "ram:FormattedIssueDateTime"))
        assert preceding_date is not None
        preceding = PrecedingInvoice(_text(referenced, "ram:IssuerAssignedID"), preceding_date)
    issue_date = _read_date(_find(document, "ram:IssueDateTime"))
    delivery_date = _read_date(
        _find(transaction, "ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent")
    )
    if issue_date is None or delivery_date is None:
        raise EInvoiceError("the XML has no issue or delivery date")
    return EInvoice(
        type_code=_text(document, "ram:TypeCode"),
        number=_text(document, "ram:ID"),
        issue_date=issue_date,
        currency=_text(settlement, "ram:InvoiceCurrencyCode"),
        seller=_read_party(_find(agreement, "ram:SellerTradeParty")),
        buyer=_read_party(_find(agreement, "ram:BuyerTradeParty")),
        lines=tuple(lines),
        vat=vat,
        totals=totals,
        payment=Payment(
            reference=_text(settlement, "ram:PaymentReference"),
            due_date=_read_date(_find(settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime")),
            terms=_text(settlement, "ram:SpecifiedTradePaymentTerms/ram:Description"),
            iban=_text(settlement, _MEANS + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID"),
            bic=_text(settlement, _MEANS + "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"),
        ),
        delivery_date=delivery_date,
        buyer_reference=_text(agreement, "ram:BuyerReference"),
        note=_text(document, "ram:IncludedNote/ram:Content"),
        preceding=preceding,
    )
