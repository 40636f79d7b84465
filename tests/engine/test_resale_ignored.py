"""Resold rooms reported under a contract without a resale term are ignored, and a warning says so
(issue 17, point 5)."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import Case, cells, night, pickup, run

ROOMS_IGNORED = "resold room nights; they are ignored because the contract has no resale term"
REVENUE_IGNORED = (
    "revenue from resold rooms; it is ignored because the cancellation clause has no resale credit"
)
TIERS = [{"min_days": 0, "max_days": 30, "pct": 100}, {"min_days": 31, "pct": 50}]
RESOLD = {"night": night(0), "resold_rooms": 5, "resold_rate": "150.00"}


def attrition(**extra: Any) -> dict[str, Any]:
    return {"attrition": {"performance_pct": 80, **extra}}


CASES = [
    pytest.param(
        # 100 at 200, pickup 60: 20 short → 4,000; the 5 resold rooms credit nothing.
        Case(cells(100), attrition(), {"pickup": pickup(60), "inventory": [RESOLD]}, "4000.00"),
        "The hotel reported 5 resold room nights; they are ignored because the contract has no resale term.",
        id="attrition-without-resale-mode-warns",
    ),
    pytest.param(
        Case(
            cells(100),
            attrition(resale_mode="resold_rooms"),
            {"pickup": pickup(60), "inventory": [RESOLD]},
            "3250.00",
        ),
        None,
        id="attrition-with-resold-rooms-credit-is-silent",
    ),
    pytest.param(
        Case(
            cells(100),
            attrition(resale_mode="last_room_sold"),
            {"pickup": pickup(60), "inventory": [{**RESOLD, "unsold_rooms": 30}]},
            "4000.00",
        ),
        None,
        id="attrition-with-last-room-sold-is-silent",
    ),
    pytest.param(
        Case(
            cells(100),
            attrition(),
            {"pickup": pickup(60), "inventory": [{"night": night(0), "unsold_rooms": 3}]},
            "4000.00",
        ),
        None,
        id="no-rooms-resold-is-silent",
    ),
    pytest.param(
        Case(cells(100), {}, {"pickup": pickup(60), "inventory": [RESOLD]}, "0.00"),
        "The hotel reported 5 resold room nights",
        id="no-attrition-clause-warns",
    ),
    pytest.param(
        Case(
            cells(50, 50),
            {"cancellation": {"tiers": TIERS}},
            {"cancellation_notice_date": night(-10), "cancellation_resold_revenue": "3000.00"},
            "20000.00",
        ),
        "The hotel reported 3,000.00 USD of revenue from resold rooms; it is ignored because the "
        "cancellation clause has no resale credit.",
        id="cancellation-without-resale-credit-warns",
    ),
    pytest.param(
        Case(
            cells(50, 50),
            {"cancellation": {"tiers": TIERS, "resale_credit": True}},
            {"cancellation_notice_date": night(-10), "cancellation_resold_revenue": "3000.00"},
            "17000.00",
        ),
        None,
        id="cancellation-with-resale-credit-is-silent",
    ),
    pytest.param(
        Case(
            cells(50, 50),
            {"cancellation": {"tiers": TIERS}},
            {"cancellation_notice_date": night(-10), "cancellation_resold_revenue": "0.00"},
            "20000.00",
        ),
        None,
        id="cancellation-resale-of-nothing-is-silent",
    ),
]


@pytest.mark.parametrize(("case", "warning"), CASES)
def test_resold_rooms_without_a_resale_term_are_ignored_with_a_warning(
    case: Case, warning: str | None
) -> None:
    result = run(case)
    assert str(result.total.amount) == case.total
    ignored = [w for w in result.warnings if ROOMS_IGNORED in w or REVENUE_IGNORED in w]
    if warning is None:
        assert ignored == []
    else:
        assert len(ignored) == 1
        assert warning in ignored[0]
