"""The one entry point: ``assess(contract, actuals, as_of)`` (issue 2, item 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from app.engine.actuals import Actuals
from app.engine.attrition import (
    Block,
    Pickup,
    assess_room_attrition,
    attrition_terms,
    collect_pickup,
    comp_rooms_earned,
)
from app.engine.cancellation import assess_cancellation, cancellation_terms
from app.engine.contract import (
    Contract,
    DamagesKind,
    PerformanceStacking,
    RebateTerms,
    ResaleMode,
    RoundingIncrement,
    RoundingScope,
    ThresholdComparison,
    derived,
)
from app.engine.errors import ClauseNotComputableError, CurrencyMismatchError
from app.engine.explain import N_, Items, Percent, Say, say, templates, words
from app.engine.fnb import assess_fnb, assess_rental_scale, fnb_terms
from app.engine.money import Money, fraction, money_sum, quantity_text
from app.engine.results import Assessment, LineItem, LineKind, RoomSummary, Term
from app.engine.taxes import (
    ConditionCheck,
    DamagesBase,
    KindTaxes,
    NoticeCheck,
    TaxDecision,
    ThresholdCheck,
    apply_rounding,
    decide_contract_taxes,
    rounding_increment,
    rounding_is_default,
    rounding_method,
)

ZERO = Decimal(0)

templates(
    {
        "warning.reduction_later": N_("The reduction notified {notice} is after {as_of} and is not applied."),
        "warning.cancellation_later": N_(
            "The cancellation notice dated {notice} is after {as_of} and is not applied."
        ),
        "warning.exclusive_remedies": N_(
            "Attrition and cancellation are exclusive remedies: the contract was cancelled, so "
            "attrition is not assessed."
        ),
        "warning.provisional": N_(
            "Provisional: {as_of} is before departure {departure}; pickup to date is treated as final."
        ),
        "warning.no_attrition_clause": N_(
            "The contract has no attrition clause: no room damages are owed (courts have refused "
            "damages where the block was only an estimate)."
        ),
        "manual.label": N_("Manual amount entered by the hotel"),
        "manual.clause": N_("No attrition clause: amount entered by hand"),
        "manual.formula": N_("entered by hand, not computed"),
        "manual.step": N_("Entered by hand: {amount}. Reason: {reason}"),
        "warning.resale_ignored.rooms": N_(
            "The hotel reported {rooms} resold room nights; they are ignored because the contract has "
            "no resale term."
        ),
        "warning.resale_ignored.cancellation": N_(
            "The hotel reported {resold} of revenue from resold rooms; it is ignored because the "
            "cancellation clause has no resale credit."
        ),
        "warning.manual": N_("A manual amount entered by the hotel is included; it is not computed."),
        "warning.stacked": N_("Performance clauses are stacked: {kinds} all apply to the same event."),
        "warning.only_one": N_("Only {chosen} applies ({rule}); not charged: {dropped}."),
        "term.rounding": N_(
            "Each line is rounded {mode} to the currency's minor unit, then lines are summed."
        ),
        "term.rounding.per_line": N_(
            "Rounding term: each line is rounded {mode} to a multiple of {increment}, then lines are summed."
        ),
        "term.rounding.on_total": N_(
            "Rounding term: each line is rounded {mode} to the currency's minor unit and the total "
            "{mode} to a multiple of {increment}; the difference is a rounding adjustment."
        ),
        "term.rounding.default": N_(
            "No rounding term: lines are rounded to the currency's minor unit, not to a larger "
            "increment, and the total is not rounded again."
        ),
        "rounding.step.line": N_("Rounded {mode} to a multiple of {increment}: {amount}."),
        "rounding.label": N_("Rounding adjustment"),
        "rounding.clause": N_("Rounding term"),
        "rounding.formula": N_("total rounded to the contract's increment − total of the lines"),
        "rounding.step.total": N_(
            "{total} rounded {mode} to a multiple of {increment} = {rounded}: adjustment {adjustment}."
        ),
        "rounding.half_up": N_("half-up"),
        "rounding.half_even": N_("half-even"),
        "rounding.down": N_("down"),
        "rounding.up": N_("up"),
        "term.stacking.stack": N_("Room attrition, F&B attrition and the rental scale all apply."),
        "term.stacking.greatest_only": N_("Only the greatest of the performance charges applies."),
        "term.stacking.first_applicable": N_(
            "Only the first performance charge that applies, in the contract's order, is charged."
        ),
        "term.comps": N_(
            "One complimentary room night per {ratio} paid room nights, {rounding}: {paid} paid → "
            "{earned} earned, {used} used; unused comps are credited at the group rate."
        ),
        "term.comps_not_credited": N_(
            "One complimentary room night per {ratio} paid room nights, {rounding}: {paid} paid → "
            "{earned} earned, {used} used; unused comps are not credited."
        ),
        "comp.label": N_("Credit for unused complimentary rooms"),
        "comp.clause": N_("Comp rooms"),
        "comp.formula": N_("(comps earned − comps used) × average group rate"),
        "comp.step": N_("{unused} unused comp room nights × {rate} = {amount}."),
        "term.tax.none": N_(
            "No tax and no service charge on damages: neither the property nor the contract gives a "
            "tax profile."
        ),
        "tax.source.override": N_("the contract's tax override"),
        "tax.source.profile": N_("the property's tax profile"),
        "tax.rule": N_("{name} {pct} on {kinds}"),
        "tax.rule_included": N_("{name} {pct} included in {kinds}"),
        "tax.service_charge": N_("service charge {pct} on {kinds}"),
        "term.tax": N_("Tax rule from {source}: {rules}."),
        "term.tax_named": N_("Tax rule from {source} ({name}): {rules}."),
        "term.tax.no_rules": N_("Tax rule from {source}: no tax on damages."),
        "term.tax_named.no_rules": N_("Tax rule from {source} ({name}): no tax on damages."),
        "tax.clause": N_("Tax profile: {source}"),
        "tax.label.service_charge": N_("Service charge on {kind}"),
        "tax.formula.service_charge": N_("damages × service charge %"),
        "tax.label.tax": N_("{name} {pct} on {kind}"),
        "tax.formula.tax": N_("taxable damages × tax rate"),
        "tax.label.included": N_("{name} {pct} included in {kind}"),
        "tax.formula.included": N_("damages × tax rate ÷ (100 % + tax rate)"),
        "tax.step.included": N_(
            "{gross} × {pct} ÷ (100 % + {pct}) = {tax} included; net {net} + tax {tax} = {gross}."
        ),
        "tax.label.included_net": N_("{name} already included in {kind}"),
        "tax.formula.included_net": N_("the included tax, shown above, is part of the damages"),
        "tax.step.included_net": N_(
            "The damages of {gross} contain {tax} of tax: net {net}; the total due does not grow."
        ),
        "warning.tax_uncertain": N_(
            "The rule for {name} on {kind} is uncertain: its sources do not settle it. Confirm it with "
            "a tax adviser and override it in the property's tax profile if it is wrong."
        ),
        "term.tax_not_applied": N_("{name} {pct} is not charged on {kind}: {checks}."),
        "tax.check.threshold_not_measurable": N_(
            "the threshold of {pct} of the nightly rate cannot be measured (the damages are not priced "
            "by room night, or there is no nightly rate)"
        ),
        "tax.check.threshold_met.above": N_(
            "the charge of {charge} per room night is {share} of the nightly rate {rate}, above {pct}"
        ),
        "tax.check.threshold_met.at_least": N_(
            "the charge of {charge} per room night is {share} of the nightly rate {rate}, at least {pct}"
        ),
        "tax.check.threshold_not_met.above": N_(
            "the charge of {charge} per room night is {share} of the nightly rate {rate}, not above {pct}"
        ),
        "tax.check.threshold_not_met.at_least": N_(
            "the charge of {charge} per room night is {share} of the nightly rate {rate}, below {pct}"
        ),
        "tax.check.notice_within_window": N_(
            "notice dated {notice}, {days} days before arrival, is within the {window}-day window"
        ),
        "tax.check.notice_before_window": N_(
            "notice dated {notice}, {days} days before arrival, is before the {window}-day window"
        ),
        "tax.check.no_notice_applies": N_(
            "no notice was given, and the rule applies without notice (window of {window} days)"
        ),
        "tax.check.no_notice_does_not_apply": N_(
            "no notice was given, so the {window}-day notice window is not met"
        ),
        "rebate.step.per_room_night": N_("{paid} paid room nights × {rate} = {rebate}."),
        "rebate.step.pct": N_("{pct} of room revenue {revenue} = {rebate}."),
        "warning.unpriced.rebate": N_(
            "{count} room nights were reported without a rate (shoulder nights or room types outside the "
            "block): they add no revenue to the rebate. Give the rate paid to count them."
        ),
        "term.rebate.netted": N_("A rebate on actual room nights is netted against damages."),
        "term.rebate.separate": N_("A rebate on actual room nights is paid separately, not netted."),
        "term.rebate_to.netted": N_("A rebate to {payee} on actual room nights is netted against damages."),
        "term.rebate_to.separate": N_(
            "A rebate to {payee} on actual room nights is paid separately, not netted."
        ),
        "rebate.label": N_("Rebate"),
        "rebate.label_to": N_("Rebate to {payee}"),
        "rebate.clause": N_("Rebates"),
        "deposit.label": N_("Deposit received {received}"),
        "deposit.label_reference": N_("Deposit {reference} received {received}"),
        "deposit.clause": N_("Deposits are applied against damages"),
        "deposit.step": N_("Deposit of {amount} received {received}."),
        "credit.step.partly": N_("Applied {applied}; {left} exceeds what is owed and is not applied."),
        "credit.formula": N_("applied against the balance owed, never below zero"),
        "credit.step.carried": N_("Applied {applied}; the rest is carried."),
    }
)
_ROUNDING_KINDS = {
    "half_up": "rounding.half_up",
    "half_even": "rounding.half_even",
    "down": "rounding.down",
    "up": "rounding.up",
}
_STACKING_KINDS = {
    PerformanceStacking.STACK: "term.stacking.stack",
    PerformanceStacking.GREATEST_ONLY: "term.stacking.greatest_only",
    PerformanceStacking.FIRST_APPLICABLE: "term.stacking.first_applicable",
}
_DAMAGES_KINDS = tuple(DamagesKind)
_THRESHOLD_KINDS = {
    (True, ThresholdComparison.ABOVE): "tax.check.threshold_met.above",
    (True, ThresholdComparison.AT_LEAST): "tax.check.threshold_met.at_least",
    (False, ThresholdComparison.ABOVE): "tax.check.threshold_not_met.above",
    (False, ThresholdComparison.AT_LEAST): "tax.check.threshold_not_met.at_least",
}
_DATED_NOTICE_KINDS = {True: "tax.check.notice_within_window", False: "tax.check.notice_before_window"}
_UNDATED_NOTICE_KINDS = {True: "tax.check.no_notice_applies", False: "tax.check.no_notice_does_not_apply"}


def assess(contract: Contract, actuals: Actuals, as_of: date) -> Assessment:
    """Assess what the group owes under ``contract`` given ``actuals``, as of ``as_of``.

    Cancellation (docs/rules.md §5) when a notice was received on or before ``as_of``; otherwise
    room attrition (§3), F&B attrition and the rental scale (§4), stacked as the contract says;
    then comps, tax (§3.8), rebates and deposits (§3.7). Every default used is listed.
    """
    currency = contract.currency
    actual_currency = actuals.money_currency
    if actual_currency is not None and actual_currency != currency:
        raise CurrencyMismatchError(
            f"mixed currencies: {actual_currency} actuals for a {currency} contract",
            field="actuals.currency",
        )
    warnings: list[Say] = []
    conditions: list[Say] = []
    terms: list[Term] = []
    lines: list[LineItem] = []
    rooms: RoomSummary | None = None
    for reduction in contract.reductions:
        if reduction.notice_date > as_of:
            warnings.append(say("warning.reduction_later", notice=reduction.notice_date, as_of=as_of))
    notice = actuals.cancellation_notice_date
    if notice is not None and notice > as_of:
        warnings.append(say("warning.cancellation_later", notice=notice, as_of=as_of))
        notice = None
    pickup = collect_pickup(contract, actuals, contract.attrition)
    if notice is not None:
        remedy = "cancellation"
        lines += assess_cancellation(contract, actuals, notice)
        terms += cancellation_terms(contract)
        assert contract.cancellation is not None
        if contract.cancellation.rebooking_credit is not None:
            conditions.append(contract.cancellation.rebooking_credit.condition_text("cancellation fee"))
        resold = actuals.cancellation_resold_revenue
        if resold is not None and not resold.is_zero() and not contract.cancellation.resale_credit:
            warnings.append(say("warning.resale_ignored.cancellation", resold=resold))
        warnings.append(say("warning.exclusive_remedies"))
    else:
        remedy = "attrition"
        if as_of < contract.departure_date:
            warnings.append(say("warning.provisional", as_of=as_of, departure=contract.departure_date))
        rooms, performance = _performance_lines(contract, actuals, as_of, pickup, warnings, conditions)
        resold_rooms = sum(report.resold_rooms for report in actuals.inventory)
        if resold_rooms and (contract.attrition is None or contract.attrition.resale_mode is ResaleMode.NONE):
            warnings.append(say("warning.resale_ignored.rooms", rooms=resold_rooms))
        terms += attrition_terms(contract)
        terms += fnb_terms(contract)
        terms.append(derived(contract, "_stacking_term", lambda: stacking_term(contract)))
        lines += _stack(contract, performance, warnings)
        lines += _comp_credit(contract, pickup, terms)
    lines = _round_per_line(contract, lines)
    lines += _round_per_line(contract, _tax_lines(contract, lines, terms, notice, warnings))
    lines += _rounding_adjustment(contract, lines)
    lines, unapplied = _apply_credits(contract, as_of, pickup, lines, terms, warnings)
    terms.append(derived(contract, "_rounding_term", lambda: rounding_term(contract)))
    default_rounding = default_rounding_term(contract)
    if default_rounding is not None:
        terms.append(default_rounding)
    total = money_sum([line.amount for line in lines], currency)
    return Assessment(
        contract_id=contract.id,
        as_of=as_of,
        currency=currency,
        remedy=remedy,
        is_final=as_of >= contract.departure_date,
        total=total,
        lines=tuple(lines),
        unapplied_credit=unapplied,
        terms=tuple(terms),
        assumptions=tuple(term for term in terms if term.is_default),
        warnings=tuple(dict.fromkeys(warnings)),
        conditions=tuple(conditions),
        rooms=rooms,
    )


def _performance_lines(
    contract: Contract,
    actuals: Actuals,
    as_of: date,
    pickup: Pickup,
    warnings: list[Say],
    conditions: list[Say],
) -> tuple[RoomSummary | None, dict[DamagesKind, list[LineItem]]]:
    by_kind: dict[DamagesKind, list[LineItem]] = {}
    rooms: RoomSummary | None = None
    if contract.attrition is not None:
        if actuals.manual_damages is not None:
            raise ClauseNotComputableError(
                "the contract has an attrition clause, so room damages are computed, not entered",
                field="actuals.manual_damages",
            )
        outcome = assess_room_attrition(contract, actuals, as_of, pickup, warnings)
        rooms = outcome.summary
        by_kind[DamagesKind.ROOM_ATTRITION] = outcome.lines
        if contract.attrition.rebooking_waiver is not None:
            conditions.append(contract.attrition.rebooking_waiver.condition_text("room attrition damages"))
        pickup_pct = rooms.pickup_pct
    else:
        warnings.append(say("warning.no_attrition_clause"))
        if actuals.manual_damages is not None:
            manual = actuals.manual_damages
            by_kind[DamagesKind.ROOM_ATTRITION] = [
                LineItem(
                    kind=LineKind.MANUAL,
                    label=say("manual.label"),
                    clause=say("manual.clause"),
                    formula=say("manual.formula"),
                    inputs=(("reason", manual.reason),),
                    steps=(say("manual.step", amount=manual.amount, reason=manual.reason),),
                    amount=manual.amount.rounded(contract.money_rounding),
                    damages_kind=DamagesKind.ROOM_ATTRITION,
                )
            ]
            warnings.append(say("warning.manual"))
        # The block holds rooms (the contract is validated so), so the share is defined.
        baseline = sum(cell.rooms for cell in contract.block)
        credited = sum(pickup.by_night.values()) + pickup.shoulder
        pickup_pct = Decimal(credited) * 100 / baseline
    by_kind[DamagesKind.FNB_ATTRITION] = assess_fnb(contract, actuals, warnings)
    by_kind[DamagesKind.MEETING_ROOM_RENTAL] = assess_rental_scale(contract, actuals, pickup_pct)
    return rooms, by_kind


def _kind_total(lines: list[LineItem]) -> Decimal:
    return sum((line.amount.amount for line in lines), ZERO)


def _stack(
    contract: Contract, by_kind: dict[DamagesKind, list[LineItem]], warnings: list[Say]
) -> list[LineItem]:
    """Apply ``performance_stacking`` to room attrition, F&B attrition and rental (docs/rules.md §4)."""
    order = list(contract.stacking_order) + [k for k in by_kind if k not in contract.stacking_order]
    owed = [kind for kind in order if by_kind.get(kind) and _kind_total(by_kind[kind]) > 0]
    rule = contract.performance_stacking
    keep = set(by_kind)
    if rule is PerformanceStacking.STACK:
        if len(owed) > 1:
            warnings.append(say("warning.stacked", kinds=Items(tuple(owed))))
    elif owed:
        if rule is PerformanceStacking.GREATEST_ONLY:
            chosen = max(owed, key=lambda kind: (_kind_total(by_kind[kind]), -order.index(kind)))
        else:
            chosen = owed[0]
        keep = {chosen}
        dropped = tuple(kind for kind in owed if kind is not chosen)
        if dropped:
            warnings.append(say("warning.only_one", chosen=chosen, rule=rule, dropped=Items(dropped)))
    return [line for kind in order if kind in keep for line in by_kind.get(kind, [])]


def rounding_term(contract: Contract) -> Term:
    """How money is rounded (docs/rules.md §7, docs/taxes.md "Rounding"): left unset, today's rounding
    (each line to the minor unit) is listed under assumptions."""
    if rounding_is_default(contract):
        return Term(
            "money_rounding",
            contract.money_rounding.value,
            "money_rounding" not in contract.model_fields_set,
            say("term.rounding", mode=say(_ROUNDING_KINDS[contract.money_rounding.value])),
        )
    term = contract.rounding
    method = rounding_method(contract)
    increment = Money(rounding_increment(term, contract.currency), contract.currency)
    per_line = term.scope is RoundingScope.PER_LINE
    return Term(
        "rounding",
        f"{term.increment.value}/{term.scope.value}/{method.value}",
        False,
        say(
            "term.rounding.per_line" if per_line else "term.rounding.on_total",
            mode=say(_ROUNDING_KINDS[method.value]),
            increment=increment,
        ),
    )


def default_rounding_term(contract: Contract) -> Term | None:
    """A contract that chose its rounding method but left the rounding term unset: the increment and
    scope are the default (each line to the minor unit), listed under assumptions."""
    if not rounding_is_default(contract) or "money_rounding" not in contract.model_fields_set:
        return None
    return Term("rounding", "minor_unit/per_line", True, say("term.rounding.default"))


def _round_per_line(contract: Contract, lines: list[LineItem]) -> list[LineItem]:
    """A rounding term per line to more than the minor unit rounds every line to its increment; the
    tax an inclusive line takes off the damages stays the negative of its tax line."""
    term = contract.rounding
    if term.scope is not RoundingScope.PER_LINE or term.increment is RoundingIncrement.MINOR_UNIT:
        return lines
    method = rounding_method(contract)
    rounded = apply_rounding([line.amount for line in lines], term, method, contract.currency)
    out: list[LineItem] = []
    for line, amount in zip(lines, rounded.lines, strict=True):
        if line.kind is LineKind.INCLUDED_TAX:
            amount = -out[-1].amount  # the tax line it follows
        if amount != line.amount:
            step = say(
                "rounding.step.line",
                mode=say(_ROUNDING_KINDS[method.value]),
                increment=Money(rounded.increment, contract.currency),
                amount=amount,
            )
            line = replace(line, steps=(*line.steps, step), amount=amount)
        out.append(line)
    return out


def _rounding_adjustment(contract: Contract, lines: list[LineItem]) -> list[LineItem]:
    """A rounding term on the total: one line with the difference rounding the total makes."""
    term = contract.rounding
    if term.scope is not RoundingScope.ON_TOTAL:
        return []
    method = rounding_method(contract)
    rounded = apply_rounding([line.amount for line in lines], term, method, contract.currency)
    if rounded.adjustment.is_zero():
        return []
    return [
        LineItem(
            kind=LineKind.ROUNDING,
            label=say("rounding.label"),
            clause=say("rounding.clause"),
            formula=say("rounding.formula"),
            inputs=(("total", str(rounded.total.amount - rounded.adjustment.amount)),),
            steps=(
                say(
                    "rounding.step.total",
                    total=rounded.total - rounded.adjustment,
                    mode=say(_ROUNDING_KINDS[method.value]),
                    increment=Money(rounded.increment, contract.currency),
                    rounded=rounded.total,
                    adjustment=rounded.adjustment,
                ),
            ),
            amount=rounded.adjustment,
        )
    ]


def stacking_term(contract: Contract) -> Term:
    """Which performance charges apply together (docs/rules.md §4)."""
    rule = contract.performance_stacking
    return Term(
        "performance_stacking",
        rule.value,
        "performance_stacking" not in contract.model_fields_set,
        say(_STACKING_KINDS[rule]),
    )


def _comp_credit(contract: Contract, pickup: Pickup, terms: list[Term]) -> list[LineItem]:
    comps = contract.comps
    if comps is None:
        return []
    earned = comp_rooms_earned(pickup.paid_room_nights, comps)
    used = pickup.comp_room_nights
    terms.append(
        Term(
            "comps",
            f"1/{comps.ratio}",
            False,
            say(
                "term.comps" if comps.credit_unused_at_group_rate else "term.comps_not_credited",
                ratio=comps.ratio,
                rounding=comps.rounding,
                paid=pickup.paid_room_nights,
                earned=earned,
                used=used,
            ),
        )
    )
    unused = max(0, earned - used)
    if not comps.credit_unused_at_group_rate or unused == 0:
        return []
    rate = Block(
        contract.nights, contract.rooms_after_reductions(None), contract.cell_rates()
    ).contract_rate()
    amount = Money(unused * rate, contract.currency).rounded(contract.money_rounding)
    return [
        LineItem(
            kind=LineKind.COMP_CREDIT,
            label=say("comp.label"),
            clause=say("comp.clause"),
            formula=say("comp.formula"),
            inputs=(("earned", str(earned)), ("used", str(used))),
            steps=(
                say("comp.step", unused=unused, rate=Money(rate, contract.currency).rounded(), amount=amount),
            ),
            amount=-amount,
        )
    ]


def tax_term(contract: Contract) -> tuple[Term, Say | None]:
    """The tax term and the clause its lines cite: the contract alone decides them."""
    profile = contract.tax_profile
    if profile is None:
        term = Term(
            "tax",
            "none",
            True,
            say("term.tax.none"),
        )
        return term, None
    source = say("tax.source.override" if contract.tax_override else "tax.source.profile")
    described = [
        say(
            "tax.rule_included" if rule.inclusive else "tax.rule",
            name=rule.name,
            pct=Percent(rule.rate_pct),
            kinds=_kinds(rule.kinds),
        )
        for rule in profile.taxes
    ]
    if profile.service_charge_pct and profile.service_charge_kinds:
        described.append(
            say(
                "tax.service_charge",
                pct=Percent(profile.service_charge_pct),
                kinds=_kinds(profile.service_charge_kinds),
            )
        )
    rules = Items(tuple(described), "; ")
    if profile.name:
        text = (
            say("term.tax_named", source=source, name=profile.name, rules=rules)
            if described
            else say("term.tax_named.no_rules", source=source, name=profile.name)
        )
    else:
        text = (
            say("term.tax", source=source, rules=rules)
            if described
            else say("term.tax.no_rules", source=source)
        )
    term = Term("tax", profile.name or "profile", False, text)
    return term, say("tax.clause", source=source)


def _kinds(kinds: frozenset[DamagesKind]) -> Items:
    """Damages kinds in the order of their English words, as the terms have always listed them."""
    ordered = sorted(kinds, key=words)
    return Items(tuple(ordered))


def _tax_lines(
    contract: Contract,
    lines: list[LineItem],
    terms: list[Term],
    notice: date | None,
    warnings: list[Say],
) -> list[LineItem]:
    """Service charge and tax on damages from the tax profile (docs/rules.md §3.8, docs/taxes.md).

    Each rule is decided by ``taxes.decide_contract_taxes``: an exclusive tax is a line added to the
    damages; an inclusive one is the tax contained in them, shown as the tax and, beside it, the same
    amount taken off the damages, so that the total due does not grow. A rule with conditions says in
    its working which were met; one whose conditions were not met is a term saying why.
    """
    term, clause = derived(contract, "_tax_term", lambda: tax_term(contract))
    terms.append(term)
    profile = contract.tax_profile
    if profile is None or clause is None:
        return []
    currency = contract.currency
    rounding = contract.money_rounding
    amounts = dict.fromkeys(_DAMAGES_KINDS, ZERO)
    nights: dict[DamagesKind, Decimal | None] = dict.fromkeys(_DAMAGES_KINDS, ZERO)
    for line in lines:
        kind = line.damages_kind
        if kind is not None:
            amounts[kind] += line.amount.amount
            counted = nights[kind]
            nights[kind] = None if counted is None or line.room_nights is None else counted + line.room_nights
    added: list[LineItem] = []
    bases: list[DamagesBase] = []
    charges: dict[DamagesKind, LineItem] = {}
    for kind, amount in amounts.items():
        if amount <= 0:
            continue
        base = Money(amount, currency)
        charge = Money.zero(currency)
        if kind in profile.service_charge_kinds and profile.service_charge_pct:
            charge = (base * fraction(profile.service_charge_pct)).rounded(rounding)
            charges[kind] = LineItem(
                kind=LineKind.SERVICE_CHARGE,
                label=say("tax.label.service_charge", kind=kind),
                clause=clause,
                formula=say("tax.formula.service_charge"),
                inputs=(
                    ("base", str(base.amount)),
                    ("rate_pct", quantity_text(profile.service_charge_pct)),
                ),
                steps=(
                    say("step.base_rate", base=base, pct=Percent(profile.service_charge_pct), amount=charge),
                ),
                amount=charge,
            )
        bases.append(DamagesBase(kind, base, nights[kind] or None, charge))
    if not bases:
        return []
    outcome = decide_contract_taxes(contract, bases, notice_date=notice)
    for kind_taxes in outcome.kinds:
        if kind_taxes.kind in charges:
            added.append(charges[kind_taxes.kind])
        for decision in kind_taxes.decisions:
            added += _decision_lines(decision, clause, kind_taxes, terms, warnings)
    return added


def _decision_lines(
    decision: TaxDecision, clause: Say, kind_taxes: KindTaxes, terms: list[Term], warnings: list[Say]
) -> list[LineItem]:
    """The lines of one rule decided for one damages kind, and what the explanation says of it."""
    rule = decision.rule
    kind = decision.kind
    if not decision.checks[0].met:
        return []  # a kind the rule does not list: nothing to say, as before
    checks = tuple(_check_say(check) for check in decision.checks[1:])
    if rule.uncertain:
        warnings.append(say("warning.tax_uncertain", name=rule.name, kind=kind))
    if decision.amount is None:
        terms.append(
            Term(
                "tax.not_applied",
                rule.name,
                False,
                say(
                    "term.tax_not_applied",
                    name=rule.name,
                    pct=Percent(rule.rate_pct),
                    kind=kind,
                    checks=Items(checks, "; "),
                ),
            )
        )
        return []
    amount = decision.amount
    pct = Percent(rule.rate_pct)
    if not amount.inclusive:
        return [
            LineItem(
                kind=LineKind.TAX,
                label=say("tax.label.tax", name=rule.name, pct=pct, kind=kind),
                clause=clause,
                formula=say("tax.formula.tax"),
                inputs=(("base", str(amount.taxable.amount)), ("rate_pct", quantity_text(rule.rate_pct))),
                steps=(*checks, say("step.base_rate", base=amount.taxable, pct=pct, amount=amount.tax)),
                amount=amount.tax,
            )
        ]
    working = say(
        "tax.step.included",
        gross=amount.taxable,
        pct=pct,
        tax=amount.tax,
        net=amount.taxable - amount.tax,
    )
    inputs = (("gross", str(amount.taxable.amount)), ("rate_pct", quantity_text(rule.rate_pct)))
    return [
        LineItem(
            kind=LineKind.TAX,
            label=say("tax.label.included", name=rule.name, pct=pct, kind=kind),
            clause=clause,
            formula=say("tax.formula.included"),
            inputs=inputs,
            steps=(*checks, working),
            amount=amount.tax,
        ),
        LineItem(
            kind=LineKind.INCLUDED_TAX,
            label=say("tax.label.included_net", name=rule.name, kind=kind),
            clause=clause,
            formula=say("tax.formula.included_net"),
            inputs=inputs,
            steps=(
                say("tax.step.included_net", tax=amount.tax, gross=kind_taxes.charged, net=kind_taxes.net),
            ),
            amount=-amount.tax,
            damages_kind=kind,
        ),
    ]


def _check_say(check: ConditionCheck) -> Say:
    """One condition of a tax rule, met or not, with its figures."""
    if isinstance(check, ThresholdCheck):
        if check.charge_per_room_night is None or check.charge_pct is None or check.nightly_rate is None:
            return say("tax.check.threshold_not_measurable", pct=Percent(check.threshold_pct))
        return say(
            _THRESHOLD_KINDS[(check.met, check.comparison)],
            charge=check.charge_per_room_night.rounded(),
            share=Percent(check.charge_pct.quantize(Decimal("0.01"))),
            pct=Percent(check.threshold_pct),
            rate=check.nightly_rate.rounded(),
        )
    assert isinstance(check, NoticeCheck)
    if check.notice_date is None or check.days_before_arrival is None:
        return say(_UNDATED_NOTICE_KINDS[check.met], window=check.window_days)
    return say(
        _DATED_NOTICE_KINDS[check.met],
        notice=check.notice_date,
        days=check.days_before_arrival,
        window=check.window_days,
    )


def _apply_credits(
    contract: Contract,
    as_of: date,
    pickup: Pickup,
    lines: list[LineItem],
    terms: list[Term],
    warnings: list[Say],
) -> tuple[list[LineItem], Money]:
    """Rebates and deposits are applied against what is owed, never below zero (docs/rules.md §3.7)."""
    currency = contract.currency
    rounding = contract.money_rounding
    lines = list(lines)
    unapplied = Money.zero(currency)
    balance = money_sum([line.amount for line in lines], currency)
    # A comp credit larger than the damages is carried, not paid out.
    if balance.amount < 0:
        unapplied = -balance
        for index, line in enumerate(lines):
            if line.kind is LineKind.COMP_CREDIT:
                lines[index] = _with_amount(line, line.amount + unapplied)
        balance = Money.zero(currency)
    credits: list[tuple[LineKind, Say, Say, Money, tuple[Say, ...]]] = []
    rebates = contract.rebates
    if rebates is not None:
        if rebates.per_room_night is not None:
            rebate = (rebates.per_room_night * pickup.paid_room_nights).rounded(rounding)
            working = say(
                "rebate.step.per_room_night",
                paid=pickup.paid_room_nights,
                rate=rebates.per_room_night,
                rebate=rebate,
            )
        else:
            assert rebates.pct_of_room_revenue is not None
            if pickup.unpriced_paid:
                warnings.append(say("warning.unpriced.rebate", count=pickup.unpriced_paid))
            rebate = (Money(pickup.room_revenue, currency) * fraction(rebates.pct_of_room_revenue)).rounded(
                rounding
            )
            working = say(
                "rebate.step.pct",
                pct=Percent(rebates.pct_of_room_revenue),
                revenue=Money(pickup.room_revenue, currency),
                rebate=rebate,
            )
        payee = rebates.payee
        terms.append(rebate_term(rebates))
        if rebates.net_against_damages:
            label = say("rebate.label_to", payee=payee) if payee else say("rebate.label")
            credits.append((LineKind.REBATE, label, say("rebate.clause"), rebate, (working,)))
    for deposit in contract.deposits:
        if deposit.received_date > as_of:
            continue
        received = deposit.received_date
        credits.append(
            (
                LineKind.DEPOSIT,
                say("deposit.label_reference", reference=deposit.reference, received=received)
                if deposit.reference
                else say("deposit.label", received=received),
                say("deposit.clause"),
                deposit.amount.rounded(rounding),
                (say("deposit.step", amount=deposit.amount, received=received),),
            )
        )
    for kind, label, clause, amount, steps in credits:
        applied = min(amount, balance)
        left = amount - applied
        unapplied = unapplied + left
        balance = balance - applied
        note = (say("credit.step.partly", applied=applied, left=left),) if left.amount else ()
        lines.append(
            LineItem(
                kind=kind,
                label=label,
                clause=clause,
                formula=say("credit.formula"),
                inputs=(("amount", str(amount.amount)),),
                steps=(*steps, *note),
                amount=-applied,
            )
        )
    return lines, unapplied


def rebate_term(rebates: RebateTerms) -> Term:
    """Whether the rebate is netted against damages (docs/rules.md §3.7)."""
    payee = rebates.payee
    netted = rebates.net_against_damages
    if payee:
        text = say("term.rebate_to.netted" if netted else "term.rebate_to.separate", payee=payee)
    else:
        text = say("term.rebate.netted" if netted else "term.rebate.separate")
    return Term(
        "rebates.net_against_damages",
        str(netted).lower(),
        "net_against_damages" not in rebates.model_fields_set,
        text,
    )


def _with_amount(line: LineItem, amount: Money) -> LineItem:
    return replace(line, steps=(*line.steps, say("credit.step.carried", applied=-amount)), amount=amount)
