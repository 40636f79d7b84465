"""Last room sold across groups: a night's unsold rooms shared among the groups short that night
(docs/rules.md §3.6, "Several groups short on one night").

When several groups under a last-room-sold term fall short on the same night, the hotel collects for at
most the rooms it had unsold that night, ``U``, across all of them. Each group's **claim** on the night
is the room nights its clause could charge there (:func:`night_claims`); the hotel's setting decides
how ``U`` is shared when the claims add up to more than ``U``:

- ``invoice_order``: groups whose damages are already invoiced first, in the order the invoices were
  issued, then the others by contract id; each takes ``min(claim, what is left)``.
- ``pro_rata``: each takes ``U × claim / Σ claims``, rounded down to whole rooms; the rooms left go one
  by one to the largest remainders (ties: the smaller contract id), never above a group's claim.

When the claims fit in ``U``, each group's share is its claim. Either way the shares never add up to more
than ``U``, and no share exceeds its claim. A group's assessment then reads the rooms the others take as
``other_groups_charged_rooms``, so its chargeable rooms that night are at most ``U`` less theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from app.engine.actuals import Actuals
from app.engine.attrition import block_after, collect_pickup, minimum_room_nights
from app.engine.contract import Contract, EvaluationMode, ResaleMode, ThresholdSemantics

ZERO = Decimal(0)


class SharingRule(StrEnum):
    """How a hotel shares a night's unsold rooms among the groups short that night."""

    INVOICE_ORDER = "invoice_order"
    PRO_RATA = "pro_rata"


@dataclass(frozen=True, slots=True)
class Claim:
    """A group's claim on one night: ``room_nights`` it is short (its clause could charge), and the
    position of its first issued invoice among the hotel's (``None``: not invoiced)."""

    contract_id: int
    room_nights: Decimal
    invoice_order: int | None = None


_PER_NIGHT = frozenset(
    {EvaluationMode.PER_NIGHT, EvaluationMode.PER_NIGHT_WITH_CREDIT, EvaluationMode.PEAK_NIGHT}
)


def night_claims(contract: Contract, actuals: Actuals, as_of: date) -> dict[date, Decimal]:
    """The room nights the contract's group claims on each night it is short, under a last-room-sold
    term (empty otherwise). A clause tested night by night claims the night's shortfall below its minimum
    (the whole unused baseline under a cliff); a clause tested over the stay claims each night's unused
    rooms (baseline less credited pickup). The baseline is the block after reductions notified by
    ``as_of`` and off-line rooms."""
    clause = contract.attrition
    if clause is None or clause.resale_mode is not ResaleMode.LAST_ROOM_SOLD:
        return {}
    block = block_after(contract, actuals, as_of, with_reductions=True, release_at_cutoff=False)
    credited = collect_pickup(contract, actuals, clause).by_night
    per_night = clause.evaluation_mode in _PER_NIGHT
    claims: dict[date, Decimal] = {}
    for night in block.nights:
        baseline = Decimal(block.by_night_rooms[night])
        picked = Decimal(credited.get(night, 0))
        if per_night:
            minimum = minimum_room_nights(clause.performance_pct, int(baseline), clause.minimum_rounding)
            fails = picked < minimum or (picked == minimum and not clause.pass_if_equal)
            if not fails:
                continue
            cliff = clause.threshold_semantics is ThresholdSemantics.CLIFF
            claim = max(ZERO, (baseline if cliff else minimum) - picked)
        else:
            claim = max(ZERO, baseline - picked)
        if claim > 0:
            claims[night] = claim
    return claims


def share_unsold(unsold: int, claims: Sequence[Claim], rule: SharingRule) -> dict[int, Decimal]:
    """Each claim's share of ``unsold`` rooms, by contract id (docs/rules.md §3.6).

    The issue's worked example: two groups short 10 and 20 room nights, 20 unsold.
    Invoice order (neither invoiced, so by contract id): the first takes min(10, 20) = 10, the second
    min(20, 20 − 10) = 10; the hotel collects 20. Pro rata: 20 × 10 / 30 = 6.67 and 20 × 20 / 30 = 13.33,
    rounded down 6 and 13 (19); the one room left goes to the larger remainder (.67), so 7 and 13.
    """
    if unsold < 0:
        raise ValueError("unsold rooms are never negative")
    ids = [claim.contract_id for claim in claims]
    if len(set(ids)) != len(ids):
        raise ValueError("one claim per contract")
    wanted = {claim.contract_id: max(ZERO, claim.room_nights) for claim in claims}
    total = sum(wanted.values(), ZERO)
    pool = Decimal(unsold)
    if total <= pool:
        return dict(wanted)
    if rule is SharingRule.INVOICE_ORDER:
        order = sorted(
            claims,
            key=lambda c: (c.invoice_order is None, c.invoice_order or 0, c.contract_id),
        )
        shares: dict[int, Decimal] = {}
        left = pool
        for claim in order:
            take = min(wanted[claim.contract_id], left)
            shares[claim.contract_id] = take
            left -= take
        return shares
    exact = {key: pool * value / total for key, value in wanted.items()}
    shares = {key: min(wanted[key], value.to_integral_value(ROUND_FLOOR)) for key, value in exact.items()}
    left = pool - sum(shares.values(), ZERO)
    by_remainder = sorted(
        exact, key=lambda key: (-(exact[key] - exact[key].to_integral_value(ROUND_FLOOR)), key)
    )
    # The claims pass U, so while a whole room is left some share is below its claim: this ends.
    while left >= 1:
        for key in by_remainder:
            room = min(Decimal(1), wanted[key] - shares[key], left)
            shares[key] += room
            left -= room
    return shares


def others_take(shares: Mapping[int, Decimal], contract_id: int) -> int:
    """The rooms the other groups' shares take, as ``other_groups_charged_rooms`` of ``contract_id``:
    whole rooms, rounded up (a fractional share takes its whole room, so the total never passes U)."""
    taken = sum((share for key, share in shares.items() if key != contract_id), ZERO)
    return int(taken.to_integral_value(ROUND_CEILING))
