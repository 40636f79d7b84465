"""Cancellation: a sliding scale by days before arrival (docs/rules.md §5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.engine.actuals import Actuals
from app.engine.contract import CancellationComponentKind, Contract, DamagesKind
from app.engine.errors import ClauseNotComputableError
from app.engine.money import Money, fraction, pct_text, quantity_text
from app.engine.results import LineItem, LineKind, Term

ZERO = Decimal(0)
CLAUSE = "Cancellation clause"


def days_before_arrival(contract: Contract, notice_received: date) -> int:
    """Calendar days from the date written notice is received to the arrival date."""
    return (contract.arrival_date - notice_received).days


def cancellation_base(contract: Contract, notice_received: date) -> list[tuple[str, Decimal, Decimal]]:
    """The base components: (label, amount, component %) (docs/rules.md §5)."""
    assert contract.cancellation is not None
    parts: list[tuple[str, Decimal, Decimal]] = []
    for component in contract.cancellation.base:
        kind = component.kind
        if kind is CancellationComponentKind.ROOM_REVENUE:
            rooms = contract.rooms_after_reductions(notice_received)
            rates = contract.cell_rates()
            amount = sum((count * rates[cell] for cell, count in rooms.items()), ZERO)
            label = component.label or "Room revenue of the block"
        elif kind is CancellationComponentKind.FNB_MINIMUM:
            assert contract.fnb is not None
            amount = contract.fnb.minimum.amount
            label = component.label or "F&B minimum"
        elif kind is CancellationComponentKind.MEETING_ROOM_RENTAL:
            money = component.amount or contract.meeting_room_rental
            assert money is not None
            amount = money.amount
            label = component.label or "Meeting-room rental"
        else:
            assert component.amount is not None
            amount = component.amount.amount
            label = component.label or "Other"
        parts.append((label, amount, component.pct))
    return parts


def assess_cancellation(contract: Contract, actuals: Actuals, notice: date) -> list[LineItem]:
    """``tier % × base − resale credit`` for a cancellation received on ``notice``."""
    clause = contract.cancellation
    if clause is None:
        raise ClauseNotComputableError(
            "a cancellation notice was given but the contract has no cancellation clause",
            field="actuals.cancellation_notice_date",
        )
    days = days_before_arrival(contract, notice)
    if days < 0:
        raise ClauseNotComputableError(
            f"notice received {notice.isoformat()} is after arrival "
            f"{contract.arrival_date.isoformat()}: assess attrition instead",
            field="actuals.cancellation_notice_date",
        )
    cur = contract.currency
    tier = clause.tier_for(days)
    parts = cancellation_base(contract, notice)
    base = sum((amount * fraction(pct) for _, amount, pct in parts), ZERO)
    exact = fraction(tier.pct) * base
    amount = Money(exact, cur).rounded(contract.money_rounding)
    upper = tier.max_days if tier.max_days is not None else "∞"
    steps = [
        f"Notice received {notice.isoformat()}, {days} days before arrival "
        f"{contract.arrival_date.isoformat()} (calendar days).",
        f"Tier [{tier.min_days}, {upper}] days → {pct_text(tier.pct)}.",
        *(
            f"{label}: {Money(value, cur)}" + (f" × {pct_text(pct)}" if pct != 100 else "") + "."
            for label, value, pct in parts
        ),
        f"Base = {Money(base, cur)}; fee = {pct_text(tier.pct)} × {Money(base, cur)} = {amount}.",
    ]
    lines = [
        LineItem(
            kind=LineKind.CANCELLATION,
            label="Cancellation fee",
            clause=CLAUSE,
            formula="tier % (by days before arrival) × base components",
            inputs=(
                ("days_before_arrival", str(days)),
                ("tier_pct", quantity_text(tier.pct)),
                ("base", str(Money(base, cur).rounded().amount)),
            ),
            steps=tuple(steps),
            amount=amount,
            damages_kind=DamagesKind.CANCELLATION,
        )
    ]
    if clause.resale_credit and actuals.cancellation_resold_revenue is not None:
        credit = min(actuals.cancellation_resold_revenue.rounded(contract.money_rounding), amount)
        if not credit.is_zero():
            lines.append(
                LineItem(
                    kind=LineKind.RESALE_CREDIT,
                    label="Resale credit (rooms resold by the hotel)",
                    clause=CLAUSE,
                    formula="revenue of resold rooms, up to the fee",
                    inputs=(("resold_revenue", str(actuals.cancellation_resold_revenue.amount)),),
                    steps=(
                        f"The hotel resold rooms for {actuals.cancellation_resold_revenue}; "
                        f"credited {credit}.",
                    ),
                    amount=-credit,
                    damages_kind=DamagesKind.CANCELLATION,
                )
            )
    return lines


def cancellation_terms(contract: Contract) -> list[Term]:
    clause = contract.cancellation
    assert clause is not None, "a cancellation is assessed only under a cancellation clause"
    scale = "; ".join(
        f"{t.min_days}–{t.max_days if t.max_days is not None else '∞'} days: {pct_text(t.pct)}"
        for t in sorted(clause.tiers, key=lambda t: t.min_days)
    )
    return [
        Term(
            "cancellation.tiers",
            scale,
            False,
            f"Cancellation scale by days before arrival: {scale}.",
        ),
        Term(
            "cancellation.day_count",
            "calendar",
            True,
            "Days are counted in calendar days from the date written notice is received.",
        ),
        Term(
            "cancellation.resale_credit",
            str(clause.resale_credit).lower(),
            "resale_credit" not in clause.model_fields_set,
            "Revenue from rooms the hotel resold is credited."
            if clause.resale_credit
            else "No credit for rooms the hotel resold.",
        ),
    ]
