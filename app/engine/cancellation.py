"""Cancellation: a sliding scale by days before arrival (docs/rules.md §5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.engine.actuals import Actuals
from app.engine.contract import (
    CancellationClause,
    CancellationComponentKind,
    CancellationTier,
    Contract,
    DamagesKind,
)
from app.engine.errors import ClauseNotComputableError
from app.engine.explain import N_, Items, Percent, Say, plain, say, templates
from app.engine.money import Money, fraction, quantity_text
from app.engine.results import LineItem, LineKind, Term

ZERO = Decimal(0)

templates(
    {
        "cancellation.clause": N_("Cancellation clause"),
        "cancellation.base.room_revenue": N_("Room revenue of the block"),
        "cancellation.base.fnb_minimum": N_("F&B minimum"),
        "cancellation.base.meeting_room_rental": N_("Meeting-room rental"),
        "cancellation.base.other": N_("Other"),
        "cancellation.step.notice": N_(
            "Notice received {notice}, {days} days before arrival {arrival} (calendar days)."
        ),
        "cancellation.step.tier": N_("Tier [{low}, {high}] days → {pct}."),
        "cancellation.step.tier_open": N_("Tier [{low}, ∞] days → {pct}."),
        "cancellation.step.component": N_("{label}: {amount}."),
        "cancellation.step.component_pct": N_("{label}: {amount} × {pct}."),
        "cancellation.step.fee": N_("Base = {base}; fee = {pct} × {base} = {fee}."),
        "cancellation.step.component_tier": N_("{label}: {amount} × {tier_pct} = {fee}."),
        "cancellation.step.component_tier_own": N_(
            "{label}: {amount} × {tier_pct} (this tier's percentage for this component) = {fee}."
        ),
        "cancellation.step.component_pct_tier": N_("{label}: {amount} × {pct} × {tier_pct} = {fee}."),
        "cancellation.step.component_pct_tier_own": N_(
            "{label}: {amount} × {pct} × {tier_pct} (this tier's percentage for this component) = {fee}."
        ),
        "cancellation.step.fee_by_component": N_("Base = {base}; fee = sum of the components = {fee}."),
        "cancellation.label.fee": N_("Cancellation fee"),
        "cancellation.formula.fee": N_("tier % (by days before arrival) × base components"),
        "resale.label": N_("Resale credit (rooms resold by the hotel)"),
        "cancellation.formula.resale": N_("revenue of resold rooms, up to the fee"),
        "cancellation.step.resale": N_("The hotel resold rooms for {resold}; credited {credit}."),
        "cancellation.scale.tier": N_("{low}–{high} days: {pct}"),
        "cancellation.scale.tier_open": N_("{low}–∞ days: {pct}"),
        "cancellation.scale.tier_by_component": N_("{low}–{high} days: {parts}"),
        "cancellation.scale.tier_by_component_open": N_("{low}–∞ days: {parts}"),
        "cancellation.scale.component": N_("{label} {pct}"),
        "cancellation.term.tiers": N_("Cancellation scale by days before arrival: {scale}."),
        "cancellation.term.day_count": N_(
            "Days are counted in calendar days from the date written notice is received."
        ),
        "cancellation.term.resale_credit": N_("Revenue from rooms the hotel resold is credited."),
        "cancellation.term.no_resale_credit": N_("No credit for rooms the hotel resold."),
    }
)
CLAUSE = say("cancellation.clause")
_BASE_LABELS = {
    CancellationComponentKind.ROOM_REVENUE: "cancellation.base.room_revenue",
    CancellationComponentKind.FNB_MINIMUM: "cancellation.base.fnb_minimum",
    CancellationComponentKind.MEETING_ROOM_RENTAL: "cancellation.base.meeting_room_rental",
    CancellationComponentKind.OTHER: "cancellation.base.other",
}


def days_before_arrival(contract: Contract, notice_received: date) -> int:
    """Calendar days from the date written notice is received to the arrival date."""
    return (contract.arrival_date - notice_received).days


def cancellation_base(
    contract: Contract, notice_received: date
) -> list[tuple[Say, Decimal, Decimal, CancellationComponentKind]]:
    """The base components: (label, amount, component %, kind) (docs/rules.md §5)."""
    assert contract.cancellation is not None
    parts: list[tuple[Say, Decimal, Decimal, CancellationComponentKind]] = []
    for component in contract.cancellation.base:
        kind = component.kind
        if kind is CancellationComponentKind.ROOM_REVENUE:
            rooms = contract.rooms_after_reductions(notice_received)
            rates = contract.cell_rates()
            amount = sum((count * rates[cell] for cell, count in rooms.items()), ZERO)
        elif kind is CancellationComponentKind.FNB_MINIMUM:
            assert contract.fnb is not None
            amount = contract.fnb.minimum.amount
        elif kind is CancellationComponentKind.MEETING_ROOM_RENTAL:
            money = component.amount or contract.meeting_room_rental
            assert money is not None
            amount = money.amount
        else:
            assert component.amount is not None
            amount = component.amount.amount
        parts.append((_label(component.label, kind), amount, component.pct, kind))
    return parts


def _label(typed: str, kind: CancellationComponentKind) -> Say:
    return say("as_typed", text=typed) if typed else say(_BASE_LABELS[kind])


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
    base = sum((amount * fraction(pct) for _, amount, pct, _ in parts), ZERO)
    tier_step = (
        say("cancellation.step.tier", low=tier.min_days, high=tier.max_days, pct=Percent(tier.pct))
        if tier.max_days is not None
        else say("cancellation.step.tier_open", low=tier.min_days, pct=Percent(tier.pct))
    )
    notice_step = say("cancellation.step.notice", notice=notice, days=days, arrival=contract.arrival_date)
    if not tier.component_pct:
        exact = fraction(tier.pct) * base
        amount = Money(exact, cur).rounded(contract.money_rounding)
        steps = [
            notice_step,
            tier_step,
            *(
                say(
                    "cancellation.step.component_pct", label=label, amount=Money(value, cur), pct=Percent(pct)
                )
                if pct != 100
                else say("cancellation.step.component", label=label, amount=Money(value, cur))
                for label, value, pct, _ in parts
            ),
            say("cancellation.step.fee", base=Money(base, cur), pct=Percent(tier.pct), fee=amount),
        ]
    else:
        # Each component at the tier's percentage for it (its own in this tier, else the tier's).
        fees = [value * fraction(pct) * fraction(tier.pct_for(kind)) for _, value, pct, kind in parts]
        exact = sum(fees, ZERO)
        amount = Money(exact, cur).rounded(contract.money_rounding)
        steps = [
            notice_step,
            tier_step,
            *(
                _component_step(
                    label, Money(value, cur), pct, tier.pct_for(kind), kind in tier.component_pct, fee
                )
                for (label, value, pct, kind), fee in zip(parts, fees, strict=True)
            ),
            say("cancellation.step.fee_by_component", base=Money(base, cur), fee=amount),
        ]
    lines = [
        LineItem(
            kind=LineKind.CANCELLATION,
            label=say("cancellation.label.fee"),
            clause=CLAUSE,
            formula=say("cancellation.formula.fee"),
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
                    label=say("resale.label"),
                    clause=CLAUSE,
                    formula=say("cancellation.formula.resale"),
                    inputs=(("resold_revenue", str(actuals.cancellation_resold_revenue.amount)),),
                    steps=(
                        say(
                            "cancellation.step.resale",
                            resold=actuals.cancellation_resold_revenue,
                            credit=credit,
                        ),
                    ),
                    amount=-credit,
                    damages_kind=DamagesKind.CANCELLATION,
                )
            )
    return lines


def _component_step(
    label: Say, amount: Money, pct: Decimal, tier_pct: Decimal, own: bool, fee: Decimal
) -> Say:
    """One component's working under a tier that gives components percentages of their own."""
    shown = Money(fee, amount.currency).rounded()  # shown to the cent; the total is the exact sum
    if pct == 100:
        if own:
            return say(
                "cancellation.step.component_tier_own",
                label=label,
                amount=amount,
                tier_pct=Percent(tier_pct),
                fee=shown,
            )
        return say(
            "cancellation.step.component_tier",
            label=label,
            amount=amount,
            tier_pct=Percent(tier_pct),
            fee=shown,
        )
    if own:
        return say(
            "cancellation.step.component_pct_tier_own",
            label=label,
            amount=amount,
            pct=Percent(pct),
            tier_pct=Percent(tier_pct),
            fee=shown,
        )
    return say(
        "cancellation.step.component_pct_tier",
        label=label,
        amount=amount,
        pct=Percent(pct),
        tier_pct=Percent(tier_pct),
        fee=shown,
    )


def component_pcts(clause: CancellationClause, tier: CancellationTier) -> Items:
    """Each base component with the percentage ``tier`` charges for it ("F&B minimum 100 %")."""
    return Items(
        tuple(
            say(
                "cancellation.scale.component",
                label=_label(component.label, component.kind),
                pct=Percent(tier.pct_for(component.kind)),
            )
            for component in clause.base
        )
    )


def _scale_step(clause: CancellationClause, tier: CancellationTier) -> Say:
    """One tier of the scale as the terms read it: its percentage, or each component's."""
    if not tier.component_pct:
        if tier.max_days is None:
            return say("cancellation.scale.tier_open", low=tier.min_days, pct=Percent(tier.pct))
        return say("cancellation.scale.tier", low=tier.min_days, high=tier.max_days, pct=Percent(tier.pct))
    parts = component_pcts(clause, tier)
    if tier.max_days is None:
        return say("cancellation.scale.tier_by_component_open", low=tier.min_days, parts=parts)
    return say("cancellation.scale.tier_by_component", low=tier.min_days, high=tier.max_days, parts=parts)


def cancellation_terms(contract: Contract) -> list[Term]:
    clause = contract.cancellation
    assert clause is not None, "a cancellation is assessed only under a cancellation clause"
    scale = Items(tuple(_scale_step(clause, t) for t in sorted(clause.tiers, key=lambda t: t.min_days)), "; ")
    return [
        Term(
            "cancellation.tiers",
            plain(scale),
            False,
            say("cancellation.term.tiers", scale=scale),
        ),
        Term(
            "cancellation.day_count",
            "calendar",
            True,
            say("cancellation.term.day_count"),
        ),
        Term(
            "cancellation.resale_credit",
            str(clause.resale_credit).lower(),
            "resale_credit" not in clause.model_fields_set,
            say("cancellation.term.resale_credit")
            if clause.resale_credit
            else say("cancellation.term.no_resale_credit"),
        ),
    ]
