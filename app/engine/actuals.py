"""Actuals: what happened against the contract (issue 2, item 3; docs/rules.md §3.2, §3.6, §4, §5)."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Annotated, Any, Self

from pydantic import Field, ModelWrapValidatorHandler, model_validator

from app.engine.contract import (
    EngineModel,
    FnbCategory,
    PickupSource,
    RoomCount,
    RoomType,
    RuleErrors,
    money_fields,
)
from app.engine.limits import MAX_ACTUALS_ROWS, MAX_PICKUP_ROWS, MAX_ROOMS, AtMost, IsoDate, Note
from app.engine.money import NonNegativeMoney, currency_scope, document_currency

Count = Annotated[int, Field(ge=0, le=MAX_ROOMS)]


class PickupEntry(EngineModel):
    """Credited room nights on one night and room type from one source.

    ``rate`` is the rate the rooms were paid at; it defaults to the block rate of the cell (or, for
    nights outside the block, to no rate, which revenue tests then cannot use).
    """

    night: IsoDate
    room_type: RoomType
    room_nights: Count
    source: PickupSource = PickupSource.IN_BLOCK
    rate: NonNegativeMoney | None = None


class InventoryReport(EngineModel):
    """The hotel's report for one night: unsold sellable rooms and rooms resold (docs/rules.md §3.6)."""

    night: IsoDate
    unsold_rooms: Count | None = None
    resold_rooms: Count = 0
    resold_rate: NonNegativeMoney | None = None
    other_groups_charged_rooms: Count = 0


class FnbSpend(EngineModel):
    """Catering spend in one category, net of tax and service charge."""

    category: FnbCategory
    amount: NonNegativeMoney


class ManualDamages(EngineModel):
    """An amount the hotel enters by hand where no clause computes one; always shown as manual."""

    amount: NonNegativeMoney
    reason: Note = Field(min_length=1)


class Actuals(EngineModel):
    """Pickup, inventory, spend and notices for one contract."""

    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    pickup: tuple[PickupEntry, ...] = ()
    cutoff_pickup: Annotated[tuple[RoomCount, ...], AtMost(MAX_PICKUP_ROWS, "cut-off pickup cells")] = ()
    inventory: Annotated[tuple[InventoryReport, ...], AtMost(MAX_ACTUALS_ROWS, "inventory reports")] = ()
    fnb_spend: Annotated[tuple[FnbSpend, ...], AtMost(MAX_ACTUALS_ROWS, "spend lines")] = ()
    fnb_notice_date: IsoDate | None = None
    cancellation_notice_date: IsoDate | None = None
    cancellation_resold_revenue: NonNegativeMoney | None = None
    manual_damages: ManualDamages | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _bare_amounts_take_the_currency(
        cls, data: Any, handler: ModelWrapValidatorHandler[Actuals]
    ) -> Actuals:
        code = data.get("currency") if isinstance(data, dict) else None
        outer = document_currency.get()
        if isinstance(code, str) and outer is not None and code != outer:
            raise ValueError(f"mixed currencies: {code} actuals for a {outer} contract")
        with currency_scope(code if code is not None else outer):
            return handler(data)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors = RuleErrors("Actuals")
        seen_pickup: set[tuple[date, str, PickupSource]] = set()
        for index, entry in enumerate(self.pickup):
            key = (entry.night, entry.room_type, entry.source)
            if key in seen_pickup:
                errors.add(
                    ("pickup", index),
                    f"{entry.night} {entry.room_type!r} {entry.source} is listed twice",
                )
            seen_pickup.add(key)
        nights: set[date] = set()
        for index, report in enumerate(self.inventory):
            if report.night in nights:
                errors.add(("inventory", index, "night"), f"{report.night} is reported twice")
            nights.add(report.night)
            if report.resold_rooms and report.resold_rate is None:
                errors.add(("inventory", index, "resold_rate"), "resold rooms need a resold_rate")
        # With a declared currency, bare and coded amounts are checked as they are read; without
        # one, the first amount sets the currency and any other amount is named.
        reference = self.currency
        for loc, money in money_fields(self, ()):
            if reference is None:
                reference = money.currency
            elif money.currency != reference:
                errors.add(
                    loc, f"mixed currencies: {money.currency} amount in {reference} actuals", str(money)
                )
        errors.raise_any()
        return self

    @cached_property
    def money_currency(self) -> str | None:
        """The currency of the actuals' amounts, if they carry any (computed once: models are frozen)."""
        for _, money in money_fields(self, ()):
            return money.currency
        return self.currency
