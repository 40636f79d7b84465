"""The e-invoice of an issued damages invoice or credit note, as EN 16931 sees it (docs/e-invoicing.md).

:class:`EInvoice` is a frozen value that both syntaxes are written from: CII (Factur-X, embedded in the
PDF, ``app.einvoice.cii``) and UBL 2.1 (``app.einvoice.ubl``). :func:`from_invoice` builds it from what an
issued invoice already has: the engine's assessment, the contract's terms, the property and the account.

How the assessment's lines become EN 16931 lines, VAT categories and totals:

- Damages lines (room attrition, F&B, meeting-room rental, cancellation, manual lines) and the credits
  that reduce them (resale credit, cap, unused comps) are invoice lines, quantity 1 at their amount; a
  credit is quantity -1 at its (positive) price, so that its net amount is negative and no price is.
- A service charge is an invoice line too.
- A line whose damages the engine taxed (a tax line exists for its kind of damages) is VAT category S at
  the sum of the rates that taxed it. Every other line is untaxed: category O, "not subject to VAT"
  (reason code VATEX-EU-O) when nothing on the invoice is taxed, else category E with a reason text,
  because EN 16931 allows no O line beside a taxed one (BR-O-11 to BR-O-14).
- The tax lines are not invoice lines: they are the VAT breakdown. Each breakdown's tax is its basis x
  rate, half-up to the cent (BR-CO-17); the engine rounded each tax per kind of damages, so where the two
  differ the difference is put on the largest breakdown, and the e-invoice's VAT total is the invoice's.
- Deposits applied and rebates netted against the damages are the amount already paid (BT-113): a
  deposit was paid, and a netted rebate is settled by set-off; neither changes the tax base, as in the
  engine. So the amount due (BT-115) is the invoice's total due.

A credit note (type 381) carries the credited invoice's lines and amounts, positive as EN 16931 wants,
and names the invoice it credits (BT-25, BT-26).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

from babel import Locale

from app.engine.contract import Contract, DamagesKind, TaxProfile, VatCategory
from app.engine.money import minor_units, pct_text
from app.engine.results import Assessment, LineItem, LineKind
from app.engine.words import words

CENT = Decimal("0.01")
INVOICE = "380"
CREDIT_NOTE = "381"

#: The reason code and text EN 16931 asks for on category O (BR-O-10).
OUTSIDE_SCOPE_CODE = "VATEX-EU-O"
OUTSIDE_SCOPE_TEXT = "Not subject to VAT"
#: The reason given on untaxed lines of an invoice that also has taxed lines (category E, BR-E-10).
UNTAXED_TEXT = "Damages not taxed under the hotel's tax rules"

_SETTLED_KINDS = frozenset({LineKind.DEPOSIT, LineKind.REBATE})
_TAX_KINDS = frozenset({LineKind.TAX})


class EInvoiceError(ValueError):
    """The invoice cannot be written as an EN 16931 e-invoice (the reason says why)."""


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4) or buyer (BG-7). Every field but the name may be empty where EN 16931 allows."""

    name: str
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    #: ISO 3166-1 alpha-2; without it no postal address is written (the country is its one required part).
    country_code: str = ""
    vat_id: str = ""
    #: Legal registration (BT-30 / BT-47), such as a company register number.
    legal_registration: str = ""
    #: Seller or buyer identifier (BT-29 / BT-46) when there is no legal registration or VAT id.
    identifier: str = ""
    contact_name: str = ""
    contact_email: str = ""


@dataclass(frozen=True, slots=True)
class Payment:
    """Payment instructions (BG-16, BT-9, BT-20, BT-83)."""

    reference: str
    due_date: date | None
    terms: str = ""
    iban: str = ""
    bic: str = ""

    @property
    def means_code(self) -> str:
        """UNTDID 4461: 30 credit transfer (with the payee's account, BR-61)."""
        return "30"


@dataclass(frozen=True, slots=True)
class Line:
    """An invoice line (BG-25): net price x quantity = net amount, at two decimals."""

    id: str
    name: str
    quantity: Decimal
    net_price: Decimal
    net_amount: Decimal
    category: VatCategory
    rate: Decimal | None
    unit_code: str = "C62"  # UN/ECE Rec 20 "one"


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """One VAT breakdown (BG-23)."""

    category: VatCategory
    rate: Decimal | None
    basis: Decimal
    tax: Decimal
    exemption_reason: str = ""
    exemption_reason_code: str = ""


@dataclass(frozen=True, slots=True)
class Totals:
    """Document totals (BG-22); ``check_totals`` states the EN 16931 rules they keep."""

    line_total: Decimal  # BT-106
    tax_basis: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    grand_total: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    due_payable: Decimal  # BT-115


@dataclass(frozen=True, slots=True)
class PrecedingInvoice:
    number: str
    issue_date: date


@dataclass(frozen=True, slots=True)
class EInvoice:
    type_code: str  # 380 invoice, 381 credit note
    number: str
    issue_date: date
    currency: str
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat: tuple[VatBreakdown, ...]
    totals: Totals
    payment: Payment
    delivery_date: date
    buyer_reference: str = ""
    note: str = ""
    preceding: PrecedingInvoice | None = None

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE


def cents(value: Decimal) -> Decimal:
    """Half-up to two decimals, the most EN 16931 allows on an amount (BR-DEC-*)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def check_totals(invoice: EInvoice) -> None:
    """Raise :class:`EInvoiceError` unless the EN 16931 calculation rules hold exactly.

    BR-CO-10 line total = sum of line amounts; BR-CO-13 tax basis = line total (no document allowances
    or charges); BR-CO-14 tax total = sum of breakdown taxes; BR-CO-15 grand total = basis + tax;
    BR-CO-16 due = grand total - paid; BR-S-08/E-08/O-08 breakdown basis = sum of its lines;
    BR-CO-17 breakdown tax = basis x rate within the validators' tolerance of one unit.
    """
    t = invoice.totals
    problems = []
    if t.line_total != sum((line.net_amount for line in invoice.lines), Decimal(0)):
        problems.append("BR-CO-10")
    if t.tax_basis != t.line_total:
        problems.append("BR-CO-13")
    if t.tax_total != sum((v.tax for v in invoice.vat), Decimal(0)):
        problems.append("BR-CO-14")
    if t.grand_total != t.tax_basis + t.tax_total:
        problems.append("BR-CO-15")
    if t.due_payable != t.grand_total - t.prepaid:
        problems.append("BR-CO-16")
    for v in invoice.vat:
        basis = sum(
            (line.net_amount for line in invoice.lines if (line.category, line.rate) == (v.category, v.rate)),
            Decimal(0),
        )
        if basis != v.basis:
            problems.append(f"BR-{v.category}-08")
        expected = cents(v.basis * (v.rate or 0) / 100)
        if abs(v.tax - expected) > 1:
            problems.append("BR-CO-17")
    for line in invoice.lines:
        if line.net_amount != cents(line.net_price * line.quantity) or line.net_price < 0:
            problems.append(f"BR-27/line {line.id}")
    amounts = [*_amounts_of(t), *(line.net_amount for line in invoice.lines)]
    if any(amount != cents(amount) for amount in amounts):
        problems.append("BR-DEC")
    if problems:
        raise EInvoiceError("the e-invoice breaks " + ", ".join(problems))


def _amounts_of(totals: Totals) -> tuple[Decimal, ...]:
    return (
        totals.line_total,
        totals.tax_basis,
        totals.tax_total,
        totals.grand_total,
        totals.prepaid,
        totals.due_payable,
    )


# --- from an issued invoice ---------------------------------------------------------------------


def _text(source: Any, *names: str) -> str:
    """The first non-empty text attribute of ``source`` among ``names`` ("" when none)."""
    for name in names:
        value = getattr(source, name, None)
        if isinstance(value, str) and value.strip():
            return str(value).strip()
    return ""


_POSTCODE_CITY = re.compile(r"^(?P<postcode>[A-Z]{0,2}-?\d[\dA-Z -]{1,9}?)\s+(?P<city>\D.*)$")
_STATE_ZIP = re.compile(r"^(?P<state>[A-Z]{2})\s+(?P<postcode>\d{5}(?:-\d{4})?)$")  # "TX 78205"
_CITY_POSTCODE = re.compile(r"^(?P<city>\D+?),?\s+(?P<postcode>[A-Z]{1,2}\d[\dA-Z ]{1,6}|\d{4,6})$")


def _country(source: Any, address_lines: Iterable[str], locale: str) -> str:
    """The party's country: a country field, else a country named on the address's last line, else the
    region of its locale (``en_GB`` -> GB)."""
    explicit = _text(source, "country_code", "country")
    if len(explicit) == 2 and explicit.isalpha():
        return explicit.upper()
    lines = [line for line in address_lines if line.strip()]
    if lines:
        last = lines[-1].split(",")[-1].strip().lower()
        for code, name in Locale("en").territories.items():
            if len(code) == 2 and code.isalpha() and name.lower() == last:
                return str(code)
    region = locale.replace("-", "_").partition("_")[2]
    return region.upper() if len(region) == 2 and region.isalpha() else ""


#: The attributes of a property or account that ``party_of`` and ``bank_of`` read.
PARTY_FIELDS = (
    "legal_name", "name", "address", "postcode", "postal_code", "city", "country_code", "country",
    "locale", "language", "vat_id", "vat_number", "legal_registration", "registration", "company_id",
    "contact_name", "contact_email", "email", "iban", "bic", "bank",
)  # fmt: skip


def snapshot(source: Any) -> SimpleNamespace | None:
    """The party fields of ``source`` copied now (a database record read later could load lazily)."""
    if source is None:
        return None
    values = {name: getattr(source, name, None) for name in PARTY_FIELDS}
    bank = values["bank"]
    if bank is not None and not isinstance(bank, dict):
        values["bank"] = {"iban": getattr(bank, "iban", None), "bic": getattr(bank, "bic", None)}
    return SimpleNamespace(**values)


def party_of(source: Any, *, fallback_name: str, locale: str = "", identifier: str = "") -> Party:
    """A party from a property or account record, reading the fields it has (getattr-safe).

    Recognised: ``legal_name`` (else ``name``), ``address`` (text, one part a line), ``postcode``,
    ``city``, ``country_code`` or ``country``, ``vat_id``, ``legal_registration`` (or
    ``registration``, ``company_id``), ``contact_name``, ``contact_email``.
    """
    name = _text(source, "legal_name", "name") or fallback_name
    address = _text(source, "address")
    lines = [part.strip() for part in re.split(r"\n", address) if part.strip()]
    if len(lines) == 1:  # "1 Summit Way, Snoqualmie Pass, WA 98068"
        lines = [part.strip() for part in lines[0].split(",") if part.strip()]
    country = _country(source, lines, _text(source, "locale", "language") or locale)
    if lines and country and _country(None, lines[-1:], "") == country:
        lines = lines[:-1]  # the country is written as its code
    postcode, city = _text(source, "postcode", "postal_code"), _text(source, "city")
    if not (postcode or city) and lines:
        state = _STATE_ZIP.match(lines[-1])
        match = _POSTCODE_CITY.match(lines[-1]) or _CITY_POSTCODE.match(lines[-1])
        if state and len(lines) > 1:
            postcode, city = state["postcode"], f"{lines[-2]}, {state['state']}"
            lines = lines[:-2]
        elif match:
            postcode, city = match["postcode"].strip(), match["city"].strip()
            lines = lines[:-1]
        elif len(lines) > 1:
            city = lines.pop()
    return Party(
        name=name,
        address_lines=tuple(lines[:3]),
        postcode=postcode,
        city=city,
        country_code=country,
        vat_id=_text(source, "vat_id", "vat_number").replace(" ", ""),
        legal_registration=_text(source, "legal_registration", "registration", "company_id"),
        identifier=identifier,
        contact_name=_text(source, "contact_name"),
        contact_email=_text(source, "contact_email", "email"),
    )


def bank_of(source: Any) -> tuple[str, str]:
    """(IBAN, BIC) from ``iban``/``bic`` fields or a ``bank`` object or mapping with them."""
    bank = getattr(source, "bank", None)
    iban = _text(source, "iban") or _text(bank, "iban")
    bic = _text(source, "bic") or _text(bank, "bic")
    if isinstance(bank, dict):
        iban = iban or str(bank.get("iban") or "").strip()
        bic = bic or str(bank.get("bic") or "").strip()
    return iban.replace(" ", "").upper(), bic.replace(" ", "").upper()


def _taxed_rates(assessment: Assessment, profile: TaxProfile | None) -> dict[str, Decimal]:
    """For each line the engine taxed, keyed by the label the engine gives its base: the sum of the
    rates that taxed it. Keys are damages kinds and ``service:<kind>`` for a service charge."""
    if profile is None:
        return {}
    labels = {line.label for line in assessment.lines if line.kind is LineKind.TAX}
    rates: dict[str, Decimal] = {}
    for kind in DamagesKind:
        for rule in profile.taxes:
            pct = pct_text(rule.rate_pct)
            # Exclusive taxes are "on" the kind; inclusive ones "included in" it (its net is the line
            # that takes the included tax off the damages, so the basis is the net).
            if not labels & {
                f"{rule.name} {pct} on {words(kind)}",
                f"{rule.name} {pct} included in {words(kind)}",
            }:
                continue
            rates[kind] = rates.get(kind, Decimal(0)) + rule.rate_pct
            if rule.on_service_charge:
                key = f"service:{kind}"
                rates[key] = rates.get(key, Decimal(0)) + rule.rate_pct
    return rates


def _rate_key(line: LineItem) -> str | None:
    if line.damages_kind is not None:
        return str(line.damages_kind)
    if line.kind is LineKind.SERVICE_CHARGE:
        for kind in DamagesKind:
            if line.label == f"Service charge on {words(kind)}":
                return f"service:{kind}"
    return None


def from_invoice(
    *,
    assessment: Assessment,
    contract: Contract,
    number: str,
    issue_date: date,
    due_date: date,
    seller: Any,
    buyer: Any | None,
    line_names: Iterable[str] | None = None,
    credited: PrecedingInvoice | None = None,
    seller_identifier: str = "",
    payment_terms: str = "",
) -> EInvoice:
    """The e-invoice of an issued invoice, or of a credit note when ``credited`` names the invoice.

    ``seller`` is the property (record or anything with its fields), ``buyer`` the account or None (the
    group as the contract names it); ``line_names`` the invoice's line labels in its language (default
    the engine's). Raises :class:`EInvoiceError` for a currency with more than two minor units.
    """
    currency = assessment.currency
    if minor_units(currency) > 2:
        raise EInvoiceError(f"EN 16931 amounts have at most two decimals; {currency} has more")
    profile = contract.tax_profile
    rates = _taxed_rates(assessment, profile)
    names = list(line_names) if line_names is not None else [line.label for line in assessment.lines]
    has_taxed = bool(rates)
    untaxed, reasons = _untaxed_category(profile, has_taxed)

    lines: list[Line] = []
    prepaid = Decimal(0)
    engine_tax = Decimal(0)
    for item, name in zip(assessment.lines, names, strict=True):
        amount = cents(item.amount.amount)
        if item.kind in _SETTLED_KINDS:
            prepaid -= amount
            continue
        if item.kind in _TAX_KINDS:
            engine_tax += amount
            continue
        key = _rate_key(item)
        rate = rates.get(key) if key is not None else None
        quantity = Decimal(-1) if amount < 0 else Decimal(1)
        lines.append(
            Line(
                id=str(len(lines) + 1),
                name=name,
                quantity=quantity,
                net_price=abs(amount),
                net_amount=amount,
                category=VatCategory.STANDARD if rate is not None else untaxed,
                # An exempt or zero-rated line states a rate of 0 (BR-E-05, BR-Z-05), a line outside the
                # scope none (BR-O-05).
                rate=rate
                if rate is not None
                else (None if untaxed is VatCategory.OUTSIDE_SCOPE else Decimal(0)),
            )
        )
    if not lines:
        raise EInvoiceError("an e-invoice needs at least one line (BR-16)")
    vat = _breakdowns(lines, engine_tax, reasons)
    line_total = sum((line.net_amount for line in lines), Decimal(0))
    tax_total = sum((v.tax for v in vat), Decimal(0))
    grand_total = line_total + tax_total
    totals = Totals(
        line_total=line_total,
        tax_basis=line_total,
        tax_total=tax_total,
        grand_total=grand_total,
        prepaid=prepaid,
        due_payable=grand_total - prepaid,
    )
    # Category O forbids VAT identifiers on the invoice (BR-O-02 to BR-O-04).
    outside = untaxed is VatCategory.OUTSIDE_SCOPE and not has_taxed
    seller_party = party_of(
        seller, fallback_name=contract.property.name, locale=contract.property.locale,
        identifier=seller_identifier,
    )  # fmt: skip
    buyer_party = party_of(buyer, fallback_name=contract.group.name)
    if outside:
        seller_party = _without_vat_id(seller_party)
        buyer_party = _without_vat_id(buyer_party)
    if not (seller_party.vat_id or seller_party.legal_registration):
        # BR-CO-26: the seller must be identifiable; the property's own number is the fallback.
        seller_party = _with_identifier(seller_party, seller_identifier)
    iban, bic = bank_of(seller)
    is_credit = credited is not None
    invoice = EInvoice(
        type_code=CREDIT_NOTE if is_credit else INVOICE,
        number=number,
        issue_date=issue_date,
        currency=currency,
        seller=seller_party,
        buyer=buyer_party,
        lines=tuple(lines),
        vat=vat,
        totals=totals,
        payment=Payment(
            reference=number,
            due_date=None if is_credit else due_date,
            terms=payment_terms,
            iban="" if is_credit else iban,
            bic="" if is_credit else bic,
        ),
        delivery_date=min(contract.departure_date, assessment.as_of),
        # BT-10: the buyer's own reference (its purchase order) when it gave one, else the contract.
        buyer_reference=_text(buyer, "reference") or contract.id,
        note=f"{contract.group.name}: {contract.name}" if contract.name else contract.group.name,
        preceding=credited,
    )
    check_totals(invoice)
    return invoice


def _without_vat_id(party: Party) -> Party:
    return Party(**{**_fields(party), "vat_id": ""})


def _with_identifier(party: Party, identifier: str) -> Party:
    return Party(**{**_fields(party), "identifier": party.identifier or identifier})


def _fields(party: Party) -> dict[str, Any]:
    return {name: getattr(party, name) for name in Party.__slots__}


def _untaxed_category(
    profile: TaxProfile | None, has_taxed: bool
) -> tuple[VatCategory, dict[VatCategory, tuple[str, str]]]:
    """The category of untaxed lines and the exemption reason and code of each untaxed category.

    The profile's ``vat_category`` decides when it is exempt (E), zero-rated (Z) or, on an invoice
    with no taxed line, outside the scope (O; EN 16931 allows no other category beside O), with the
    profile's reason and VATEX code. Otherwise: exempt beside taxed lines, else outside the scope.
    """
    given = profile.vat_category.value if profile is not None and profile.vat_category is not None else ""
    reason = profile.exemption_reason if profile is not None else ""
    code = (profile.exemption_reason_code or "") if profile is not None else ""
    reasons = {
        VatCategory.OUTSIDE_SCOPE: (OUTSIDE_SCOPE_TEXT, OUTSIDE_SCOPE_CODE),
        VatCategory.EXEMPT: (UNTAXED_TEXT, ""),
        VatCategory.ZERO_RATED: ("", ""),
    }
    if given == VatCategory.ZERO_RATED:
        return VatCategory.ZERO_RATED, reasons
    if given == VatCategory.EXEMPT:
        reasons[VatCategory.EXEMPT] = (reason or UNTAXED_TEXT, code)
        return VatCategory.EXEMPT, reasons
    if given == VatCategory.OUTSIDE_SCOPE and not has_taxed:
        reasons[VatCategory.OUTSIDE_SCOPE] = (reason or OUTSIDE_SCOPE_TEXT, code or OUTSIDE_SCOPE_CODE)
    return (VatCategory.EXEMPT if has_taxed else VatCategory.OUTSIDE_SCOPE), reasons


def _breakdowns(
    lines: list[Line],
    engine_tax: Decimal,
    reasons: dict[VatCategory, tuple[str, str]] | None = None,
) -> tuple[VatBreakdown, ...]:
    """One breakdown per (category, rate), in order of first use; see the module's docstring.
    ``reasons`` gives the exemption reason and code of the untaxed categories (default: ours)."""
    groups: dict[tuple[VatCategory, Decimal | None], Decimal] = {}
    for line in lines:
        key = (line.category, line.rate)
        groups[key] = groups.get(key, Decimal(0)) + line.net_amount
    taxes = {key: cents(basis * (key[1] or 0) / 100) for key, basis in groups.items()}
    standard = [key for key in groups if key[0] is VatCategory.STANDARD]
    difference = engine_tax - sum(taxes.values(), Decimal(0))
    if difference and standard:
        largest = max(standard, key=lambda key: abs(groups[key]))
        taxes[largest] += difference
    result = []
    for (category, rate), basis in groups.items():
        reason, code = "", ""
        if reasons is not None and category in reasons:
            reason, code = reasons[category]
        elif category is VatCategory.OUTSIDE_SCOPE:
            reason, code = OUTSIDE_SCOPE_TEXT, OUTSIDE_SCOPE_CODE
        elif category is VatCategory.EXEMPT:
            reason = UNTAXED_TEXT
        result.append(VatBreakdown(category, rate, basis, taxes[(category, rate)], reason, code))
    return tuple(result)
