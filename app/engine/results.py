"""Frozen, explained results (docs/architecture.md, "Explanations").

Every amount carries the clause it applies, its inputs, the formula in words and the steps that
produced it. Results are plain frozen dataclasses: cheap to build, and serialised by pydantic's
``TypeAdapter`` at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import PlainSerializer, computed_field
from typing_extensions import TypedDict

from app.engine.contract import DamagesKind, PickupSource
from app.engine.explain import Explained, Say
from app.engine.money import Money


def _inputs_object(inputs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(inputs)


#: Named inputs of a line, in order; serialised as a JSON object (``{"room_nights": "5", ...}``).
Inputs = Annotated[tuple[tuple[str, str], ...], PlainSerializer(_inputs_object, return_type=dict[str, str])]


class LineKind(StrEnum):
    ROOM_ATTRITION = "room_attrition"
    FNB_ATTRITION = "fnb_attrition"
    MEETING_ROOM_RENTAL = "meeting_room_rental"
    CANCELLATION = "cancellation"
    RESALE_CREDIT = "resale_credit"
    DAMAGES_CAP = "damages_cap"
    COMP_CREDIT = "comp_credit"
    SERVICE_CHARGE = "service_charge"
    TAX = "tax"
    #: The tax contained in damages (an inclusive tax), taken off them beside its ``TAX`` line.
    INCLUDED_TAX = "included_tax"
    #: The difference a rounding term on the total makes (docs/taxes.md, "Rounding").
    ROUNDING = "rounding"
    REBATE = "rebate"
    DEPOSIT = "deposit"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Term:
    """A term that decided the result, and whether the contract set it or the default applied."""

    name: str
    value: str
    is_default: bool
    text: Say

    @computed_field(description="text as its kind and named values (see the README's API section)")  # type: ignore[prop-decorator]
    @property
    def explained(self) -> Explained:
        return self.text.structured()


class LineExplained(TypedDict):
    """A line's label, clause, formula and working as kinds and named values."""

    label: Explained
    clause: Explained
    formula: Explained
    steps: list[Explained]


@dataclass(frozen=True, slots=True)
class LineItem:
    kind: LineKind
    label: Say
    clause: Say
    formula: Say
    inputs: Inputs
    steps: tuple[Say, ...]
    amount: Money
    damages_kind: DamagesKind | None = None
    night: date | None = None
    room_nights: Decimal | None = None

    @computed_field(  # type: ignore[prop-decorator]
        description="label, clause, formula and steps as kinds and named values (README, API section)"
    )
    @property
    def explained(self) -> LineExplained:
        return {
            "label": self.label.structured(),
            "clause": self.clause.structured(),
            "formula": self.formula.structured(),
            "steps": [step.structured() for step in self.steps],
        }


@dataclass(frozen=True, slots=True)
class NightResult:
    """Room-night working for one night of the block."""

    night: date
    block_room_nights: int
    baseline_room_nights: int
    minimum_room_nights: Decimal
    credited_room_nights: int
    shortfall_room_nights: Decimal
    chargeable_room_nights: Decimal
    damage_rate: Money | None


@dataclass(frozen=True, slots=True)
class RoomSummary:
    """The room-block test: baseline, minimum, credited pickup and shortfall."""

    evaluation_mode: str
    original_room_nights: int
    baseline_room_nights: int
    minimum_room_nights: Decimal
    credited_room_nights: int
    shortfall_room_nights: Decimal
    chargeable_room_nights: Decimal
    pickup_pct: Decimal
    is_passed: bool
    nights: tuple[NightResult, ...]
    pickup_by_source: tuple[tuple[PickupSource, int], ...]
    uncredited_room_nights: int


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the group owes under the contract as of ``as_of``, with its working."""

    contract_id: str
    as_of: date
    currency: str
    remedy: str
    is_final: bool
    total: Money
    lines: tuple[LineItem, ...]
    unapplied_credit: Money
    terms: tuple[Term, ...]
    assumptions: tuple[Term, ...]
    warnings: tuple[Say, ...]
    conditions: tuple[Say, ...]
    rooms: RoomSummary | None

    @computed_field(description="warnings as kinds and named values")  # type: ignore[prop-decorator]
    @property
    def warnings_explained(self) -> list[Explained]:
        return [warning.structured() for warning in self.warnings]

    @computed_field(description="conditions as kinds and named values")  # type: ignore[prop-decorator]
    @property
    def conditions_explained(self) -> list[Explained]:
        return [condition.structured() for condition in self.conditions]
