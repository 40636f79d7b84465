"""Historical-wash forecast (docs/rules.md §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.engine.forecast import pickup_after_wash


@pytest.mark.parametrize(
    ("block", "washes", "expected"),
    [
        # W11: 40 × (1 − 0.25 − 0.10 − 0.02) = 25.2.
        pytest.param(40, ["25", "10", "2"], "25.2", id="W11-washes-add-up"),
        pytest.param(40, [], "40", id="no-wash-keeps-the-block"),
        pytest.param(40, ["100"], "0", id="full-wash"),
        pytest.param(200, ["12.5"], "175", id="fractional-wash"),
    ],
)
def test_pickup_after_wash_is_block_less_the_washes(block: int, washes: list[str], expected: str) -> None:
    assert pickup_after_wash(block, [Decimal(w) for w in washes]) == Decimal(expected)


@pytest.mark.parametrize(
    ("block", "washes", "error", "message"),
    [
        pytest.param(
            40, [Decimal(60), Decimal(50)], ValueError, "the washes add up to 110 %", id="over-100-pct"
        ),
        pytest.param(
            40, [Decimal(-5)], ValueError, "a wash is a percentage from 0 to 100, not -5", id="negative-wash"
        ),
        pytest.param(40, [Decimal(101)], ValueError, "not 101", id="wash-above-100"),
        pytest.param(40, [0.25], TypeError, "a wash is a finite Decimal percentage", id="float-wash"),
        pytest.param(40, [Decimal("NaN")], TypeError, "a wash is a finite Decimal percentage", id="nan-wash"),
        pytest.param(-1, [], ValueError, "block_room_nights must not be negative", id="negative-block"),
        pytest.param(40.0, [], TypeError, "block_room_nights must be a whole number", id="float-block"),
        pytest.param(True, [], TypeError, "block_room_nights must be a whole number", id="boolean-block"),
    ],
)
def test_pickup_after_wash_refuses_bad_inputs(
    block: object, washes: list[object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        pickup_after_wash(block, washes)  # type: ignore[arg-type]
