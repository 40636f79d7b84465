"""Properties (hotels) and the accounts (booking organisations) each one keeps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.engine.contract import PropertyInfo, Segment, TaxProfile
from app.engine.limits import Name, Note, OneLine, OptionalName
from app.engine.sharing import SharingRule
from app.identity import BuyerIdentity, InvoiceNumbering, SellerIdentity
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, PropertyRecord
from app.services.auth import Principal
from app.services.errors import ConflictError, NotFoundError, PreconditionFailedError, Problem
from app.services.external_codes import ExternalCode
from app.tax_profiles import JurisdictionProfile, load_tax_profiles

LocaleCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", description="for example en, fr_FR")]


def _known_locale(value: str) -> str:
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"unknown locale {value!r}") from None
    return value


class PropertyCreate(InvoiceNumbering):
    """A hotel: its name and address on the letterhead, its currency, locale, timezone and tax profile,
    the legal identity its invoices print, and how it numbers them (app/identity.py)."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    name: Name
    address: Note = ""
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    locale: LocaleCode = "en"
    timezone: OneLine = Field(
        default="UTC", min_length=1, max_length=60, description="IANA name, e.g. Europe/Lisbon"
    )
    tax_profile: TaxProfile | None = None
    tax_profile_code: str | None = Field(
        default=None,
        max_length=6,
        description="A shipped jurisdiction profile (docs/taxes.md §5) copied into tax_profile, such as "
        "GB or US-TX; not stored: read the copy back, edit a rule (an uncertain one first) and send it "
        "as tax_profile to override it",
    )
    identity: SellerIdentity | None = Field(
        default=None,
        description="legal name, address, VAT id, registration, contact, bank, payment reference",
    )
    hotel_code: ExternalCode | None = Field(
        default=None,
        description="The property's code in booking systems (OpenTravel HotelCode), unique; "
        "left out of an update it is kept, null removes it",
    )
    last_room_sold_sharing: SharingRule = Field(
        default=SharingRule.INVOICE_ORDER,
        description="How a night's unsold rooms are shared among the groups short that night under "
        "last-room-sold terms: invoice_order (invoiced groups first, in issue order, then by contract id) "
        "or pro_rata (by shortfall, largest remainder); left out of an update it is kept",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}: use an IANA name such as Europe/Lisbon") from None
        return value

    _locale = field_validator("locale")(_known_locale)

    @field_validator("tax_profile_code")
    @classmethod
    def _shipped_profile(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if code not in shipped_profiles():
            known = ", ".join(sorted(shipped_profiles()))
            raise ValueError(f"no tax profile is shipped for {value!r}; the profiles are {known}")
        return code

    @model_validator(mode="after")
    def _copy_the_profile(self) -> Self:
        code = self.tax_profile_code
        if code is None:
            return self
        if "tax_profile" in self.model_fields_set and self.tax_profile is not None:
            raise PydanticCustomError(
                "profile_twice", "give a tax profile code or a tax profile, not both: the code copies one"
            )
        shipped = shipped_profiles()[code]
        if shipped.currency != self.currency:
            raise PydanticCustomError(
                "profile_currency",
                "the {code} tax profile is for {profile} amounts; this property uses {currency}",
                {"code": code, "profile": shipped.currency, "currency": self.currency},
            )
        self.tax_profile = shipped.profile
        return self


@cache
def shipped_profiles() -> dict[str, JurisdictionProfile]:
    """The shipped jurisdiction profiles by code, read once."""
    return load_tax_profiles()


class AccountCreate(BaseModel):
    """An organisation that books with the hotel; ``language`` is the one its documents are written in."""

    model_config = ConfigDict(extra="forbid")

    property_id: int = Field(ge=1)
    name: Name
    contact_name: OptionalName = ""
    contact_email: OneLine = Field(default="", max_length=320)
    language: LocaleCode = "en"
    segment: Segment = Segment.OTHER
    identity: BuyerIdentity | None = Field(
        default=None, description="legal name, billing address, tax id, PO reference, contact"
    )

    _locale = field_validator("language")(_known_locale)


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    contact_name: OptionalName = ""
    contact_email: OneLine = Field(default="", max_length=320)
    language: LocaleCode = "en"
    segment: Segment = Segment.OTHER
    identity: BuyerIdentity | None = Field(
        default=None, description="legal name, billing address, tax id, PO reference, contact"
    )

    _locale = field_validator("language")(_known_locale)


def property_info(record: PropertyRecord) -> PropertyInfo:
    """The property as the engine sees it (identity and tax profile)."""
    return PropertyInfo.model_validate(
        {
            "name": record.name,
            "address": record.address,
            "locale": record.locale,
            "timezone": record.timezone,
            "tax_profile": record.tax_profile,
        },
        strict=False,
    )


def _property_values(data: PropertyCreate) -> dict[str, Any]:
    values: dict[str, Any] = data.model_dump(mode="json", exclude={"tax_profile_code"})
    for kept in ("hotel_code", "last_room_sold_sharing"):
        if kept not in data.model_fields_set:
            del values[kept]  # kept as it is
    if data.tax_profile is not None:  # keep "left to the default" visible to the engine's assumptions
        values["tax_profile"] = data.tax_profile.model_dump(mode="json", exclude_unset=True)
    return values


def seller_identity(record: PropertyRecord) -> SellerIdentity | None:
    return None if record.identity is None else SellerIdentity.model_validate(record.identity)


def buyer_identity(record: AccountRecord | None) -> BuyerIdentity | None:
    return (
        None if record is None or record.identity is None else BuyerIdentity.model_validate(record.identity)
    )


def numbering(record: PropertyRecord) -> InvoiceNumbering:
    return InvoiceNumbering(
        invoice_prefix=record.invoice_prefix, invoice_number_format=record.invoice_number_format
    )


def _prefix_taken(data: PropertyCreate) -> ConflictError:
    return ConflictError(
        f"another property numbers its invoices with the prefix {data.invoice_prefix}",
        [Problem("invoice_prefix", f"another property already uses the prefix {data.invoice_prefix}")],
    )


def create_property(session: Session, principal: Principal, data: PropertyCreate) -> PropertyRecord:
    principal.require_admin()
    try:
        with session.begin_nested():
            return repo.add(session, PropertyRecord(**_property_values(data)))
    except IntegrityError as error:
        raise _taken(error, data) from None


def _hotel_code_taken(hotel_code: str | None) -> ConflictError:
    return ConflictError(
        f"another property has the hotel code {hotel_code}",
        [Problem("hotel_code", "already used by another property")],
    )


def _taken(error: IntegrityError, data: PropertyCreate) -> ConflictError:
    """Which of the property's unique values another property already has (the index names it)."""
    if "hotel_code" in str(error.orig):
        return _hotel_code_taken(data.hotel_code)
    return _prefix_taken(data)


def get_property(session: Session, principal: Principal, property_id: int) -> PropertyRecord:
    record = repo.get(session, PropertyRecord, property_id)
    if record is None or not principal.can_see(property_id):
        raise NotFoundError(f"property {property_id} not found")
    return record


def list_properties(
    session: Session, principal: Principal, page: repo.Page, updated_since: datetime | None = None
) -> tuple[Sequence[PropertyRecord], int]:
    return repo.list_properties(session, principal.property_ids, page, updated_since)


def update_property(
    session: Session, principal: Principal, property_id: int, revision: int, data: PropertyCreate
) -> PropertyRecord:
    sharing = get_property(session, principal, property_id).last_room_sold_sharing
    principal.require_write(property_id, f"property {property_id}")
    try:
        with session.begin_nested():
            changed = repo.bump_revision(
                session, PropertyRecord, property_id, revision, **_property_values(data)
            )
    except IntegrityError as error:
        raise _taken(error, data) from None
    if not changed:
        raise PreconditionFailedError("the property has changed since you read it: fetch it again")
    record = get_property(session, principal, property_id)
    if record.last_room_sold_sharing != sharing:
        # Imported here: the hotel inventory service reads properties through this module.
        from app.services.hotel_inventory import sharing_changed

        sharing_changed(session, principal, property_id)
    return record


def create_account(session: Session, principal: Principal, data: AccountCreate) -> AccountRecord:
    get_property(session, principal, data.property_id)
    principal.require_write(data.property_id, f"property {data.property_id}")
    try:
        with session.begin_nested():
            return repo.add(session, AccountRecord(**data.model_dump(mode="json")))
    except IntegrityError:
        raise ConflictError(f"the property already has an account named {data.name!r}") from None


def get_account(session: Session, principal: Principal, account_id: int) -> AccountRecord:
    record = repo.get(session, AccountRecord, account_id)
    if record is None or not principal.can_see(record.property_id):
        raise NotFoundError(f"account {account_id} not found")
    return record


def list_accounts(
    session: Session,
    principal: Principal,
    property_id: int | None,
    page: repo.Page,
    updated_since: datetime | None = None,
) -> tuple[Sequence[AccountRecord], int]:
    return repo.list_accounts(session, principal.property_ids, property_id, page, updated_since)


def update_account(
    session: Session, principal: Principal, account_id: int, revision: int, data: AccountUpdate
) -> AccountRecord:
    record = get_account(session, principal, account_id)
    principal.require_write(record.property_id, f"account {account_id}")
    try:
        with session.begin_nested():
            changed = repo.bump_revision(
                session, AccountRecord, account_id, revision, **data.model_dump(mode="json")
            )
    except IntegrityError:
        raise ConflictError(f"the property already has an account named {data.name!r}") from None
    if not changed:
        raise PreconditionFailedError("the account has changed since you read it: fetch it again")
    return get_account(session, principal, account_id)
