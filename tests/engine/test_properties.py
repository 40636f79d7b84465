"""Properties every assessment keeps, whatever the contract (docs/architecture.md, "Tests")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import Assessment, Contract, assess
from app.engine.contract import DamageRateRule, DamagesKind, EvaluationMode, ResaleMode, ThresholdSemantics

from .builders import ARRIVAL, actuals, contract_data

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOM_TYPES = ("K", "Q", "S")
Cell = tuple[int, str]

#: Damage-rate rules that do not depend on pickup. ``pickup_weighted_average`` is left out of the
#: monotonicity property on purpose: one more room sold at a high rate raises the average rate, so
#: the damages can rise with pickup by the definition of that rule.
FIXED_PRICE_RULES = [DamageRateRule.CONTRACT_RATE, DamageRateRule.LOWEST_RATE, DamageRateRule.FIXED]


def money_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


rates = st.integers(min_value=50_00, max_value=450_00).map(money_text)


@dataclass(frozen=True)
class Scenario:
    """A generated contract and the pickup grid and inventory that go with it."""

    contract: Contract
    rooms: dict[Cell, int]
    rates: dict[Cell, Decimal]
    pickup: dict[Cell, int]
    inventory: tuple[dict[str, Any], ...]

    def actuals(self, pickup: dict[Cell, int] | None = None) -> dict[str, Any]:
        grid = self.pickup if pickup is None else pickup
        return {
            "pickup": [
                {"night": _night(n), "room_type": t, "room_nights": count}
                for (n, t), count in grid.items()
                if count
            ],
            "inventory": list(self.inventory),
        }

    def assess(self, pickup: dict[Cell, int] | None = None) -> Assessment:
        return assess(self.contract, actuals(**self.actuals(pickup)), self.contract.departure_date)


def _night(offset: int) -> str:
    return (ARRIVAL + timedelta(days=offset)).isoformat()


@st.composite
def tier_tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A step table on pickup % whose damages never rise as pickup rises."""
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=99), max_size=3)))
    pcts = sorted(
        draw(
            st.lists(
                st.integers(min_value=0, max_value=60), min_size=len(bounds) + 1, max_size=len(bounds) + 1
            )
        ),
        reverse=True,
    )
    starts = [0, *bounds]
    ends: list[int | None] = [*bounds, None]
    return [
        {"from_pct": s, "to_pct": e, "damages_pct": p} for s, e, p in zip(starts, ends, pcts, strict=True)
    ]


@st.composite
def scenarios(
    draw: st.DrawFn,
    mode: EvaluationMode | None = None,
    semantics: ThresholdSemantics | None = None,
    rules: tuple[DamageRateRule, ...] = tuple(DamageRateRule),
    extras: bool = False,
) -> Scenario:
    n_nights = draw(st.integers(min_value=1, max_value=5))
    types = ROOM_TYPES[: draw(st.integers(min_value=1, max_value=3))]
    cells = [(n, t) for n in range(n_nights) for t in types]
    rooms = {cell: draw(st.integers(min_value=0, max_value=60)) for cell in cells}
    rooms[cells[0]] = max(1, rooms[cells[0]])  # a block holds rooms
    cell_rates = {cell: draw(rates) for cell in cells}
    mode = mode or draw(st.sampled_from(EvaluationMode))
    attrition: dict[str, Any] = {
        "performance_pct": str(draw(st.decimals(min_value=50, max_value=100, places=1))),
        "damages_pct": draw(st.integers(min_value=0, max_value=100)),
        "evaluation_mode": mode.value,
        "threshold_semantics": (semantics or draw(st.sampled_from(ThresholdSemantics))).value,
        "minimum_rounding": draw(st.sampled_from(["ceil", "floor", "half_up", "exact"])),
        "pass_if_equal": draw(st.booleans()),
        "credit_allocation": draw(st.sampled_from(["highest_rate_first", "chronological", "pro_rata"])),
        "greater_of_charge": draw(st.sampled_from(["lesser", "room_nights", "revenue"])),
    }
    rule = draw(st.sampled_from(rules))
    attrition["damage_rate_rule"] = rule.value
    if rule is DamageRateRule.FIXED:
        attrition["fixed_rate"] = draw(rates)
    resale = ResaleMode.NONE
    if mode is EvaluationMode.TIERED:
        attrition["tiers"] = draw(tier_tables())
    else:
        resale = draw(st.sampled_from(ResaleMode))
    attrition["resale_mode"] = resale.value
    inventory: list[dict[str, Any]] = []
    if resale is not ResaleMode.NONE:
        for n in range(n_nights):
            resold = draw(st.integers(min_value=0, max_value=10))
            inventory.append(
                {
                    "night": _night(n),
                    "unsold_rooms": draw(st.integers(min_value=0, max_value=30)),
                    "resold_rooms": resold,
                    "resold_rate": draw(rates),
                }
            )
    terms: dict[str, Any] = {"attrition": attrition}
    if extras:
        terms.update(draw(extra_terms()))
    data = contract_data(
        [
            {"night": _night(n), "room_type": t, "rooms": rooms[(n, t)], "rate": cell_rates[(n, t)]}
            for n, t in cells
        ],
        **terms,
    )
    # Pickup around the block, sometimes above it, so that most groups owe something.
    pickup = {cell: draw(st.integers(min_value=0, max_value=rooms[cell] + 8)) for cell in cells}
    return Scenario(
        Contract.model_validate(data, strict=False),
        rooms,
        {cell: Decimal(rate) for cell, rate in cell_rates.items()},
        pickup,
        tuple(inventory),
    )


@st.composite
def extra_terms(draw: st.DrawFn) -> dict[str, Any]:
    """Credits and charges around room attrition: deposits, rebates, comps, tax, F&B, rental, stacking."""
    terms: dict[str, Any] = {"performance_stacking": draw(st.sampled_from(["stack", "greatest_only"]))}
    if draw(st.booleans()):
        terms["deposits"] = [{"received_date": "2025-01-01", "amount": draw(rates)}]
    if draw(st.booleans()):
        terms["rebates"] = {
            "per_room_night": money_text(draw(st.integers(0, 20_00))),
            "net_against_damages": True,
        }
    if draw(st.booleans()):
        terms["comps"] = {"ratio": draw(st.integers(10, 50)), "credit_unused_at_group_rate": True}
    if draw(st.booleans()):
        terms["tax_override"] = {
            "service_charge_pct": draw(st.integers(0, 25)),
            "service_charge_kinds": ["room_attrition"],
            "taxes": [
                {
                    "name": "Tax",
                    "rate_pct": draw(st.integers(0, 20)),
                    "kinds": ["room_attrition", "fnb_attrition"],
                }
            ],
        }
    if draw(st.booleans()):
        terms["fnb"] = {"minimum": "5000.00", "damages_pct": draw(st.integers(0, 100))}
    if draw(st.booleans()):
        terms["rental_scale"] = {
            "basis": "room_pickup_pct",
            "steps": [
                {"from_value": "0", "to_value": "80", "rental": "800.00"},
                {"from_value": "80", "rental": "0.00"},
            ],
        }
    return terms


def _room_damages(result: Assessment) -> Decimal:
    """Room attrition after resale credit and cap: every line of the room attrition kind."""
    return sum(
        (line.amount.amount for line in result.lines if line.damages_kind is DamagesKind.ROOM_ATTRITION),
        Decimal(0),
    )


@FAST
@given(scenarios(extras=True))
def test_damages_are_never_negative(scenario: Scenario) -> None:
    result = scenario.assess()
    assert result.total.amount >= 0
    assert _room_damages(result) >= 0
    assert result.unapplied_credit.amount >= 0


@pytest.mark.parametrize("semantics", list(ThresholdSemantics))
@pytest.mark.parametrize("mode", list(EvaluationMode))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damages_never_increase_when_pickup_rises(
    mode: EvaluationMode, semantics: ThresholdSemantics, data: st.DataObject
) -> None:
    scenario = data.draw(scenarios(mode=mode, semantics=semantics, rules=tuple(FIXED_PRICE_RULES)))
    cell = data.draw(st.sampled_from(sorted(scenario.pickup)))
    more = dict(scenario.pickup)
    more[cell] += data.draw(st.integers(min_value=1, max_value=20))
    before, after = scenario.assess(), scenario.assess(more)
    assert after.total <= before.total, (cell, before.lines, after.lines)


@FAST
@given(data=st.data())
def test_damages_with_credits_and_charges_never_increase_when_pickup_rises(data: st.DataObject) -> None:
    scenario = data.draw(scenarios(rules=tuple(FIXED_PRICE_RULES), extras=True))
    cell = data.draw(st.sampled_from(sorted(scenario.pickup)))
    more = dict(scenario.pickup)
    more[cell] += data.draw(st.integers(min_value=1, max_value=20))
    assert scenario.assess(more).total <= scenario.assess().total


@FAST
@given(scenarios())
def test_room_damages_never_exceed_unused_baseline_revenue(scenario: Scenario) -> None:
    # Cap worked out from the inputs: per night, unused rooms (block − pickup, less rooms resold when
    # the contract credits resale) × the block-weighted contract rate of that night.
    resold = {
        date.fromisoformat(report["night"]): report["resold_rooms"]
        for report in scenario.inventory
        if scenario.contract.attrition is not None
        and scenario.contract.attrition.resale_mode is ResaleMode.RESOLD_ROOMS
    }
    cap = Decimal(0)
    nights = sorted({n for n, _ in scenario.rooms})
    for n in nights:
        cells = [cell for cell in scenario.rooms if cell[0] == n]
        block = sum(scenario.rooms[c] for c in cells)
        if not block:
            continue
        rate = sum(scenario.rooms[c] * scenario.rates[c] for c in cells) / block
        unused = max(0, block - sum(scenario.pickup[c] for c in cells))
        unused = max(0, unused - resold.get(ARRIVAL + timedelta(days=n), 0))
        cap += unused * rate
    result = scenario.assess()
    assert _room_damages(result) <= cap.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@FAST
@given(scenarios(extras=True))
def test_line_items_sum_exactly_to_the_total(scenario: Scenario) -> None:
    result = scenario.assess()
    assert sum((line.amount.amount for line in result.lines), Decimal(0)) == result.total.amount


@FAST
@given(scenarios(extras=True))
def test_currency_is_preserved_and_amounts_are_at_the_minor_unit(scenario: Scenario) -> None:
    result = scenario.assess()
    amounts = [result.total, result.unapplied_credit, *(line.amount for line in result.lines)]
    assert {money.currency for money in amounts} == {"USD"}
    assert {money.amount.as_tuple().exponent for money in amounts} == {-2}


@FAST
@given(scenarios(extras=True))
def test_same_inputs_give_the_same_assessment(scenario: Scenario) -> None:
    assert scenario.assess() == scenario.assess()
