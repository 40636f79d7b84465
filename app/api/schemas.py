"""API-only shapes: what responses look like where they differ from the engine's models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.engine.contract import Contract
from app.engine.limits import Name
from app.engine.money import Money
from app.services.auth import Access
from app.services.contracts import ContractStatus
from app.services.external_codes import ExternalCode

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """Every list answers this envelope (``app.api.conventions``; README, "Integration")."""

    items: list[Item]
    total: int = Field(description="How many items match, over all pages")
    limit: int = Field(description="The most items a page holds (the query's limit)")
    offset: int = Field(description="Items skipped before this page")


class Amount(BaseModel):
    """Money in an answer: always this object (money sent in a body may also be a quoted decimal)."""

    amount: str = Field(description="Exact decimal text (189.00); negative on a credit note")
    currency: str = Field(description="ISO 4217 code", pattern=r"^[A-Z]{3}$")


def amount_of(money: Money) -> Amount:
    return Amount(amount=str(money.amount), currency=money.currency)


class PropertyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    address: str
    currency: str
    locale: str
    timezone: str
    tax_profile: dict[str, Any] | None
    identity: dict[str, Any] | None = Field(description="The legal identity invoices print (SellerIdentity)")
    invoice_prefix: str | None
    invoice_number_format: str = Field(
        description="Empty: {prefix}-{year}-{seq:06} with a prefix, else 3-000042"
    )
    hotel_code: str | None = Field(description="The property's code in booking systems (HotelCode)")
    last_room_sold_sharing: str = Field(
        description="How a night's unsold rooms are shared among the groups short that night: "
        "invoice_order or pro_rata"
    )
    revision: int
    created_at: datetime
    updated_at: datetime


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    property_id: int
    name: str
    contact_name: str
    contact_email: str
    language: str
    segment: str
    identity: dict[str, Any] | None = Field(description="The legal identity invoices bill (BuyerIdentity)")
    revision: int
    created_at: datetime
    updated_at: datetime


class ContractSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    property_id: int
    account_id: int | None
    reference: str = Field(description="The contract's own id (contract.id), unique within its property")
    block_code: str | None = Field(description="The block's code in booking systems (InvBlockCode)")
    name: str
    status: ContractStatus
    currency: str
    arrival_date: date
    departure_date: date
    current_version: int
    revision: int
    created_at: datetime
    updated_at: datetime


class ContractPublic(ContractSummary):
    contract: dict[str, Any] = Field(description="The terms of the current version (a Contract)")


class ContractWrite(BaseModel):
    """Create or amend a contract. ``contract`` is the same as the ``contract`` section of a contract
    file; its ``property`` section may be left out, since the stored property (``property_id``) always
    fills it. An amendment whose terms differ adds a version; status and account alone do not."""

    model_config = ConfigDict(extra="forbid")

    property_id: int | None = Field(default=None, description="Required on create; fixed afterwards")
    account_id: int | None = None
    status: ContractStatus = ContractStatus.DEFINITE
    note: str = Field(default="", max_length=500, description="Why this version was made")
    block_code: ExternalCode | None = Field(
        default=None,
        description="The block's code in booking systems (InvBlockCode), unique within the property; "
        "left out of an amendment it is kept, null removes it",
    )
    contract: Contract


class BlockWrite(BaseModel):
    """Create or replace the contract a property's block code names (``PUT .../blocks/{block_code}``):
    a contract write whose property and block code come from the address. ``contract.id`` may be left
    out: a new contract's is made from the block code (``GRP1`` -> ``grp1``), an existing one keeps its
    own."""

    model_config = ConfigDict(extra="forbid")

    account_id: int | None = None
    status: ContractStatus = ContractStatus.DEFINITE
    note: str = Field(default="", max_length=500, description="Why this version was made")
    contract: Contract


class RoomTypeCodesPublic(BaseModel):
    property_id: int
    codes: dict[str, str] = Field(description="booking-system code -> block room type")


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    note: str
    created_by: str
    created_at: datetime
    terms: dict[str, Any]


class Saved(BaseModel):
    contract_id: int
    as_of: date
    rows: int = Field(description="Rows recorded")


#: Marks where a schema refers to a component that pydantic does not generate itself (the assessment's,
#: added by app.api.openapi): a ``$ref`` there would be resolved, and fail, while generating.
REF_MARK = "x-attrition-ref"


def refers_to(component: str) -> dict[str, str]:
    return {REF_MARK: component}


#: The engine's assessment as the API writes it.
AssessmentJson = Annotated[dict[str, Any], WithJsonSchema(refers_to("Assessment"))]


class ContractAssessmentPublic(BaseModel):
    contract_id: int
    contract_version: int
    as_of: date
    assessment: AssessmentJson


class StoredAssessmentPublic(ContractAssessmentPublic):
    id: int
    created_by: str
    created_at: datetime


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    access: Access
    property_ids: list[int] = Field(default=[], description="Properties the key may use (not for admin keys)")


class ApiKeyCreated(BaseModel):
    id: int
    name: str
    access: Access
    property_ids: list[int]
    key: str = Field(
        description="Shown once; only its hash is kept (so an Idempotency-Key replay answers it empty)"
    )
