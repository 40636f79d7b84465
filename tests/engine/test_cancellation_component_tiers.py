"""Cancellation tiers with a percentage per component ("120+ days: 80 % of rooms and 100 % of F&B";
issue 17, point 4; docs/rules.md §5)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.engine import LineKind
from app.engine.terms import contract_terms

from .builders import Case, cells, check, contract, night, run

CANCEL = LineKind.CANCELLATION
#: Two nights of 50 rooms at 200: room revenue 20,000; the F&B minimum is 5,000.
BLOCK = cells(50, 50)
ROOMS_AND_FNB = [{"kind": "room_revenue"}, {"kind": "fnb_minimum"}]
#: 120+ days: 80 % of rooms and 100 % of F&B; 0-119 days: 100 % of both.
TIERS = [
    {"min_days": 120, "pct": 80, "component_pct": {"fnb_minimum": 100}},
    {"min_days": 0, "max_days": 119, "pct": 100},
]


def cancelled(days_before: int) -> dict[str, Any]:
    return {"cancellation_notice_date": night(-days_before)}


def terms(
    tiers: list[dict[str, Any]], base: list[dict[str, Any]] = ROOMS_AND_FNB, **extra: Any
) -> dict[str, Any]:
    return {"cancellation": {"tiers": tiers, "base": base}, "fnb": {"minimum": "5000.00"}, **extra}


CASES = [
    pytest.param(
        # 20,000 × 80 % + 5,000 × 100 % (the tier's own F&B %) = 21,000.
        Case(BLOCK, terms(TIERS), cancelled(150), "21000.00", lines={CANCEL: "21000.00"}),
        id="150-days-rooms-at-tier-pct-fnb-at-its-own",
    ),
    pytest.param(Case(BLOCK, terms(TIERS), cancelled(120), "21000.00"), id="120-days-first-day-of-the-tier"),
    pytest.param(Case(BLOCK, terms(TIERS), cancelled(119), "25000.00"), id="119-days-100-pct-of-both"),
    pytest.param(Case(BLOCK, terms(TIERS), cancelled(0), "25000.00"), id="notice-on-arrival-day"),
    pytest.param(
        # The component's own 50 % still applies: 20,000 × 50 % × 80 % + 5,000 × 100 % = 13,000.
        Case(
            BLOCK,
            terms(TIERS, [{"kind": "room_revenue", "pct": 50}, {"kind": "fnb_minimum"}]),
            cancelled(150),
            "13000.00",
        ),
        id="component-pct-multiplies-the-tier-pct",
    ),
    pytest.param(
        # 200 days, tier 10 % but rooms 60 % and F&B 90 %: 12,000 + 4,500 + meeting room 750 × 10 % = 16,575.
        Case(
            BLOCK,
            terms(
                [
                    {"min_days": 181, "pct": 10, "component_pct": {"room_revenue": 60, "fnb_minimum": 90}},
                    {"min_days": 0, "max_days": 180, "pct": 100},
                ],
                [*ROOMS_AND_FNB, {"kind": "meeting_room_rental", "amount": "750.00"}],
            ),
            cancelled(200),
            "16575.00",
        ),
        id="two-components-of-their-own-a-third-at-the-tier-pct",
    ),
    pytest.param(
        # A component at 0 % in a tier costs nothing: 5,000 of F&B only.
        Case(
            BLOCK,
            terms([{"min_days": 0, "pct": 100, "component_pct": {"room_revenue": 0}}]),
            cancelled(10),
            "5000.00",
        ),
        id="component-at-zero-pct",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_a_tier_can_give_each_component_its_own_pct(case: Case) -> None:
    check(case)


PLAIN_TIERS = [{"min_days": 120, "pct": 80}, {"min_days": 0, "max_days": 119, "pct": 100}]


@pytest.mark.parametrize(("days", "total"), [(150, "20000.00"), (119, "25000.00")])
def test_without_the_map_every_component_takes_the_tier_pct_as_before(days: int, total: str) -> None:
    absent = check(Case(BLOCK, terms(PLAIN_TIERS), cancelled(days), total))
    empty = run(Case(BLOCK, terms([{**t, "component_pct": {}} for t in PLAIN_TIERS]), cancelled(days), total))
    assert empty.lines == absent.lines
    assert absent.lines[0].steps[-1].kind == "cancellation.step.fee"


def test_the_working_says_which_pct_applied_to_which_component() -> None:
    result = check(
        Case(
            BLOCK,
            terms(TIERS, [{"kind": "room_revenue", "pct": 50, "label": "Rooms"}, {"kind": "fnb_minimum"}]),
            cancelled(150),
            "13000.00",
        )
    )
    assert result.lines[0].steps == (
        "Notice received 2024-10-11, 150 days before arrival 2025-03-10 (calendar days).",
        "Tier [120, ∞] days → 80 %.",
        "Rooms: 20,000.00 USD × 50 % × 80 % = 8,000.00 USD.",
        "F&B minimum: 5,000.00 USD × 100 % (this tier's percentage for this component) = 5,000.00 USD.",
        "Base = 15,000.00 USD; fee = sum of the components = 13,000.00 USD.",
    )


def test_the_contract_terms_read_each_components_pct_in_a_tier() -> None:
    (scale,) = [t for t in contract_terms(contract(BLOCK, **terms(TIERS))) if t.field == "cancellation.tiers"]
    assert scale.text == (
        "Cancellation scale by days before arrival: 0–119 days: 100 %; "
        "120–∞ days: Room revenue of the block 80 %, F&B minimum 100 %."
    )


BAD = [
    pytest.param(
        [{"min_days": 0, "pct": 100, "component_pct": {"meeting_room_rental": 50}}],
        ("cancellation", "tiers", 0, "component_pct", "meeting_room_rental"),
        "'meeting_room_rental' is not a component of the cancellation base",
        id="component-not-in-the-base",
    ),
    pytest.param(
        [{"min_days": 0, "pct": 100, "component_pct": {"fnb_minimum": 101}}],
        ("cancellation", "tiers", 0, "component_pct", "fnb_minimum"),
        "less than or equal to 100",
        id="pct-above-100",
    ),
    pytest.param(
        [{"min_days": 0, "pct": 100, "component_pct": {"fnb_minimum": -1}}],
        ("cancellation", "tiers", 0, "component_pct", "fnb_minimum"),
        "greater than or equal to 0",
        id="pct-below-0",
    ),
    pytest.param(
        [{"min_days": 0, "pct": 100, "component_pct": {"rooms": 50}}],
        ("cancellation", "tiers", 0, "component_pct", "rooms", "[key]"),
        "Input should be",
        id="unknown-component-kind",
    ),
]


@pytest.mark.parametrize(("tiers", "loc", "message"), BAD)
def test_a_bad_component_pct_is_refused_naming_its_path(
    tiers: list[dict[str, Any]], loc: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        contract(BLOCK, **terms(tiers))
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [loc], errors
    assert message in errors[0]["msg"]


def test_a_component_with_its_own_pct_and_a_tier_pct_of_its_own_shows_both() -> None:
    # 20,000 × 50 % × 60 % = 6,000 + F&B 5,000 at the tier's 80 % = 4,000: 10,000.
    tiers = [{"min_days": 120, "pct": 80, "component_pct": {"room_revenue": 60}}, TIERS[1]]
    result = check(
        Case(
            BLOCK,
            terms(tiers, [{"kind": "room_revenue", "pct": 50}, {"kind": "fnb_minimum"}]),
            cancelled(150),
            "10000.00",
        )
    )
    assert result.lines[0].steps[2:4] == (
        "Room revenue of the block: 20,000.00 USD × 50 % × 60 % (this tier's percentage for this component) "
        "= 6,000.00 USD.",
        "F&B minimum: 5,000.00 USD × 80 % = 4,000.00 USD.",
    )
