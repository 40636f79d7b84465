"""Who sells and who buys: the legal identities an invoice names, and how a hotel numbers its invoices.

The hotel (seller) and the account (buyer) each carry an optional identity: legal name, address, tax id,
contact, and for the seller its registration, bank details and payment reference. Every text has a
bound; IBAN and BIC are checked with ``schwifty``, tax ids with ``python-stdnum`` where it knows the
country (EU VAT numbers with their country prefix, UK VAT, US EIN; others are kept as typed), emails
with ``email-validator`` (syntax only, no DNS). The three libraries are imported when a value needs
them, so that reading a contract file without identities does not load them. Nothing here does I/O:
the API, the pages, contract files and the invoice all validate with these models
(docs/invoice-requirements.md).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Self

from babel import Locale
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.engine.limits import AtMost, OneLine, OptionalName

#: Address lines (street, building, floor): postal formats use at most four before the town.
MAX_ADDRESS_LINES = 4
#: One address line, a city or a region: longer than any postal line.
MAX_ADDRESS_LINE_CHARS = 100
#: A postcode: the longest in use is 10 characters; room for spaces and a country prefix.
MAX_POSTCODE_CHARS = 20
#: A tax id or company registration as typed (with spaces and the country prefix).
MAX_TAX_ID_CHARS = 30
#: A purchase-order or other buyer reference.
MAX_REFERENCE_CHARS = 60
#: A payment reference: the 140 characters of a SEPA credit transfer's remittance information.
MAX_PAYMENT_REFERENCE_CHARS = 140
#: A phone number as typed (E.164 is 15 digits; room for spaces, brackets and an extension).
MAX_PHONE_CHARS = 30
#: A bank name.
MAX_BANK_NAME_CHARS = 100

_EN = Locale("en")
#: Where the postcode is printed on a line of its own after the town, and after the state.
_POSTCODE_LAST = frozenset({"GB", "IE"})
_POSTCODE_AFTER_REGION = frozenset({"US", "CA", "AU"})


def _text(max_length: int) -> Any:
    return Field(default="", max_length=max_length)


def _country(value: str) -> str:
    value = value.strip().upper()
    if value and not (len(value) == 2 and value.isalpha() and value in _EN.territories):
        raise PydanticCustomError(
            "country", "use the two-letter ISO 3166-1 code of a country, such as GB, FR or US"
        )
    return value


Country = Annotated[OneLine, Field(default="", max_length=2), AfterValidator(_country)]


def country_name(code: str, locale: Locale = _EN) -> str:
    """The name of a country code in ``locale`` (``FR`` -> ``France``); the code itself if unknown."""
    return str(locale.territories.get(code, code))


class Address(BaseModel):
    """A postal address: up to four lines, postcode, city, region and country (ISO 3166-1 alpha-2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lines: Annotated[
        tuple[Annotated[OneLine, Field(max_length=MAX_ADDRESS_LINE_CHARS)], ...],
        AtMost(MAX_ADDRESS_LINES, "address lines"),
    ] = ()
    postcode: OneLine = _text(MAX_POSTCODE_CHARS)
    city: OneLine = _text(MAX_ADDRESS_LINE_CHARS)
    region: OneLine = _text(MAX_ADDRESS_LINE_CHARS)
    country: Country = ""

    @field_validator("lines")
    @classmethod
    def _drop_blank_lines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(line.strip() for line in value if line.strip())

    @property
    def is_complete(self) -> bool:
        """A street line, a city and a country: enough to post a letter and to place the tax rules."""
        return bool(self.lines and self.city.strip() and self.country)

    def printed(self, locale: Locale = _EN) -> tuple[str, ...]:
        """The lines as printed: street lines, "postcode city", region, the country's name in ``locale``."""
        city, region, postcode = self.city.strip(), self.region.strip(), self.postcode.strip()
        country = country_name(self.country, locale) if self.country else ""
        if self.country in _POSTCODE_LAST:  # Edinburgh / EH2 1JE
            parts = [*self.lines, city, region, postcode, country]
        elif self.country in _POSTCODE_AFTER_REGION:  # Boston, MA 02110
            place = ", ".join(part for part in (city, f"{region} {postcode}".strip()) if part)
            parts = [*self.lines, place, country]
        else:  # 75007 Paris
            parts = [*self.lines, " ".join(part for part in (postcode, city) if part), region, country]
        return tuple(part for part in parts if part)


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: OptionalName = ""
    email: OneLine = Field(
        default="", max_length=320, description="an email address (checked by email-validator)"
    )
    phone: OneLine = Field(default="", max_length=MAX_PHONE_CHARS, pattern=r"^(\+?[0-9 ()./-]{4,30})?$")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        from email_validator import EmailNotValidError, validate_email

        try:
            return str(validate_email(value, check_deliverability=False).normalized)
        except EmailNotValidError as error:
            raise PydanticCustomError(
                "email", "not a valid email address: {reason}", {"reason": str(error)}
            ) from None

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone)


def _compact(value: str) -> str:
    return re.sub(r"[\s.-]", "", value).upper()


def _iban_reason(error: Exception) -> str:
    """Why schwifty refused an IBAN, in our words (its own messages name its exception classes)."""
    from schwifty.exceptions import InvalidChecksumDigits, InvalidLength

    if isinstance(error, InvalidChecksumDigits):
        return "its check digits do not match the rest, so a character is mistyped"
    if isinstance(error, InvalidLength):
        return "it has the wrong number of characters for its country"
    return "an IBAN starts with a country code and two check digits, e.g. GB29 NWBK 6016 1331 9268 19"


def _bic_reason(error: Exception) -> str:
    from schwifty.exceptions import InvalidLength

    if isinstance(error, InvalidLength):
        return "a BIC has 8 or 11 characters"
    return "4 letters for the bank, 2 for the country, 2 for the place and, optionally, 3 for the branch"


class BankDetails(BaseModel):
    """Where the buyer pays: an IBAN with its BIC, or an account number, routing number and bank name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iban: OneLine = Field(default="", max_length=42, description="checked with its country's format")
    bic: OneLine = Field(default="", max_length=11, description="8 or 11 characters")
    account_number: OneLine = Field(default="", max_length=34, pattern=r"^([0-9A-Za-z -]{4,34})?$")
    routing_number: OneLine = Field(
        default="", max_length=15, description="a US ABA routing number (9 digits), a UK sort code, …"
    )
    bank_name: OneLine = _text(MAX_BANK_NAME_CHARS)

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        if not value.strip():
            return ""
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        try:
            return str(IBAN(value).formatted)
        except SchwiftyException as error:
            raise PydanticCustomError(
                "iban", "not a valid IBAN: {reason}", {"reason": _iban_reason(error)}
            ) from None

    @field_validator("bic")
    @classmethod
    def _bic(cls, value: str) -> str:
        if not value.strip():
            return ""
        from schwifty import BIC
        from schwifty.exceptions import SchwiftyException

        try:
            return str(BIC(value))
        except SchwiftyException as error:
            raise PydanticCustomError(
                "bic", "not a valid BIC/SWIFT code: {reason}", {"reason": _bic_reason(error)}
            ) from None

    @field_validator("routing_number")
    @classmethod
    def _routing(cls, value: str) -> str:
        compact = re.sub(r"[\s-]", "", value)
        if not compact:
            return ""
        if not compact.isdigit() or not 6 <= len(compact) <= 9:
            raise PydanticCustomError("routing", "a routing number or sort code is 6 to 9 digits")
        from stdnum.us import rtn as us_rtn

        if len(compact) == 9 and not us_rtn.is_valid(compact):
            raise PydanticCustomError("routing", "not a valid US routing number (its check digit is wrong)")
        return value.strip()

    @model_validator(mode="after")
    def _one_way_to_pay(self) -> Self:
        if self.iban and not self.bic:
            raise PydanticCustomError("bank", "give the BIC with the IBAN")
        if (
            not self.iban
            and (self.account_number or self.routing_number)
            and not (self.account_number and self.routing_number and self.bank_name)
        ):
            raise PydanticCustomError(
                "bank", "without an IBAN, give the account number, the routing number and the bank name"
            )
        return self

    @property
    def is_empty(self) -> bool:
        return not (self.iban or self.account_number)


def tax_id_problem(value: str, country: str) -> str | None:
    """Why ``value`` is not a valid tax id for a party in ``country``, or None (valid, or a country
    whose ids we do not check). EU VAT numbers carry their country prefix (FR…, EL…, XI…)."""
    from stdnum.eu import vat as eu_vat
    from stdnum.gb import vat as gb_vat
    from stdnum.us import ein as us_ein

    compact = _compact(value)
    prefix = compact[:2]
    if prefix.lower() in eu_vat.MEMBER_STATES or prefix == "EL":
        return None if eu_vat.is_valid(compact) else "not a valid EU VAT number (check the digits)"
    if prefix == "GB" or (country == "GB" and compact.isdigit()):
        return None if gb_vat.is_valid(compact) else "not a valid UK VAT number (GB and 9 or 12 digits)"
    if country == "US":
        return None if us_ein.is_valid(compact) else "not a valid US EIN (nine digits, 12-3456789)"
    if country and country.lower() in eu_vat.MEMBER_STATES:
        return "an EU VAT number starts with its country code, such as FR or DE"
    return None


def _check_tax_id(value: str, info: ValidationInfo) -> str:
    value = value.strip()
    if not value:
        return ""
    address = info.data.get("address")
    country = address.country if isinstance(address, Address) else ""
    problem = tax_id_problem(value, country)
    if problem:
        raise PydanticCustomError("tax_id", problem)
    return value


#: The placeholder a payment reference may hold for the invoice's number.
NUMBER_PLACEHOLDER = "{number}"


class SellerIdentity(BaseModel):
    """The hotel as its invoices name it (the trading name stays the property's name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    legal_name: OptionalName = ""
    address: Address = Address()
    vat_id: OneLine = Field(
        default="",
        max_length=MAX_TAX_ID_CHARS,
        description="VAT or other tax id; EU VAT numbers with their country prefix (FR40303265045)",
    )
    registration: OneLine = Field(
        default="", max_length=MAX_TAX_ID_CHARS * 2, description="company registration, e.g. SC123456"
    )
    contact: Contact = Contact()
    bank: BankDetails = BankDetails()
    payment_reference: OneLine = Field(
        default="",
        max_length=MAX_PAYMENT_REFERENCE_CHARS,
        description="what the payer quotes; {number} is replaced by the invoice number",
    )

    _vat = field_validator("vat_id")(_check_tax_id)

    @field_validator("payment_reference")
    @classmethod
    def _only_number_placeholder(cls, value: str) -> str:
        if re.search(r"[{}]", value.replace(NUMBER_PLACEHOLDER, "")):
            raise PydanticCustomError("placeholder", "the only placeholder is {number} (the invoice number)")
        return value.strip()

    def payment_reference_for(self, number: str) -> str:
        return self.payment_reference.replace(NUMBER_PLACEHOLDER, number)


class BuyerIdentity(BaseModel):
    """The account as invoices bill it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    legal_name: OptionalName = ""
    address: Address = Address()
    tax_id: OneLine = Field(default="", max_length=MAX_TAX_ID_CHARS, description="VAT or other tax id")
    reference: OneLine = Field(
        default="", max_length=MAX_REFERENCE_CHARS, description="purchase order or other reference to quote"
    )
    contact: Contact = Contact()

    _tax = field_validator("tax_id")(_check_tax_id)


# --- invoice numbers ---------------------------------------------------------------------------------

#: The longest number (the invoices.number column).
MAX_NUMBER_CHARS = 40
#: The longest format and prefix.
MAX_FORMAT_CHARS = 32
MAX_PREFIX_CHARS = 10
DEFAULT_NUMBER_FORMAT = "{prefix}-{year}-{seq:06}"
PREFIX_PATTERN = r"^[A-Z][A-Z0-9]{0,9}$"
_TOKEN = re.compile(r"\{(prefix|year|seq(?::0([1-9]|10))?)\}")
_LITERAL = re.compile(r"^[A-Za-z0-9./_-]*$")


def number_format_problem(number_format: str) -> str | None:
    """Why ``number_format`` cannot number invoices, or None. It starts with ``{prefix}`` and a
    separator (so two hotels' numbers never collide), holds ``{seq}`` or ``{seq:0N}`` once (N ≤ 10),
    ``{year}`` at most once, and otherwise letters, digits and ``- / . _``."""
    if len(number_format) > MAX_FORMAT_CHARS:
        return f"at most {MAX_FORMAT_CHARS} characters"
    if not re.match(r"^\{prefix\}[-/._]", number_format):
        return "start with {prefix} and a separator (- / . _), for example {prefix}-{year}-{seq:06}"
    tokens = [match.group(1).split(":")[0] for match in _TOKEN.finditer(number_format)]
    if tokens.count("seq") != 1:
        return "hold the sequence number once, as {seq} or {seq:06} (zero-padded to 6 digits)"
    if tokens.count("year") > 1 or tokens.count("prefix") > 1:
        return "hold {prefix} and {year} once each at most"
    if not _LITERAL.match(_TOKEN.sub("", number_format)):
        return "besides {prefix}, {year} and {seq:06}, use only letters, digits and - / . _"
    # 32 characters of format render to at most 38 (a 10-character prefix, a 9-digit sequence): every
    # number fits the 40 of the column (tests/identity).
    return None


def render_number(number_format: str, prefix: str, year: int, sequence: int) -> str:
    def token(match: re.Match[str]) -> str:
        name, width = match.group(1).split(":")[0], match.group(2)
        if name == "prefix":
            return prefix
        if name == "year":
            return f"{year:04d}"
        return f"{sequence:0{int(width)}d}" if width else str(sequence)

    return _TOKEN.sub(token, number_format)


def number_period(number_format: str, year: int) -> str:
    """The series a number counts in: the year when the format shows it (numbers restart each year),
    else one series for all time (``""``)."""
    return f"{year:04d}" if "{year}" in number_format else ""


class InvoiceNumbering(BaseModel):
    """A hotel's invoice numbers: its prefix and a format (``RWC-2027-000042``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    invoice_prefix: str | None = Field(
        default=None, pattern=PREFIX_PATTERN, description="1 to 10 capital letters and digits, a letter first"
    )
    invoice_number_format: OneLine = Field(
        default="",
        max_length=MAX_FORMAT_CHARS,
        description="e.g. {prefix}-{year}-{seq:06}; empty: the default with a prefix, else 3-000042",
    )

    @field_validator("invoice_number_format")
    @classmethod
    def _format(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value:
            return ""
        if not info.data.get("invoice_prefix"):
            raise PydanticCustomError("prefix", "set the invoice prefix to use a number format")
        problem = number_format_problem(value)
        if problem:
            raise PydanticCustomError("number_format", "the format must {problem}", {"problem": problem})
        return value

    def effective_format(self) -> str:
        return self.invoice_number_format or (DEFAULT_NUMBER_FORMAT if self.invoice_prefix else "")
