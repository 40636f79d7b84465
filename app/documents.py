"""The contract file format: a contract, optionally its actuals, an as-of date and the expected result.

Sample contracts in ``contracts/`` carry ``actuals``, ``as_of`` and ``expected`` so that a test can walk
the folder. ``contracts/schema.json`` is the JSON Schema of :class:`ContractDocument`.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ModelWrapValidatorHandler, model_validator

from app.engine.actuals import Actuals
from app.engine.contract import Contract
from app.engine.limits import IsoDate
from app.engine.money import Money, currency_scope
from app.engine.results import LineKind
from app.identity import BuyerIdentity, SellerIdentity


class ExpectedLine(BaseModel):
    """One line the assessment must contain: its kind, its night if any, and its amount."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: LineKind
    night: IsoDate | None = None
    amount: Money


class Expected(BaseModel):
    """The result a sample contract must produce, worked out by hand from docs/rules.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    total: Money
    remedy: Literal["attrition", "cancellation"] | None = None
    lines: tuple[ExpectedLine, ...] = ()
    note: str = Field(default="", description="How the expected figures were worked out")


class _ContractCurrencyScope(BaseModel):
    """Bare amounts anywhere in the document (``"189.00"``) take the contract's currency."""

    @model_validator(mode="wrap")
    @classmethod
    def _document_currency(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        contract = data.get("contract") if isinstance(data, dict) else None
        code = contract.get("currency") if isinstance(contract, dict) else None
        with currency_scope(code):
            return handler(data)


class ContractDocument(_ContractCurrencyScope):
    """A contract file (YAML or JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="attrition contract file")

    schema_version: Literal[1] = 1
    contract: Contract
    seller: SellerIdentity | None = Field(
        default=None,
        description="The hotel's legal identity on invoices (legal name, address, VAT id, bank details, …)",
    )
    buyer: BuyerIdentity | None = Field(
        default=None, description="The account's legal identity on invoices (legal name, billing address, …)"
    )
    actuals: Actuals | None = None
    as_of: IsoDate | None = None
    expected: Expected | None = None


class AssessmentRequest(_ContractCurrencyScope):
    """A contract and its actuals, assessed as of a date without storing anything (the stateless API)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contract: Contract
    actuals: Actuals | None = None
    as_of: IsoDate | None = Field(
        default=None, description="Defaults to today in the property's timezone (contract.property.timezone)"
    )
