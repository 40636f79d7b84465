"""Contract models: the room block, its clauses and their documented defaults (docs/rules.md §2-§5).

Every term that ``docs/rules.md`` names is a field here, with the default the domain documents. Which terms
the contract set and which it left to the default is visible through ``model_fields_set`` and is
reported by the engine as assumptions (docs/rules.md §8).
"""

from __future__ import annotations

import builtins
import functools
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Self, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    PlainSerializer,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from app.engine.explain import N_, Percent, Say, say, templates
from app.engine.limits import (
    MAX_AMOUNT,
    MAX_BLOCK_CELLS,
    MAX_CLAUSE_ITEMS,
    MAX_NAME_CHARS,
    MAX_NIGHTS,
    MAX_NOTICE_WINDOW_DAYS,
    MAX_PCT_PLACES,
    MAX_ROOM_TYPES,
    MAX_ROOMS,
    MAX_ROUNDING_STEP,
    MAX_TABLE_STEPS,
    MAX_TAX_SOURCES,
    MAX_URL_CHARS,
    AtMost,
    IsoDate,
    Note,
    OneLine,
)
from app.engine.money import (
    Money,
    NonNegativeMoney,
    Pct,
    Rounding,
    currency_scope,
    minor_units,
    pct_text,
)

Loc = tuple[str | int, ...]
RoomType = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _./-]*$")]
Rooms = Annotated[int, Field(ge=0, le=MAX_ROOMS)]


class _AtLeastOne:
    """``min_length=1`` for collections, checked only once the items are valid.

    pydantic's own ``min_length`` counts the items that validated, so a block whose only cell has a
    typo would also be reported as "should have at least 1 item": a second, misleading error.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_at_least_one, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["minItems"] = 1
        return json_schema


def _at_least_one(value: Any) -> Any:
    if not value:
        raise PydanticCustomError("too_short", "give at least one item")
    return value


AT_LEAST_ONE = _AtLeastOne()


def _sorted_values(values: frozenset[StrEnum]) -> list[str]:
    return sorted(value.value for value in values)


#: A set of enum values written as a sorted list: a set's iteration order follows string hashes, which
#: change from process to process, so the same terms must not dump (and be stored, and compared) in
#: another order elsewhere.
SORTED_IN_JSON = PlainSerializer(_sorted_values, return_type=list[str], when_used="json")


class EngineModel(BaseModel):
    """Frozen and strict inside the engine; file and API boundaries validate with ``strict=False``."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy without the values derived from this model's fields (``cached_property``,
        ``derived``): pydantic copies them along, and an update would leave them stale."""
        copied = super().model_copy(update=update, deep=deep)
        fields = type(self).__pydantic_fields__
        kept = copied.__dict__
        for key in [key for key in kept if key not in fields]:
            del kept[key]
        return copied


_T = TypeVar("_T")


def derived(model: EngineModel, key: str, compute: Callable[[], _T]) -> _T:
    """``compute()``, worked out once per frozen ``model`` and kept with it, as ``cached_property``
    does: the engine derives the same terms and tables from a contract on every assessment.

    ``key`` starts with an underscore, which keeps the value out of ``dict(model)``; the value must
    depend on ``model``'s fields alone (``model_copy`` drops it).
    """
    kept = model.__dict__
    if key in kept:
        return cast(_T, kept[key])
    value = kept[key] = compute()
    return value


class RuleErrors:
    """Collects rule violations with their field paths and raises them as one ValidationError."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.details: list[InitErrorDetails] = []

    def add(self, loc: Loc, message: str, value: Any = None) -> None:
        self.details.append(
            InitErrorDetails(type=PydanticCustomError("contract_rule", message), loc=loc, input=value)
        )

    def raise_any(self) -> None:
        if self.details:
            raise ValidationError.from_exception_data(self.title, self.details)


# --- enumerations (the values are the words used in files, API, forms and PDFs) -----------------


class Segment(StrEnum):
    ASSOCIATION = "association"
    CORPORATE = "corporate"
    SMERF = "smerf"
    WEDDING = "wedding"
    GOVERNMENT = "government"
    INCENTIVE = "incentive"
    OTHER = "other"


class EvaluationMode(StrEnum):
    CUMULATIVE = "cumulative"
    PER_NIGHT = "per_night"
    PER_NIGHT_WITH_CREDIT = "per_night_with_credit"
    PEAK_NIGHT = "peak_night"
    REVENUE = "revenue"
    GREATER_OF = "greater_of"
    TIERED = "tiered"


class ThresholdSemantics(StrEnum):
    DEDUCTIBLE = "deductible"
    CLIFF = "cliff"


class MinimumRounding(StrEnum):
    CEIL = "ceil"
    FLOOR = "floor"
    HALF_UP = "half_up"
    EXACT = "exact"


class BaselineMode(StrEnum):
    ADJUSTED = "adjusted"
    ORIGINAL = "original"
    STRICTER_OF = "stricter_of"


class DamageRateRule(StrEnum):
    CONTRACT_RATE = "contract_rate"
    LOWEST_RATE = "lowest_rate"
    PICKUP_WEIGHTED_AVERAGE = "pickup_weighted_average"
    FIXED = "fixed"


class ResaleMode(StrEnum):
    NONE = "none"
    RESOLD_ROOMS = "resold_rooms"
    LAST_ROOM_SOLD = "last_room_sold"


class CreditAllocation(StrEnum):
    HIGHEST_RATE_FIRST = "highest_rate_first"
    CHRONOLOGICAL = "chronological"
    PRO_RATA = "pro_rata"


class GreaterOfCharge(StrEnum):
    """What a group that fails both tests of a ``greater_of`` clause pays."""

    LESSER = "lesser"
    ROOM_NIGHTS = "room_nights"
    REVENUE = "revenue"


class PerformanceStacking(StrEnum):
    STACK = "stack"
    GREATEST_ONLY = "greatest_only"
    FIRST_APPLICABLE = "first_applicable"


class DamagesKind(StrEnum):
    ROOM_ATTRITION = "room_attrition"
    FNB_ATTRITION = "fnb_attrition"
    MEETING_ROOM_RENTAL = "meeting_room_rental"
    CANCELLATION = "cancellation"


class PickupSource(StrEnum):
    IN_BLOCK = "in_block"
    OUTSIDE_BLOCK = "outside_block"
    STAFF = "staff"
    SHOULDER = "shoulder"
    BILLED_NO_SHOW = "billed_no_show"
    WALKED = "walked"
    COMP = "comp"
    EARLY_DEPARTURE_PAID = "early_departure_paid"


class FnbCategory(StrEnum):
    BANQUET_FOOD = "banquet_food"
    BANQUET_BEVERAGE = "banquet_beverage"
    BARS = "bars"
    OUTLETS = "outlets"
    ROOM_RENTAL = "room_rental"


class CompRounding(StrEnum):
    FLOOR = "floor"
    CEIL = "ceil"


class ReductionBasis(StrEnum):
    ORIGINAL = "original"
    CURRENT = "current"


class ScaleBasis(StrEnum):
    ROOM_PICKUP_PCT = "room_pickup_pct"
    FNB_SPEND = "fnb_spend"


class CancellationComponentKind(StrEnum):
    ROOM_REVENUE = "room_revenue"
    FNB_MINIMUM = "fnb_minimum"
    MEETING_ROOM_RENTAL = "meeting_room_rental"
    OTHER = "other"


# --- identity --------------------------------------------------------------------------------


class ThresholdComparison(StrEnum):
    """How a tax threshold compares the charge with its base (docs/taxes.md, "Conditions")."""

    ABOVE = "above"
    AT_LEAST = "at_least"


class ThresholdBasis(StrEnum):
    """What a tax threshold measures the charge per room night against."""

    NIGHTLY_RATE = "nightly_rate"


class VatCategory(StrEnum):
    """The VAT category code of EN 16931 (UNTDID 5305) that an e-invoice gives the damages."""

    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"
    CANARY_ISLANDS = "L"
    CEUTA_MELILLA = "M"


#: EN 16931 (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10): these categories state why no VAT is due.
VAT_CATEGORIES_WITH_EXEMPTION = frozenset(
    {
        VatCategory.EXEMPT,
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
        VatCategory.EXPORT,
        VatCategory.OUTSIDE_SCOPE,
    }
)


class TaxSource(EngineModel):
    """A public ruling, statute or guidance a tax rule comes from (docs/taxes.md, "Sources")."""

    title: OneLine = Field(min_length=1, max_length=MAX_NAME_CHARS)
    url: str = Field(max_length=MAX_URL_CHARS, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")
    publisher: OneLine = Field(min_length=1, max_length=MAX_NAME_CHARS)
    #: The date of the ruling, guidance or rate, as precise as the source gives it (``2022``,
    #: ``2022-02`` or ``2022-02-07``); empty only where the source carries no date.
    published: str | None = Field(
        default=None, pattern=r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
    )


TaxSources = Annotated[tuple[TaxSource, ...], AtMost(MAX_TAX_SOURCES, "sources")]


class TaxThreshold(EngineModel):
    """The rule applies only when the charge per room night is above (or at least) ``pct`` % of the
    nightly rate, as where a cancellation fee below the room rate is a penalty, not rent."""

    basis: ThresholdBasis = ThresholdBasis.NIGHTLY_RATE
    comparison: ThresholdComparison = ThresholdComparison.ABOVE
    pct: Pct


class TaxNoticeWindow(EngineModel):
    """The rule applies only when notice came ``within_days`` days of arrival or later (a no-show
    included); ``applies_without_notice`` says what happens to damages with no notice date, such as
    attrition on an event that took place."""

    within_days: Annotated[int, Field(ge=0, le=MAX_NOTICE_WINDOW_DAYS)]
    applies_without_notice: bool = False


class TaxConditions(EngineModel):
    """Conditions a tax rule checks besides the damages kinds it lists; none by default."""

    threshold: TaxThreshold | None = None
    notice_window: TaxNoticeWindow | None = None


class TaxRule(EngineModel):
    """One tax (VAT, sales tax, occupancy tax) and the damages kinds it applies to (docs/rules.md §3.8).

    ``inclusive``: the damages already contain the tax, which is extracted (gross × rate / (100 + rate))
    rather than added. ``uncertain``: the sources do not settle the rule; a property may override it.
    """

    name: OneLine = Field(min_length=1, max_length=60)
    rate_pct: Pct
    kinds: Annotated[frozenset[DamagesKind], AT_LEAST_ONE, SORTED_IN_JSON]
    on_service_charge: bool = True
    inclusive: bool = False
    conditions: TaxConditions = TaxConditions()
    sources: TaxSources = ()
    uncertain: bool = False
    note: Note = ""


class TaxProfile(EngineModel):
    """What a jurisdiction taxes on damages. With no profile, damages carry no tax (docs/rules.md §3.8).

    ``vat_category`` and the exemption reason are what an e-invoice (EN 16931) states for the damages.
    """

    name: OneLine = Field(default="", max_length=120)
    service_charge_pct: Pct = Decimal(0)
    service_charge_kinds: Annotated[frozenset[DamagesKind], SORTED_IN_JSON] = frozenset()
    taxes: Annotated[tuple[TaxRule, ...], AtMost(MAX_CLAUSE_ITEMS, "taxes")] = ()
    vat_category: VatCategory | None = None
    exemption_reason: OneLine = Field(default="", max_length=MAX_NAME_CHARS)
    exemption_reason_code: str | None = Field(default=None, pattern=r"^VATEX-[A-Z]{2}-[A-Z0-9-]{1,20}$")
    sources: TaxSources = ()
    note: Note = ""

    @model_validator(mode="after")
    def _exemption_fits_category(self) -> Self:
        errors = RuleErrors("TaxProfile")
        has_reason = bool(self.exemption_reason) or self.exemption_reason_code is not None
        if self.vat_category is None:
            if has_reason:
                errors.add(("vat_category",), "an exemption reason needs a VAT category")
        elif self.vat_category in VAT_CATEGORIES_WITH_EXEMPTION and not has_reason:
            errors.add(
                ("exemption_reason",),
                f"VAT category {self.vat_category.value} needs an exemption reason or its VATEX code",
            )
        elif self.vat_category not in VAT_CATEGORIES_WITH_EXEMPTION and has_reason:
            errors.add(
                ("exemption_reason",),
                f"VAT category {self.vat_category.value} takes no exemption reason",
            )
        errors.raise_any()
        return self


class RoundingIncrement(StrEnum):
    """What a contract rounds money to (docs/taxes.md, "Rounding")."""

    MINOR_UNIT = "minor_unit"
    WHOLE_UNIT = "whole_unit"
    STEP = "step"


class RoundingScope(StrEnum):
    PER_LINE = "per_line"
    ON_TOTAL = "on_total"


class RoundingTerm(EngineModel):
    """How the contract rounds damages: to an increment, per line or on the total, with a method.

    The default is today's behaviour: each line to the currency's minor unit with the contract's
    ``money_rounding``; a contract that leaves the term unset has it listed as an assumption.
    """

    increment: RoundingIncrement = RoundingIncrement.MINOR_UNIT
    step: (
        Annotated[
            Decimal,
            Field(gt=0, le=MAX_ROUNDING_STEP, decimal_places=MAX_PCT_PLACES, allow_inf_nan=False),
        ]
        | None
    ) = None
    scope: RoundingScope = RoundingScope.PER_LINE
    #: Empty: the contract's ``money_rounding``.
    method: Rounding | None = None

    @model_validator(mode="after")
    def _step_with_step(self) -> Self:
        errors = RuleErrors("RoundingTerm")
        if self.increment is RoundingIncrement.STEP and self.step is None:
            errors.add(("step",), "increment 'step' needs a step, such as 0.05")
        if self.increment is not RoundingIncrement.STEP and self.step is not None:
            errors.add(("step",), "a step is only used with increment 'step'")
        errors.raise_any()
        return self


class PropertyInfo(EngineModel):
    name: OneLine = Field(min_length=1, max_length=MAX_NAME_CHARS)
    address: Note = ""
    locale: str = Field(default="en", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    timezone: OneLine = Field(default="UTC", max_length=60)
    tax_profile: TaxProfile | None = None


class GroupInfo(EngineModel):
    name: OneLine = Field(min_length=1, max_length=MAX_NAME_CHARS)
    account: OneLine = Field(default="", max_length=MAX_NAME_CHARS)
    segment: Segment = Segment.OTHER


# --- the block -------------------------------------------------------------------------------


class BlockCell(EngineModel):
    """Rooms held for one night and room type, at the group rate."""

    night: IsoDate
    room_type: RoomType
    rooms: Rooms
    rate: NonNegativeMoney


class RoomCount(EngineModel):
    night: IsoDate
    room_type: RoomType
    rooms: Annotated[int, Field(ge=1, le=MAX_ROOMS)]


class ReductionRight(EngineModel):
    """The group may reduce the block by up to ``max_pct`` until a date (docs/rules.md §3.1)."""

    name: OneLine = Field(default="", max_length=120)
    until_date: IsoDate | None = None
    until_days_before_arrival: Annotated[int, Field(ge=0, le=3650)] | None = None
    max_pct: Pct
    basis: ReductionBasis = ReductionBasis.ORIGINAL

    @model_validator(mode="after")
    def _one_deadline(self) -> Self:
        if (self.until_date is None) == (self.until_days_before_arrival is None):
            raise ValueError("give exactly one of until_date and until_days_before_arrival")
        return self

    def deadline(self, arrival: date) -> date:
        if self.until_date is not None:
            return self.until_date
        assert self.until_days_before_arrival is not None
        return arrival - timedelta(days=self.until_days_before_arrival)


class Reduction(EngineModel):
    """A block reduction the group notified on ``notice_date``."""

    notice_date: IsoDate
    cells: Annotated[tuple[RoomCount, ...], AtMost(MAX_BLOCK_CELLS, "cells"), AT_LEAST_ONE]

    @builtins.property
    def room_nights(self) -> int:
        return sum(cell.rooms for cell in self.cells)


# --- attrition -------------------------------------------------------------------------------


class CreditedSources(EngineModel):
    """Which pickup counts toward the minimum (docs/rules.md §3.2)."""

    in_block: bool = True
    outside_block: bool = True
    staff: bool = True
    shoulder: bool = True
    billed_no_show: bool = True
    walked: bool = True
    comp: bool = False
    early_departure_paid: bool = True

    def credits(self, source: PickupSource) -> bool:
        return bool(getattr(self, source))

    @cached_property
    def credited(self) -> frozenset[PickupSource]:
        """The sources that count, worked out once (the model is frozen)."""
        return frozenset(source for source in PickupSource if self.credits(source))


class PctTier(EngineModel):
    """A step of a table on a percentage, ``[from_pct, to_pct)``; ``to_pct`` empty means no limit."""

    from_pct: Pct
    to_pct: Pct | None = None
    damages_pct: Pct


class RebookingTerm(EngineModel):
    """A credit or waiver if the group books a comparable event within ``within_months``."""

    pct: Pct = Decimal(100)
    within_months: Annotated[int, Field(ge=1, le=120)]

    def condition_text(self, what: str) -> Say:
        """The condition, for ``what`` it credits: ``"cancellation fee"`` or ``"room attrition damages"``."""
        return say(_REBOOKING_KINDS[what], pct=Percent(self.pct), months=self.within_months)


templates(
    {
        "condition.rebooking.cancellation": N_(
            "{pct} of the cancellation fee is credited if the group books a comparable event with the "
            "hotel within {months} months."
        ),
        "condition.rebooking.attrition": N_(
            "{pct} of the room attrition damages is credited if the group books a comparable event "
            "with the hotel within {months} months."
        ),
    }
)
_REBOOKING_KINDS = {
    "cancellation fee": "condition.rebooking.cancellation",
    "room attrition damages": "condition.rebooking.attrition",
}


class AttritionClause(EngineModel):
    """Room-block attrition terms (docs/rules.md §3). Every default is the one docs/rules.md documents."""

    performance_pct: Pct
    damages_pct: Pct = Decimal(100)
    evaluation_mode: EvaluationMode = EvaluationMode.CUMULATIVE
    threshold_semantics: ThresholdSemantics = ThresholdSemantics.DEDUCTIBLE
    minimum_rounding: MinimumRounding = MinimumRounding.CEIL
    pass_if_equal: bool = True
    baseline_mode: BaselineMode = BaselineMode.ADJUSTED
    damage_rate_rule: DamageRateRule = DamageRateRule.CONTRACT_RATE
    fixed_rate: NonNegativeMoney | None = None
    resale_mode: ResaleMode = ResaleMode.NONE
    credit_allocation: CreditAllocation = CreditAllocation.HIGHEST_RATE_FIRST
    greater_of_charge: GreaterOfCharge = GreaterOfCharge.LESSER
    tiers: Annotated[tuple[PctTier, ...], AtMost(MAX_TABLE_STEPS, "tiers")] = ()
    credited_sources: CreditedSources = CreditedSources()
    released_rooms_count: bool = True
    rebooking_waiver: RebookingTerm | None = None

    @builtins.property
    def allowance_pct(self) -> Decimal:
        return 100 - self.performance_pct

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors = RuleErrors("AttritionClause")
        if self.damage_rate_rule is DamageRateRule.FIXED and self.fixed_rate is None:
            errors.add(("fixed_rate",), "damage_rate_rule 'fixed' needs a fixed_rate")
        if self.damage_rate_rule is not DamageRateRule.FIXED and self.fixed_rate is not None:
            errors.add(("fixed_rate",), "fixed_rate is only used with damage_rate_rule 'fixed'")
        if self.evaluation_mode is EvaluationMode.TIERED:
            if not self.tiers:
                errors.add(("tiers",), "evaluation_mode 'tiered' needs a tiers table")
            else:
                check_steps(errors, ("tiers",), [(t.from_pct, t.to_pct) for t in self.tiers], "tier")
            if self.resale_mode is not ResaleMode.NONE:
                errors.add(("resale_mode",), "resale credit is not defined for a tiered clause")
        elif self.tiers:
            errors.add(("tiers",), "tiers are only used with evaluation_mode 'tiered'")
        errors.raise_any()
        return self


class CompTerms(EngineModel):
    """One complimentary room night per ``ratio`` paid room nights (docs/rules.md §3.9)."""

    ratio: Annotated[int, Field(ge=1, le=1000)]
    rounding: CompRounding = CompRounding.FLOOR
    credit_unused_at_group_rate: bool = False


class RebateTerms(EngineModel):
    """A rebate or commission on actual room nights, netted against damages if the contract says so."""

    per_room_night: NonNegativeMoney | None = None
    pct_of_room_revenue: Pct | None = None
    net_against_damages: bool = False
    payee: OneLine = Field(default="", max_length=MAX_NAME_CHARS)

    @model_validator(mode="after")
    def _one_basis(self) -> Self:
        if (self.per_room_night is None) == (self.pct_of_room_revenue is None):
            raise ValueError("give exactly one of per_room_night and pct_of_room_revenue")
        return self


class Deposit(EngineModel):
    received_date: IsoDate
    amount: NonNegativeMoney
    reference: OneLine = Field(default="", max_length=120)


# --- food & beverage, meeting rooms ----------------------------------------------------------


class DayTier(EngineModel):
    """Inclusive whole-day range ``[min_days, max_days]`` (``max_days`` empty: and beyond)."""

    min_days: Annotated[int, Field(ge=0, le=36500)]
    max_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    pct: Pct


DEFAULT_FNB_CATEGORIES = frozenset({FnbCategory.BANQUET_FOOD, FnbCategory.BANQUET_BEVERAGE})


class FnbClause(EngineModel):
    """Catering minimum, net of tax and service charge (docs/rules.md §4)."""

    minimum: NonNegativeMoney
    allowance_pct: Pct = Decimal(0)
    damages_pct: Pct = Decimal(100)
    counted_categories: Annotated[frozenset[FnbCategory], AT_LEAST_ONE, SORTED_IN_JSON] = (
        DEFAULT_FNB_CATEGORIES
    )
    add_service_charge: bool = False
    service_charge_pct: Pct | None = None
    add_tax: bool = False
    tax_pct: Pct | None = None
    damages_pct_by_notice: Annotated[tuple[DayTier, ...], AtMost(MAX_TABLE_STEPS, "tiers")] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors = RuleErrors("FnbClause")
        if self.add_service_charge and self.service_charge_pct is None:
            errors.add(("service_charge_pct",), "add_service_charge needs service_charge_pct")
        if self.add_tax and self.tax_pct is None:
            errors.add(("tax_pct",), "add_tax needs tax_pct")
        if self.damages_pct_by_notice:
            check_day_tiers(errors, ("damages_pct_by_notice",), self.damages_pct_by_notice)
        errors.raise_any()
        return self


class ScaleStep(EngineModel):
    """Rental charged while the basis is in ``[from_value, to_value)``."""

    from_value: Annotated[
        Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=MAX_PCT_PLACES, allow_inf_nan=False)
    ]
    to_value: (
        Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, decimal_places=MAX_PCT_PLACES, allow_inf_nan=False)]
        | None
    ) = None
    rental: NonNegativeMoney


class RentalScale(EngineModel):
    """Meeting-room rental as a step function of room pickup % or F&B spend (docs/rules.md §4)."""

    basis: ScaleBasis
    steps: Annotated[tuple[ScaleStep, ...], AtMost(MAX_TABLE_STEPS, "steps"), AT_LEAST_ONE]

    @model_validator(mode="after")
    def _steps(self) -> Self:
        errors = RuleErrors("RentalScale")
        check_steps(errors, ("steps",), [(s.from_value, s.to_value) for s in self.steps], "step")
        errors.raise_any()
        return self


# --- cancellation ----------------------------------------------------------------------------


class CancellationComponent(EngineModel):
    """One part of the cancellation base, with its own percentage where the contract gives one."""

    kind: CancellationComponentKind
    pct: Pct = Decimal(100)
    amount: NonNegativeMoney | None = None
    label: OneLine = Field(default="", max_length=120)


class CancellationTier(DayTier):
    """A cancellation tier; ``component_pct`` gives some base components a percentage of their own in
    this tier ("120+ days: 80 % of rooms and 100 % of F&B"), which replaces the tier's ``pct`` for that
    component. A component's own ``pct`` (its share of the base) still applies on top
    (docs/rules.md §5)."""

    component_pct: Annotated[
        dict[CancellationComponentKind, Pct], Field(max_length=len(CancellationComponentKind))
    ] = Field(default_factory=dict)

    def pct_for(self, kind: CancellationComponentKind) -> Decimal:
        """The tier's percentage for components of ``kind``."""
        return self.component_pct.get(kind, self.pct)


class CancellationClause(EngineModel):
    """Cancellation scale by days before arrival (docs/rules.md §5)."""

    tiers: Annotated[tuple[CancellationTier, ...], AtMost(MAX_TABLE_STEPS, "tiers"), AT_LEAST_ONE]
    base: Annotated[tuple[CancellationComponent, ...], AtMost(MAX_CLAUSE_ITEMS, "components")] = (
        CancellationComponent(kind=CancellationComponentKind.ROOM_REVENUE),
    )
    resale_credit: bool = False
    rebooking_credit: RebookingTerm | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors = RuleErrors("CancellationClause")
        check_day_tiers(errors, ("tiers",), self.tiers)
        kinds = {component.kind for component in self.base}
        for index, tier in enumerate(self.tiers):
            for kind in tier.component_pct:
                if kind not in kinds:
                    errors.add(
                        ("tiers", index, "component_pct", kind.value),
                        f"'{kind}' is not a component of the cancellation base: "
                        "add it to base or remove it here",
                    )
        for index, component in enumerate(self.base):
            if component.kind is CancellationComponentKind.OTHER and component.amount is None:
                errors.add(("base", index, "amount"), "an 'other' component needs an amount")
            if (
                component.kind
                in (
                    CancellationComponentKind.ROOM_REVENUE,
                    CancellationComponentKind.FNB_MINIMUM,
                )
                and component.amount is not None
            ):
                errors.add(
                    ("base", index, "amount"),
                    f"the {component.kind} component is computed from the contract; remove the amount",
                )
        errors.raise_any()
        return self

    def tier_for(self, days: int) -> CancellationTier:
        """The tier that ``days`` falls in; validated tiers cover every day from 0 on."""
        return day_tier(self.tiers, days)


# --- table checks shared by the clauses ------------------------------------------------------


def check_steps(
    errors: RuleErrors, loc: Loc, steps: Sequence[tuple[Decimal, Decimal | None]], noun: str
) -> None:
    """Half-open steps ``[from, to)`` must start at 0, not overlap, leave no gap, and end open."""
    order = sorted(range(len(steps)), key=lambda i: steps[i][0])
    expected = Decimal(0)
    for position, index in enumerate(order):
        start, end = steps[index]
        if end is not None and end <= start:
            errors.add((*loc, index), f"{noun} {index + 1} ends at {end}, not above its start {start}")
            return
        if start > expected:
            errors.add(
                (*loc, index),
                f"gap before {noun} {index + 1}: nothing covers {expected} to {start}",
            )
            return
        if start < expected:
            errors.add(
                (*loc, index),
                f"{noun} {index + 1} overlaps the {noun} before it (starts at {start}, "
                f"the previous one runs to {expected})",
            )
            return
        if end is None:
            if position != len(order) - 1:
                errors.add((*loc, index), f"{noun} {index + 1} is open-ended but is not the last")
                return
        else:
            expected = end
    last_end = steps[order[-1]][1] if order else Decimal(0)
    if last_end is not None:
        errors.add((*loc,), f"the last {noun} must be open-ended (no upper limit)")


_Tier = TypeVar("_Tier", bound=DayTier)


def day_tier(tiers: Sequence[_Tier], days: int) -> _Tier:
    """The inclusive whole-day tier that ``days`` falls in (the tiers are validated to cover 0..∞)."""
    return next(t for t in tiers if t.min_days <= days and (t.max_days is None or days <= t.max_days))


def check_day_tiers(errors: RuleErrors, loc: Loc, tiers: Sequence[DayTier]) -> None:
    """Inclusive whole-day ranges must cover 0 to infinity without gaps or overlaps (docs/rules.md §5)."""
    order = sorted(range(len(tiers)), key=lambda i: tiers[i].min_days)
    expected = 0
    for position, index in enumerate(order):
        tier = tiers[index]
        name = f"tier {index + 1} [{tier.min_days}, {tier.max_days if tier.max_days is not None else '∞'}]"
        if tier.max_days is not None and tier.max_days < tier.min_days:
            errors.add((*loc, index), f"{name} ends before it starts")
            return
        if tier.min_days > expected:
            errors.add(
                (*loc, index),
                f"gap before {name}: days {expected} to {tier.min_days - 1} have no tier",
            )
            return
        if tier.min_days < expected:
            previous = tiers[order[position - 1]]
            errors.add(
                (*loc, index),
                f"{name} overlaps tier {order[position - 1] + 1} [{previous.min_days}, {previous.max_days}]",
            )
            return
        if tier.max_days is None:
            if position != len(order) - 1:
                errors.add((*loc, index), f"{name} is open-ended but another tier starts after it")
                return
            return
        expected = tier.max_days + 1
    errors.add(loc, f"the tiers stop at {expected - 1} days: the last tier must have no max_days")


# --- the contract ----------------------------------------------------------------------------


class Contract(EngineModel):
    """A group contract: block, rates and every clause that prices under-use (docs/rules.md §2-§5)."""

    id: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: OneLine = Field(default="", max_length=MAX_NAME_CHARS)
    property: PropertyInfo
    group: GroupInfo
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    arrival_date: IsoDate
    departure_date: IsoDate
    signed_date: IsoDate | None = None
    cutoff_date: IsoDate | None = None
    block: Annotated[tuple[BlockCell, ...], AtMost(MAX_BLOCK_CELLS, "block cells"), AT_LEAST_ONE]
    reduction_rights: Annotated[tuple[ReductionRight, ...], AtMost(MAX_CLAUSE_ITEMS, "reduction rights")] = ()
    reductions: Annotated[tuple[Reduction, ...], AtMost(MAX_CLAUSE_ITEMS, "reductions")] = ()
    offline_rooms: Annotated[tuple[RoomCount, ...], AtMost(MAX_BLOCK_CELLS, "off-line cells")] = ()
    attrition: AttritionClause | None = None
    comps: CompTerms | None = None
    rebates: RebateTerms | None = None
    deposits: Annotated[tuple[Deposit, ...], AtMost(MAX_CLAUSE_ITEMS, "deposits")] = ()
    fnb: FnbClause | None = None
    meeting_room_rental: NonNegativeMoney | None = None
    rental_scale: RentalScale | None = None
    performance_stacking: PerformanceStacking = PerformanceStacking.STACK
    stacking_order: Annotated[tuple[DamagesKind, ...], AtMost(len(DamagesKind), "damages kinds")] = (
        DamagesKind.ROOM_ATTRITION,
        DamagesKind.FNB_ATTRITION,
        DamagesKind.MEETING_ROOM_RENTAL,
    )
    cancellation: CancellationClause | None = None
    tax_override: TaxProfile | None = None
    money_rounding: Rounding = Rounding.HALF_UP
    rounding: RoundingTerm = RoundingTerm()
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30

    @model_validator(mode="wrap")
    @classmethod
    def _bare_amounts_take_the_contract_currency(
        cls, data: Any, handler: ModelWrapValidatorHandler[Contract]
    ) -> Contract:
        code = data.get("currency") if isinstance(data, dict) else None
        with currency_scope(code):
            return handler(data)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors = RuleErrors("Contract")
        if self.departure_date <= self.arrival_date:
            errors.add(("departure_date",), "departure_date must be after arrival_date")
            errors.raise_any()
        nights = (self.departure_date - self.arrival_date).days
        if nights > MAX_NIGHTS:
            errors.add(
                ("departure_date",),
                f"a stay is at most {MAX_NIGHTS} nights; this one has {nights:,}",
                str(self.departure_date),
            )
            errors.raise_any()
        room_types = len({cell.room_type for cell in self.block})
        if room_types > MAX_ROOM_TYPES:
            errors.add(("block",), f"at most {MAX_ROOM_TYPES} room types ({room_types} given)")
            errors.raise_any()
        self._check_currencies(errors)
        if not any(cell.rooms for cell in self.block):
            errors.add(("block",), "the block holds no rooms: at least one cell needs rooms")
        cells: dict[tuple[date, str], int] = {}
        for index, cell in enumerate(self.block):
            if not self.arrival_date <= cell.night < self.departure_date:
                errors.add(
                    ("block", index, "night"),
                    f"night {cell.night} is outside the stay [{self.arrival_date}, {self.departure_date})",
                    str(cell.night),
                )
            key = (cell.night, cell.room_type)
            if key in cells:
                errors.add(
                    ("block", index),
                    f"night {cell.night} room type {cell.room_type!r} is already block cell {cells[key] + 1}",
                )
            cells[key] = index
        if self.cutoff_date is not None and self.cutoff_date > self.arrival_date:
            errors.add(("cutoff_date",), "cutoff_date must not be after arrival_date")
        if (
            self.attrition is not None
            and not self.attrition.released_rooms_count
            and self.cutoff_date is None
        ):
            errors.add(
                ("attrition", "released_rooms_count"),
                "released rooms can only leave the baseline at a cut-off date: set cutoff_date",
            )
        for index, offline in enumerate(self.offline_rooms):
            _check_cell_ref(errors, ("offline_rooms", index), offline, cells)
        self._check_reductions(errors, cells)
        self._check_cancellation(errors)
        self._check_rounding_step(errors)
        if len(set(self.stacking_order)) != len(self.stacking_order):
            errors.add(("stacking_order",), "a damages kind appears twice")
        errors.raise_any()
        return self

    def _check_currencies(self, errors: RuleErrors) -> None:
        for loc, money in money_fields(self, ()):
            if money.currency != self.currency:
                errors.add(
                    loc,
                    f"mixed currencies: {money.currency} amount in a {self.currency} contract",
                    str(money.amount),
                )

    def _check_reductions(self, errors: RuleErrors, cells: dict[tuple[date, str], int]) -> None:
        remaining = {key: self.block[index].rooms for key, index in cells.items()}
        original_total = sum(cell.rooms for cell in self.block)
        taken_by_basis: dict[int, int] = defaultdict(int)
        for index, reduction in sorted(enumerate(self.reductions), key=lambda r: r[1].notice_date):
            loc: Loc = ("reductions", index)
            bad_cell = False
            for cell_index, cell in enumerate(reduction.cells):
                if not _check_cell_ref(errors, (*loc, "cells", cell_index), cell, cells):
                    bad_cell = True
                    continue
                key = (cell.night, cell.room_type)
                if cell.rooms > remaining[key]:
                    errors.add(
                        (*loc, "cells", cell_index, "rooms"),
                        f"reduces {cell.night} {cell.room_type!r} by {cell.rooms} but only "
                        f"{remaining[key]} rooms remain",
                    )
                    bad_cell = True
            if bad_cell:
                continue
            current_total = sum(remaining.values())
            size = reduction.room_nights
            allowed_by: int | None = None
            for right_index, right in enumerate(self.reduction_rights):
                if reduction.notice_date > right.deadline(self.arrival_date):
                    continue
                if right.basis is ReductionBasis.ORIGINAL:
                    limit = right.max_pct * original_total / 100
                    fits = taken_by_basis[right_index] + size <= limit
                else:
                    fits = size <= right.max_pct * current_total / 100
                if fits:
                    allowed_by = right_index
                    break
            if allowed_by is None:
                in_force = [
                    f"{r.name or f'right {i + 1}'} (up to {pct_text(r.max_pct)} of the "
                    f"{r.basis} block until {r.deadline(self.arrival_date)})"
                    for i, r in enumerate(self.reduction_rights)
                    if reduction.notice_date <= r.deadline(self.arrival_date)
                ]
                why = (
                    "rights in force: " + "; ".join(in_force)
                    if in_force
                    else "no reduction right is in force on that date"
                )
                errors.add(
                    (*loc,),
                    f"the reduction of {size} room nights notified {reduction.notice_date} goes "
                    f"beyond the rights in force on its notice date ({why})",
                )
                continue
            taken_by_basis[allowed_by] += size
            for cell in reduction.cells:
                remaining[(cell.night, cell.room_type)] -= cell.rooms

    def _check_rounding_step(self, errors: RuleErrors) -> None:
        step = self.rounding.step
        if step is not None and step != step.quantize(Decimal(1).scaleb(-minor_units(self.currency))):
            errors.add(
                ("rounding", "step"),
                f"a step of {step} is finer than the smallest {self.currency} amount",
                str(step),
            )

    def _check_cancellation(self, errors: RuleErrors) -> None:
        if self.cancellation is None:
            return
        for index, component in enumerate(self.cancellation.base):
            loc = ("cancellation", "base", index)
            if component.kind is CancellationComponentKind.FNB_MINIMUM and self.fnb is None:
                errors.add(loc, "the fnb_minimum component needs an fnb clause")
            if (
                component.kind is CancellationComponentKind.MEETING_ROOM_RENTAL
                and component.amount is None
                and self.meeting_room_rental is None
            ):
                errors.add(loc, "the meeting_room_rental component needs an amount or meeting_room_rental")

    # --- derived views ---------------------------------------------------------------------

    @cached_property
    def nights(self) -> tuple[date, ...]:
        return tuple(sorted({cell.night for cell in self.block}))

    def rooms_after_reductions(self, notified_by: date | None) -> dict[tuple[date, str], int]:
        """Rooms per (night, room type) after the reductions notified on or before ``notified_by``.

        ``None`` gives the contracted block. Validation guarantees no cell goes below zero.
        """
        rooms = dict(self.block_rooms)
        if notified_by is not None:
            for reduction in self.reductions:
                if reduction.notice_date <= notified_by:
                    for cell in reduction.cells:
                        rooms[(cell.night, cell.room_type)] -= cell.rooms
        return rooms

    def cell_rates(self) -> dict[tuple[date, str], Decimal]:
        """The group rate of each (night, room type) cell."""
        return dict(self.block_rates)

    @cached_property
    def block_rooms(self) -> Mapping[tuple[date, str], int]:
        """The contracted rooms of each (night, room type) cell; shared, so read only."""
        return {(cell.night, cell.room_type): cell.rooms for cell in self.block}

    @cached_property
    def block_rates(self) -> Mapping[tuple[date, str], Decimal]:
        """The group rate of each (night, room type) cell; shared, so read only."""
        return {(cell.night, cell.room_type): cell.rate.amount for cell in self.block}

    @cached_property
    def room_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cell.room_type for cell in self.block))

    @builtins.property
    def tax_profile(self) -> TaxProfile | None:
        return self.tax_override if self.tax_override is not None else self.property.tax_profile


def _check_cell_ref(errors: RuleErrors, loc: Loc, ref: RoomCount, cells: dict[tuple[date, str], int]) -> bool:
    if (ref.night, ref.room_type) not in cells:
        errors.add(loc, f"night {ref.night} room type {ref.room_type!r} is not in the block")
        return False
    return True


def money_fields(model: BaseModel, loc: Loc) -> Iterator[tuple[Loc, Money]]:
    for name in _money_field_names(type(model)):
        value = getattr(model, name)
        yield from _money_in(value, (*loc, name))


@functools.cache
def _money_field_names(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` whose type can hold Money, directly or inside a model or tuple: the
    others need not be walked (a pickup entry's night, room type and count, for every entry)."""
    return tuple(name for name, field in model.model_fields.items() if _may_hold_money(field.annotation))


def _may_hold_money(annotation: Any) -> bool:
    if annotation is Money:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return bool(_money_field_names(annotation))
    return any(_may_hold_money(argument) for argument in typing.get_args(annotation))


def _money_in(value: object, loc: Loc) -> Iterator[tuple[Loc, Money]]:
    if isinstance(value, Money):
        yield loc, value
    elif isinstance(value, BaseModel):
        yield from money_fields(value, loc)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _money_in(item, (*loc, index))
