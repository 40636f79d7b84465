"""Forecasting exposure before the event (domain.md §6).

Only the historical-wash method is here so far; the full forecast (pickup methods, uncertainty band,
damages per scenario, break-even pickup) builds on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from app.engine.money import fraction


def pickup_after_wash(block_room_nights: int, wash_pcts: Iterable[Decimal]) -> Decimal:
    """Historical wash: ``F = B · (1 − wash)`` (domain.md §6).

    ``wash_pcts`` are the washes expected at the remaining lead times, each written 0-100 and each a
    share of the **original** block, so they add up: a block of 40 with washes of 25 %, 10 % and 2 %
    gives ``40 · (1 − 0.37) = 25.2`` room nights. The result is exact; rounding it to whole rooms is
    the caller's named choice.
    """
    if isinstance(block_room_nights, bool) or not isinstance(block_room_nights, int):
        raise TypeError("block_room_nights must be a whole number of room nights")
    if block_room_nights < 0:
        raise ValueError(f"block_room_nights must not be negative, not {block_room_nights}")
    total = Decimal(0)
    for pct in wash_pcts:
        if not isinstance(pct, Decimal) or not pct.is_finite():
            raise TypeError(f"a wash is a finite Decimal percentage (0-100), not {pct!r}")
        if not 0 <= pct <= 100:
            raise ValueError(f"a wash is a percentage from 0 to 100, not {pct}")
        total += pct
    if total > 100:
        raise ValueError(f"the washes add up to {total} %, more than the whole block")
    return block_room_nights * (1 - fraction(total))
