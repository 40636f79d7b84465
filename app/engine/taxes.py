"""Tax rules and rounding as data: which rule applies to which damages, why, and for how much
(docs/taxes.md; docs/rules.md §3.8).

Pure: the damages bases by kind, the nightly rate, the notice and arrival dates come in; frozen
decisions come out. A decision carries a reason kind and its parameters, never a sentence: the pages,
the API and the PDF put it into words.

Every rule of a profile is decided for every damages kind with a positive base:

1. the kinds the rule lists (``KIND_COVERED`` / ``KIND_NOT_COVERED``; a kind it does not list is not
   checked further);
2. the threshold, if any: the charge per room night against a share of the nightly rate;
3. the notice window, if any: notice received within so many days of arrival.

A rule applies when every check is met. Inclusive rules are extracted from the charge, exclusive ones
added on top; each tax is rounded to the currency's minor unit with the contract's method, and the
net is what is left, so that net + taxes == gross exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.engine.contract import (
    Contract,
    DamagesKind,
    RoundingIncrement,
    RoundingScope,
    RoundingTerm,
    TaxNoticeWindow,
    TaxProfile,
    TaxRule,
    TaxThreshold,
    ThresholdComparison,
)
from app.engine.money import Money, Rounding, minor_units, money_sum

#: The same decimal modes as ``Money.rounded``: "up" and "down" are towards +∞ and −∞.
_DECIMAL_ROUNDING = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.UP: ROUND_CEILING,
    Rounding.DOWN: ROUND_FLOOR,
}


class TaxReason(StrEnum):
    """Why a condition of a tax rule was met or not (the parameters are on the check)."""

    #: ``KindCheck``: the rule lists the damages kind / does not.
    KIND_COVERED = "kind_covered"
    KIND_NOT_COVERED = "kind_not_covered"
    #: ``ThresholdCheck``: the charge per room night compared with the threshold share of the rate.
    THRESHOLD_MET = "threshold_met"
    THRESHOLD_NOT_MET = "threshold_not_met"
    #: ``ThresholdCheck``: no room nights behind the charge, or no nightly rate: nothing to compare.
    THRESHOLD_NOT_MEASURABLE = "threshold_not_measurable"
    #: ``NoticeCheck``: notice came within the window (or after arrival) / before it.
    NOTICE_WITHIN_WINDOW = "notice_within_window"
    NOTICE_BEFORE_WINDOW = "notice_before_window"
    #: ``NoticeCheck``: the damages have no notice date; the rule says whether it then applies.
    NO_NOTICE_APPLIES = "no_notice_applies"
    NO_NOTICE_DOES_NOT_APPLY = "no_notice_does_not_apply"


@dataclass(frozen=True, slots=True)
class KindCheck:
    """Does the rule list the damages kind? ``covered_kinds`` are the kinds it lists."""

    met: bool
    reason: TaxReason
    kind: DamagesKind
    covered_kinds: frozenset[DamagesKind]


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    """The charge per room night (``charge / room_nights``) as a share of the nightly rate
    (``charge_pct``, exact) against the rule's ``threshold_pct``. The measured values are ``None``
    when the check is ``THRESHOLD_NOT_MEASURABLE``."""

    met: bool
    reason: TaxReason
    comparison: ThresholdComparison
    threshold_pct: Decimal
    room_nights: Decimal | None
    nightly_rate: Money | None
    charge_per_room_night: Money | None
    charge_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class NoticeCheck:
    """Notice ``days_before_arrival`` (negative: after arrival) against the window of ``window_days``;
    ``notice_date`` and ``days_before_arrival`` are ``None`` when the damages have no notice date."""

    met: bool
    reason: TaxReason
    window_days: int
    arrival_date: date
    notice_date: date | None
    days_before_arrival: int | None


ConditionCheck = KindCheck | ThresholdCheck | NoticeCheck


@dataclass(frozen=True, slots=True)
class TaxAmount:
    """One applied tax: ``taxable`` is the net it is added to (exclusive) or the gross it is extracted
    from (inclusive); ``tax`` is rounded to the minor unit with ``method``."""

    inclusive: bool
    rate_pct: Decimal
    taxable: Money
    tax: Money
    method: Rounding


@dataclass(frozen=True, slots=True)
class TaxDecision:
    """One rule decided for one damages kind: the checks in order, and the tax when it applies."""

    rule: TaxRule
    rule_index: int
    kind: DamagesKind
    applied: bool
    checks: tuple[ConditionCheck, ...]
    amount: TaxAmount | None

    @property
    def uncertain(self) -> bool:
        """The rule's sources do not settle it: the explanation should say so."""
        return self.rule.uncertain


@dataclass(frozen=True, slots=True)
class DamagesBase:
    """The damages of one kind before tax: the amount charged, the room nights it is for (``None`` for
    damages not priced by room night, such as F&B) and any service charge on it."""

    kind: DamagesKind
    amount: Money
    room_nights: Decimal | None = None
    service_charge: Money | None = None


@dataclass(frozen=True, slots=True)
class KindTaxes:
    """Taxes on one kind: ``charged`` (damages + service charge) = ``net`` + ``included_tax``;
    ``gross`` = ``charged`` + ``added_tax``, what the group owes for the kind."""

    kind: DamagesKind
    charged: Money
    net: Money
    included_tax: Money
    added_tax: Money
    gross: Money
    decisions: tuple[TaxDecision, ...]


@dataclass(frozen=True, slots=True)
class TaxOutcome:
    """Every kind's taxes, in the order the bases were given."""

    currency: str
    kinds: tuple[KindTaxes, ...]

    @property
    def gross(self) -> Money:
        return money_sum((kind.gross for kind in self.kinds), self.currency)

    @property
    def decisions(self) -> tuple[TaxDecision, ...]:
        return tuple(decision for kind in self.kinds for decision in kind.decisions)


# --- conditions ----------------------------------------------------------------------------------


def check_threshold(
    threshold: TaxThreshold, charge: Money, room_nights: Decimal | None, nightly_rate: Money | None
) -> ThresholdCheck:
    """The charge per room night as a share of the nightly rate against the threshold (docs/taxes.md,
    "Threshold"). Compared exactly, never rounded first."""
    if room_nights is None or room_nights <= 0 or nightly_rate is None or nightly_rate.amount <= 0:
        return ThresholdCheck(
            met=False,
            reason=TaxReason.THRESHOLD_NOT_MEASURABLE,
            comparison=threshold.comparison,
            threshold_pct=threshold.pct,
            room_nights=room_nights,
            nightly_rate=nightly_rate,
            charge_per_room_night=None,
            charge_pct=None,
        )
    per_night = charge.amount / room_nights
    share = per_night * 100 / nightly_rate.amount
    # Cross-multiplied, so that no quotient (2,000 / 3 room nights) is rounded before the comparison.
    charged = charge.amount * 100
    limit = threshold.pct * nightly_rate.amount * room_nights
    met = charged > limit if threshold.comparison is ThresholdComparison.ABOVE else charged >= limit
    return ThresholdCheck(
        met=met,
        reason=TaxReason.THRESHOLD_MET if met else TaxReason.THRESHOLD_NOT_MET,
        comparison=threshold.comparison,
        threshold_pct=threshold.pct,
        room_nights=room_nights,
        nightly_rate=nightly_rate,
        charge_per_room_night=Money(per_night, charge.currency),
        charge_pct=share,
    )


def check_notice(window: TaxNoticeWindow, arrival_date: date, notice_date: date | None) -> NoticeCheck:
    """Was notice received within ``window.within_days`` days of arrival (docs/taxes.md, "Notice
    window")? Notice on or after arrival (a no-show) is within any window."""
    if notice_date is None:
        return NoticeCheck(
            met=window.applies_without_notice,
            reason=(
                TaxReason.NO_NOTICE_APPLIES
                if window.applies_without_notice
                else TaxReason.NO_NOTICE_DOES_NOT_APPLY
            ),
            window_days=window.within_days,
            arrival_date=arrival_date,
            notice_date=None,
            days_before_arrival=None,
        )
    days = (arrival_date - notice_date).days
    met = days <= window.within_days
    return NoticeCheck(
        met=met,
        reason=TaxReason.NOTICE_WITHIN_WINDOW if met else TaxReason.NOTICE_BEFORE_WINDOW,
        window_days=window.within_days,
        arrival_date=arrival_date,
        notice_date=notice_date,
        days_before_arrival=days,
    )


def rule_checks(
    rule: TaxRule,
    base: DamagesBase,
    *,
    nightly_rate: Money | None,
    arrival_date: date,
    notice_date: date | None,
) -> tuple[ConditionCheck, ...]:
    """Every check of ``rule`` for ``base``, in order; a kind the rule does not list stops there."""
    covered = base.kind in rule.kinds
    kind_check = KindCheck(
        met=covered,
        reason=TaxReason.KIND_COVERED if covered else TaxReason.KIND_NOT_COVERED,
        kind=base.kind,
        covered_kinds=rule.kinds,
    )
    if not covered:
        return (kind_check,)
    checks: list[ConditionCheck] = [kind_check]
    conditions = rule.conditions
    if conditions.threshold is not None:
        checks.append(check_threshold(conditions.threshold, base.amount, base.room_nights, nightly_rate))
    if conditions.notice_window is not None:
        checks.append(check_notice(conditions.notice_window, arrival_date, notice_date))
    return tuple(checks)


# --- amounts -------------------------------------------------------------------------------------


def exclusive_tax(net: Money, rate_pct: Decimal, method: Rounding) -> Money:
    """Tax added to a net amount: ``net × rate / 100``, rounded to the minor unit with ``method``."""
    return _rounded(net.amount * rate_pct / 100, net, method)


def inclusive_tax(
    gross: Money, rate_pct: Decimal, method: Rounding, *, total_rate_pct: Decimal | None = None
) -> Money:
    """Tax contained in a gross amount: ``gross × rate / (100 + total rate)``, rounded to the minor unit
    with ``method``. ``total_rate_pct`` is the sum of every inclusive rate in the same gross (default:
    this rate alone); the net is the gross less the rounded taxes, so net + taxes == gross."""
    total = rate_pct if total_rate_pct is None else total_rate_pct
    return _rounded(gross.amount * rate_pct / (100 + total), gross, method)


def _rounded(amount: Decimal, like: Money, method: Rounding) -> Money:
    quantum = Decimal(1).scaleb(-minor_units(like.currency))
    return Money(amount.quantize(quantum, _DECIMAL_ROUNDING[method]), like.currency)


def decide_taxes(
    profile: TaxProfile | None,
    bases: Sequence[DamagesBase],
    *,
    nightly_rate: Money | None,
    arrival_date: date,
    notice_date: date | None,
    method: Rounding,
) -> TaxOutcome:
    """Decide every rule of ``profile`` for every damages kind and work out the taxes (docs/taxes.md).

    Bases that are zero or negative carry no tax and get no decisions. Inclusive rules that apply to a
    kind share its charge: each is ``charge × rate / (100 + the sum of their rates)``. Exclusive rules
    are added on the net: the charge less the included taxes, less the service charge too when the rule
    is not ``on_service_charge``.
    """
    if not bases:
        raise ValueError("decide_taxes needs at least one damages base (for its currency)")
    currency = bases[0].amount.currency
    kinds: list[KindTaxes] = []
    for base in bases:
        service_charge = base.service_charge or Money.zero(currency)
        charged = base.amount + service_charge
        rules = profile.taxes if profile is not None and base.amount.amount > 0 else ()
        checked = [
            (
                index,
                rule,
                rule_checks(
                    rule, base, nightly_rate=nightly_rate, arrival_date=arrival_date, notice_date=notice_date
                ),
            )
            for index, rule in enumerate(rules)
        ]
        applies = {index: all(check.met for check in checks) for index, _, checks in checked}
        inclusive_rate = sum(
            (rule.rate_pct for index, rule, _ in checked if applies[index] and rule.inclusive), Decimal(0)
        )
        amounts: dict[int, TaxAmount] = {}
        for index, rule, _ in checked:
            if applies[index] and rule.inclusive:
                gross_in = charged if rule.on_service_charge else base.amount
                tax = inclusive_tax(gross_in, rule.rate_pct, method, total_rate_pct=inclusive_rate)
                amounts[index] = TaxAmount(True, rule.rate_pct, gross_in, tax, method)
        included = money_sum((amount.tax for amount in amounts.values()), currency)
        net = charged - included
        for index, rule, _ in checked:
            if applies[index] and not rule.inclusive:
                taxable = net if rule.on_service_charge else net - service_charge
                amounts[index] = TaxAmount(
                    False, rule.rate_pct, taxable, exclusive_tax(taxable, rule.rate_pct, method), method
                )
        added = money_sum((amount.tax for amount in amounts.values() if not amount.inclusive), currency)
        kinds.append(
            KindTaxes(
                kind=base.kind,
                charged=charged,
                net=net,
                included_tax=included,
                added_tax=added,
                gross=charged + added,
                decisions=tuple(
                    TaxDecision(rule, index, base.kind, applies[index], checks, amounts.get(index))
                    for index, rule, checks in checked
                ),
            )
        )
    return TaxOutcome(currency, tuple(kinds))


# --- rounding ------------------------------------------------------------------------------------


def rounding_method(contract: Contract) -> Rounding:
    """The method of the contract's rounding term; unset, the contract's ``money_rounding``."""
    method = contract.rounding.method
    return method if method is not None else contract.money_rounding


def rounding_is_default(contract: Contract) -> bool:
    """The contract left the rounding term unset: list it under assumptions (docs/rules.md §8)."""
    return "rounding" not in contract.model_fields_set


def rounding_increment(term: RoundingTerm, currency: str) -> Decimal:
    """The increment the term rounds to: the currency's minor unit, 1, or the term's step."""
    if term.increment is RoundingIncrement.MINOR_UNIT:
        return Decimal(1).scaleb(-minor_units(currency))
    if term.increment is RoundingIncrement.WHOLE_UNIT:
        return Decimal(1)
    assert term.step is not None  # the term's validator requires it
    return term.step


def round_to_increment(amount: Money, increment: Decimal, method: Rounding) -> Money:
    """``amount`` rounded to a multiple of ``increment`` with ``method``, written at the minor unit."""
    steps = (amount.amount / increment).to_integral_value(_DECIMAL_ROUNDING[method])
    return _rounded(steps * increment, amount, method)


@dataclass(frozen=True, slots=True)
class RoundedAmounts:
    """Lines and their total after the rounding term: ``sum(lines) + adjustment == total``.

    Per line: each line at the increment, no adjustment. On the total: each line at the minor unit
    (as today), the total at the increment, and the difference as one rounding ``adjustment``.
    """

    lines: tuple[Money, ...]
    total: Money
    adjustment: Money
    increment: Decimal
    scope: RoundingScope
    method: Rounding


def apply_rounding(
    amounts: Sequence[Money], term: RoundingTerm, method: Rounding, currency: str
) -> RoundedAmounts:
    """Round damages lines by the contract's rounding term (docs/taxes.md, "Rounding")."""
    increment = rounding_increment(term, currency)
    minor = Decimal(1).scaleb(-minor_units(currency))
    if term.scope is RoundingScope.PER_LINE:
        lines = tuple(round_to_increment(amount, increment, method) for amount in amounts)
        total = money_sum(lines, currency)
        return RoundedAmounts(lines, total, Money.zero(currency), increment, term.scope, method)
    lines = tuple(round_to_increment(amount, minor, method) for amount in amounts)
    unrounded = money_sum(lines, currency)
    total = round_to_increment(unrounded, increment, method)
    return RoundedAmounts(lines, total, total - unrounded, increment, term.scope, method)


# --- the contract's view -------------------------------------------------------------------------


def nightly_rate(contract: Contract) -> Money:
    """The contract's nightly rate for tax thresholds: the group rates of the block weighted by their
    rooms, exact (a contract's block always holds rooms)."""
    rooms = sum(cell.rooms for cell in contract.block)
    total = sum((cell.rate.amount * cell.rooms for cell in contract.block), Decimal(0))
    return Money(total / rooms, contract.currency)


def decide_contract_taxes(
    contract: Contract, bases: Sequence[DamagesBase], *, notice_date: date | None
) -> TaxOutcome:
    """``decide_taxes`` with the contract's tax profile, nightly rate, arrival date and rounding method."""
    return decide_taxes(
        contract.tax_profile,
        bases,
        nightly_rate=nightly_rate(contract),
        arrival_date=contract.arrival_date,
        notice_date=notice_date,
        method=rounding_method(contract),
    )
