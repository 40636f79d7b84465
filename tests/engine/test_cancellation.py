"""Cancellation: sliding scale by days before arrival, base components, credits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.engine import LineKind

from .builders import Case, cells, check, night, pickup, run

CANCEL = LineKind.CANCELLATION
RESALE = LineKind.RESALE_CREDIT

#: Within 30 days 100 %, 31-90 days 50 %, from 91 days 10 %.
TIERS = [
    {"min_days": 31, "max_days": 90, "pct": 50},
    {"min_days": 0, "max_days": 30, "pct": 100},
    {"min_days": 91, "pct": 10},
]
#: Two nights of 50 rooms at 200: room revenue 20,000.
BLOCK = cells(50, 50)


def cancelled(days_before: int, **given: Any) -> dict[str, Any]:
    """Actuals with a cancellation notice received ``days_before`` arrival."""
    return {"cancellation_notice_date": night(-days_before), **given}


def clause(**extra: Any) -> dict[str, Any]:
    return {"cancellation": {"tiers": TIERS, **extra}}


TIER_CASES = [
    pytest.param(100, "2000.00", id="100-days-10-pct"),
    pytest.param(91, "2000.00", id="91-days-10-pct"),
    pytest.param(90, "10000.00", id="90-days-50-pct"),
    pytest.param(45, "10000.00", id="45-days-50-pct"),
    pytest.param(31, "10000.00", id="31-days-50-pct"),
    pytest.param(30, "20000.00", id="30-days-100-pct"),
    pytest.param(0, "20000.00", id="notice-on-arrival-day-100-pct"),
]


@pytest.mark.parametrize(("days", "total"), TIER_CASES)
def test_cancellation_fee_follows_the_tier_of_the_notice(days: int, total: str) -> None:
    result = check(Case(BLOCK, clause(), cancelled(days), total, lines={CANCEL: total}))
    assert result.remedy == "cancellation"
    assert result.rooms is None


# Rooms 20,000 + other 1,000 = 21,000 × 50 %.
WITH_OTHER = Case(
    BLOCK,
    clause(base=[{"kind": "room_revenue"}, {"kind": "other", "amount": "1000.00", "label": "AV equipment"}]),
    cancelled(45),
    "10500.00",
)

COMPONENT_CASES = [
    pytest.param(
        # 80 % of rooms 20,000 = 16,000 + 100 % of F&B 5,000 = 21,000, at 30 days 100 %.
        Case(
            BLOCK,
            {
                **clause(base=[{"kind": "room_revenue", "pct": 80}, {"kind": "fnb_minimum"}]),
                "fnb": {"minimum": "5000.00"},
            },
            cancelled(30),
            "21000.00",
        ),
        id="rooms-80-pct-plus-fnb-100-pct",
    ),
    pytest.param(
        # Same base at 45 days: 50 % of 21,000.
        Case(
            BLOCK,
            {
                **clause(base=[{"kind": "room_revenue", "pct": 80}, {"kind": "fnb_minimum"}]),
                "fnb": {"minimum": "5000.00"},
            },
            cancelled(45),
            "10500.00",
        ),
        id="rooms-80-pct-plus-fnb-at-45-days",
    ),
    pytest.param(WITH_OTHER, id="other-component"),
    pytest.param(
        # Rooms 20,000 + meeting room 750 (its own amount) = 20,750 × 10 %.
        Case(
            BLOCK,
            clause(base=[{"kind": "room_revenue"}, {"kind": "meeting_room_rental", "amount": "750.00"}]),
            cancelled(100),
            "2075.00",
        ),
        id="meeting-room-component-with-its-own-amount",
    ),
    pytest.param(
        # The contract's meeting_room_rental 500 only: 500 × 100 %.
        Case(
            BLOCK,
            {**clause(base=[{"kind": "meeting_room_rental"}]), "meeting_room_rental": "500.00"},
            cancelled(0),
            "500.00",
        ),
        id="meeting-room-component-from-the-contract",
    ),
]


@pytest.mark.parametrize("case", COMPONENT_CASES)
def test_cancellation_base_components_each_carry_their_own_pct(case: Case) -> None:
    check(case)


def test_cancellation_working_lists_the_notice_tier_and_components() -> None:
    result = run(WITH_OTHER)
    (line,) = result.lines
    assert line.steps == (
        "Notice received 2025-01-24, 45 days before arrival 2025-03-10 (calendar days).",
        "Tier [31, 90] days → 50 %.",
        "Room revenue of the block: 20,000.00 USD.",
        "AV equipment: 1,000.00 USD.",
        "Base = 21,000.00 USD; fee = 50 % × 21,000.00 USD = 10,500.00 USD.",
    )
    assert line.inputs == (("days_before_arrival", "45"), ("tier_pct", "50"), ("base", "21000.00"))


def test_cancellation_component_pct_is_shown_when_not_100() -> None:
    result = run(
        Case(
            BLOCK,
            clause(base=[{"kind": "room_revenue", "pct": 80, "label": "Rooms"}]),
            cancelled(0),
            "16000.00",
        )
    )
    assert "Rooms: 20,000.00 USD × 80 %." in result.lines[0].steps


RESALE_CASES = [
    pytest.param(
        # 20,000 fee less 3,000 resold.
        Case(
            BLOCK,
            clause(resale_credit=True),
            cancelled(10, cancellation_resold_revenue="3000.00"),
            "17000.00",
            lines={CANCEL: "20000.00", RESALE: "-3000.00"},
        ),
        id="resale-credit",
    ),
    pytest.param(
        # Fee 2,000 (100 days), resold 3,000: the credit stops at the fee.
        Case(
            BLOCK,
            clause(resale_credit=True),
            cancelled(100, cancellation_resold_revenue="3000.00"),
            "0.00",
            lines={CANCEL: "2000.00", RESALE: "-2000.00"},
        ),
        id="resale-credit-up-to-the-fee",
    ),
    pytest.param(
        # No resale credit in the contract: the reported resale is ignored.
        Case(BLOCK, clause(), cancelled(10, cancellation_resold_revenue="3000.00"), "20000.00"),
        id="no-resale-credit-term",
    ),
]


@pytest.mark.parametrize("case", RESALE_CASES)
def test_cancellation_resale_credit_is_a_term(case: Case) -> None:
    check(case)


def test_cancellation_resale_of_nothing_adds_no_credit_line() -> None:
    result = check(
        Case(BLOCK, clause(resale_credit=True), cancelled(10, cancellation_resold_revenue="0.00"), "20000.00")
    )
    assert [line.kind for line in result.lines] == [CANCEL]


def test_cancellation_room_revenue_excludes_reductions_made_before_the_notice() -> None:
    # 10 rooms reduced on night 0 on 2025-01-15; notice 2025-01-20 (49 days): 90 × 200 × 50 % = 9,000.
    # A reduction notified after the notice (night 1, 2025-01-25) is not subtracted.
    terms = {
        **clause(),
        "reduction_rights": [{"until_date": "2025-02-01", "max_pct": 20}],
        "reductions": [
            {"notice_date": "2025-01-15", "cells": [{"night": night(0), "room_type": "K", "rooms": 10}]},
            {"notice_date": "2025-01-25", "cells": [{"night": night(1), "room_type": "K", "rooms": 10}]},
        ],
    }
    check(Case(BLOCK, terms, {"cancellation_notice_date": "2025-01-20"}, "9000.00"))


def test_cancellation_deposit_is_applied_against_the_fee() -> None:
    # 20,000 − deposit 5,000.
    check(
        Case(
            BLOCK,
            {
                **clause(),
                "deposits": [{"received_date": "2024-12-01", "amount": "5000.00", "reference": "INV-7"}],
            },
            cancelled(10),
            "15000.00",
            lines={LineKind.DEPOSIT: "-5000.00"},
        )
    )


def test_cancellation_rebooking_credit_is_recorded_as_a_condition() -> None:
    result = check(
        Case(BLOCK, clause(rebooking_credit={"pct": 75, "within_months": 12}), cancelled(10), "20000.00")
    )
    assert result.conditions == (
        "75 % of the cancellation fee is credited if the group books a comparable event with the hotel "
        "within 12 months.",
    )


def test_cancellation_excludes_attrition_and_says_so() -> None:
    # The attrition clause would charge the whole block; the cancellation fee replaces it.
    result = check(
        Case(
            BLOCK,
            {**clause(), "attrition": {"performance_pct": 80}},
            cancelled(100, pickup=pickup(0, 0)),
            "2000.00",
            warnings=("Attrition and cancellation are exclusive remedies",),
        )
    )
    assert all(line.kind is CANCEL for line in result.lines)


def test_cancellation_notice_after_as_of_is_not_applied() -> None:
    # As of 2025-02-01 the notice of 2025-02-15 has not arrived: attrition, provisional, minimum 80 of
    # 100, pickup so far 70 → 10 × 200.
    result = check(
        Case(
            BLOCK,
            {**clause(), "attrition": {"performance_pct": 80}},
            {"cancellation_notice_date": "2025-02-15", "pickup": pickup(35, 35)},
            "2000.00",
            as_of=date(2025, 2, 1),
            warnings=("The cancellation notice dated 2025-02-15 is after 2025-02-01 and is not applied.",),
        )
    )
    assert result.remedy == "attrition"


def test_cancellation_terms_list_the_scale_and_the_defaults() -> None:
    result = run(Case(BLOCK, clause(), cancelled(45), "10000.00"))
    terms = {t.name: t for t in result.terms}
    assert terms["cancellation.tiers"].value == "0–30 days: 100 %; 31–90 days: 50 %; 91–∞ days: 10 %"
    assert terms["cancellation.tiers"].is_default is False
    assert terms["cancellation.day_count"].is_default is True
    assert terms["cancellation.resale_credit"].value == "false"
    assert terms["cancellation.resale_credit"].is_default is True
    assert "attrition.evaluation_mode" not in terms


def test_attrition_rebooking_waiver_is_recorded_as_a_condition() -> None:
    result = check(
        Case(
            cells(100),
            {"attrition": {"performance_pct": 80, "rebooking_waiver": {"within_months": 24}}},
            {"pickup": pickup(70)},
            "2000.00",
        )
    )
    assert result.conditions == (
        "100 % of the room attrition damages is credited if the group books a comparable event with "
        "the hotel within 24 months.",
    )
