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
from app.engine.contract import Contract, DamagesKind, PerformanceStacking, derived
from app.engine.errors import ClauseNotComputableError, CurrencyMismatchError
from app.engine.fnb import assess_fnb, assess_rental_scale, fnb_terms
from app.engine.money import Money, fraction, money_sum, pct_text, quantity_text
from app.engine.results import Assessment, LineItem, LineKind, RoomSummary, Term
from app.engine.words import words

ZERO = Decimal(0)
_DAMAGES_KINDS = tuple(DamagesKind)


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
    warnings: list[str] = []
    conditions: list[str] = []
    terms: list[Term] = []
    lines: list[LineItem] = []
    rooms: RoomSummary | None = None
    for reduction in contract.reductions:
        if reduction.notice_date > as_of:
            warnings.append(
                f"The reduction notified {reduction.notice_date.isoformat()} is after "
                f"{as_of.isoformat()} and is not applied."
            )
    notice = actuals.cancellation_notice_date
    if notice is not None and notice > as_of:
        warnings.append(
            f"The cancellation notice dated {notice.isoformat()} is after {as_of.isoformat()} "
            "and is not applied."
        )
        notice = None
    pickup = collect_pickup(contract, actuals, contract.attrition)
    if notice is not None:
        remedy = "cancellation"
        lines += assess_cancellation(contract, actuals, notice)
        terms += cancellation_terms(contract)
        assert contract.cancellation is not None
        if contract.cancellation.rebooking_credit is not None:
            conditions.append(contract.cancellation.rebooking_credit.condition_text("cancellation fee"))
        warnings.append(
            "Attrition and cancellation are exclusive remedies: the contract was cancelled, so "
            "attrition is not assessed."
        )
    else:
        remedy = "attrition"
        if as_of < contract.departure_date:
            warnings.append(
                f"Provisional: {as_of.isoformat()} is before departure "
                f"{contract.departure_date.isoformat()}; pickup to date is treated as final."
            )
        rooms, performance = _performance_lines(contract, actuals, as_of, pickup, warnings, conditions)
        terms += attrition_terms(contract)
        terms += fnb_terms(contract)
        terms.append(derived(contract, "_stacking_term", lambda: _stacking_term(contract)))
        lines += _stack(contract, performance, warnings)
        lines += _comp_credit(contract, pickup, terms)
    lines += _tax_lines(contract, lines, terms)
    lines, unapplied = _apply_credits(contract, as_of, pickup, lines, terms, warnings)
    terms.append(derived(contract, "_rounding_term", lambda: _rounding_term(contract)))
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
    warnings: list[str],
    conditions: list[str],
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
        warnings.append(
            "The contract has no attrition clause: no room damages are owed (courts have refused "
            "damages where the block was only an estimate)."
        )
        if actuals.manual_damages is not None:
            manual = actuals.manual_damages
            by_kind[DamagesKind.ROOM_ATTRITION] = [
                LineItem(
                    kind=LineKind.MANUAL,
                    label="Manual amount entered by the hotel",
                    clause="No attrition clause: amount entered by hand",
                    formula="entered by hand, not computed",
                    inputs=(("reason", manual.reason),),
                    steps=(f"Entered by hand: {manual.amount}. Reason: {manual.reason}",),
                    amount=manual.amount.rounded(contract.money_rounding),
                    damages_kind=DamagesKind.ROOM_ATTRITION,
                )
            ]
            warnings.append("A manual amount entered by the hotel is included; it is not computed.")
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
    contract: Contract, by_kind: dict[DamagesKind, list[LineItem]], warnings: list[str]
) -> list[LineItem]:
    """Apply ``performance_stacking`` to room attrition, F&B attrition and rental (docs/rules.md §4)."""
    order = list(contract.stacking_order) + [k for k in by_kind if k not in contract.stacking_order]
    owed = [kind for kind in order if by_kind.get(kind) and _kind_total(by_kind[kind]) > 0]
    rule = contract.performance_stacking
    keep = set(by_kind)
    if rule is PerformanceStacking.STACK:
        if len(owed) > 1:
            warnings.append(
                "Performance clauses are stacked: "
                + ", ".join(words(kind) for kind in owed)
                + " all apply to the same event."
            )
    elif owed:
        if rule is PerformanceStacking.GREATEST_ONLY:
            chosen = max(owed, key=lambda kind: (_kind_total(by_kind[kind]), -order.index(kind)))
        else:
            chosen = owed[0]
        keep = {chosen}
        dropped = [words(kind) for kind in owed if kind is not chosen]
        if dropped:
            warnings.append(
                f"Only {words(chosen)} applies ({words(rule)}); not charged: {', '.join(dropped)}."
            )
    return [line for kind in order if kind in keep for line in by_kind.get(kind, [])]


def _rounding_term(contract: Contract) -> Term:
    return Term(
        "money_rounding",
        contract.money_rounding.value,
        "money_rounding" not in contract.model_fields_set,
        f"Each line is rounded {contract.money_rounding.replace('_', '-')} to the "
        "currency's minor unit, then lines are summed.",
    )


def _stacking_term(contract: Contract) -> Term:
    rule = contract.performance_stacking
    return Term(
        "performance_stacking",
        rule.value,
        "performance_stacking" not in contract.model_fields_set,
        {
            PerformanceStacking.STACK: "Room attrition, F&B attrition and the rental scale all apply.",
            PerformanceStacking.GREATEST_ONLY: "Only the greatest of the performance charges applies.",
            PerformanceStacking.FIRST_APPLICABLE: (
                "Only the first performance charge that applies, in the contract's order, is charged."
            ),
        }[rule],
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
            f"One complimentary room night per {comps.ratio} paid room nights, rounded "
            f"{comps.rounding}: {pickup.paid_room_nights} paid → {earned} earned, {used} used; "
            + (
                "unused comps are credited at the group rate."
                if comps.credit_unused_at_group_rate
                else "unused comps are not credited."
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
            label="Credit for unused complimentary rooms",
            clause="Comp rooms",
            formula="(comps earned − comps used) × average group rate",
            inputs=(("earned", str(earned)), ("used", str(used))),
            steps=(
                f"{unused} unused comp room nights × {Money(rate, contract.currency).rounded()} = {amount}.",
            ),
            amount=-amount,
        )
    ]


def _tax_term(contract: Contract) -> tuple[Term, str]:
    """The tax term and the clause its lines cite: the contract alone decides them."""
    profile = contract.tax_profile
    if profile is None:
        term = Term(
            "tax",
            "none",
            True,
            "No tax and no service charge on damages: neither the property nor the contract "
            "gives a tax profile.",
        )
        return term, ""
    source = "the contract's tax override" if contract.tax_override else "the property's tax profile"
    described = [
        f"{rule.name} {pct_text(rule.rate_pct)} on " + ", ".join(sorted(words(k) for k in rule.kinds))
        for rule in profile.taxes
    ]
    if profile.service_charge_pct and profile.service_charge_kinds:
        described.append(
            f"service charge {pct_text(profile.service_charge_pct)} on "
            + ", ".join(sorted(words(k) for k in profile.service_charge_kinds))
        )
    term = Term(
        "tax",
        profile.name or "profile",
        False,
        f"Tax rule from {source}"
        + (f" ({profile.name})" if profile.name else "")
        + ": "
        + ("; ".join(described) if described else "no tax on damages")
        + ".",
    )
    return term, f"Tax profile: {source}"


def _tax_lines(contract: Contract, lines: list[LineItem], terms: list[Term]) -> list[LineItem]:
    """Service charge and tax on damages from the tax profile (docs/rules.md §3.8)."""
    term, clause = derived(contract, "_tax_term", lambda: _tax_term(contract))
    terms.append(term)
    profile = contract.tax_profile
    if profile is None:
        return []
    currency = contract.currency
    rounding = contract.money_rounding
    added: list[LineItem] = []
    bases = dict.fromkeys(_DAMAGES_KINDS, ZERO)
    for line in lines:
        if line.damages_kind is not None:
            bases[line.damages_kind] += line.amount.amount
    for kind, amount in bases.items():
        if amount <= 0:
            continue
        base = Money(amount, currency)
        charge = Money.zero(currency)
        if kind in profile.service_charge_kinds and profile.service_charge_pct:
            charge = (base * fraction(profile.service_charge_pct)).rounded(rounding)
            added.append(
                LineItem(
                    kind=LineKind.SERVICE_CHARGE,
                    label=f"Service charge on {words(kind)}",
                    clause=clause,
                    formula="damages × service charge %",
                    inputs=(
                        ("base", str(base.amount)),
                        ("rate_pct", quantity_text(profile.service_charge_pct)),
                    ),
                    steps=(f"{base} × {pct_text(profile.service_charge_pct)} = {charge}.",),
                    amount=charge,
                )
            )
        for rule in profile.taxes:
            if kind not in rule.kinds:
                continue
            taxable = base + charge if rule.on_service_charge else base
            tax = (taxable * fraction(rule.rate_pct)).rounded(rounding)
            added.append(
                LineItem(
                    kind=LineKind.TAX,
                    label=f"{rule.name} {pct_text(rule.rate_pct)} on {words(kind)}",
                    clause=clause,
                    formula="taxable damages × tax rate",
                    inputs=(
                        ("base", str(taxable.amount)),
                        ("rate_pct", quantity_text(rule.rate_pct)),
                    ),
                    steps=(f"{taxable} × {pct_text(rule.rate_pct)} = {tax}.",),
                    amount=tax,
                )
            )
    return added


def _apply_credits(
    contract: Contract,
    as_of: date,
    pickup: Pickup,
    lines: list[LineItem],
    terms: list[Term],
    warnings: list[str],
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
    credits: list[tuple[LineKind, str, str, Money, tuple[str, ...]]] = []
    rebates = contract.rebates
    if rebates is not None:
        if rebates.per_room_night is not None:
            rebate = (rebates.per_room_night * pickup.paid_room_nights).rounded(rounding)
            working = f"{pickup.paid_room_nights} paid room nights × {rebates.per_room_night} = {rebate}."
        else:
            assert rebates.pct_of_room_revenue is not None
            if pickup.unpriced_paid:
                warnings.append(pickup.unpriced_warning(pickup.unpriced_paid, "the rebate"))
            rebate = (Money(pickup.room_revenue, currency) * fraction(rebates.pct_of_room_revenue)).rounded(
                rounding
            )
            working = (
                f"{pct_text(rebates.pct_of_room_revenue)} of room revenue "
                f"{Money(pickup.room_revenue, currency)} = {rebate}."
            )
        payee = f" to {rebates.payee}" if rebates.payee else ""
        terms.append(
            Term(
                "rebates.net_against_damages",
                str(rebates.net_against_damages).lower(),
                "net_against_damages" not in rebates.model_fields_set,
                f"A rebate{payee} on actual room nights "
                + (
                    "is netted against damages."
                    if rebates.net_against_damages
                    else "is paid separately, not netted."
                ),
            )
        )
        if rebates.net_against_damages:
            credits.append((LineKind.REBATE, f"Rebate{payee}", "Rebates", rebate, (working,)))
    for deposit in contract.deposits:
        if deposit.received_date > as_of:
            continue
        reference = f" {deposit.reference}" if deposit.reference else ""
        credits.append(
            (
                LineKind.DEPOSIT,
                f"Deposit{reference} received {deposit.received_date.isoformat()}",
                "Deposits are applied against damages",
                deposit.amount.rounded(rounding),
                (f"Deposit of {deposit.amount} received {deposit.received_date.isoformat()}.",),
            )
        )
    for kind, label, clause, amount, steps in credits:
        applied = min(amount, balance)
        left = amount - applied
        unapplied = unapplied + left
        balance = balance - applied
        note = (f"Applied {applied}; {left} exceeds what is owed and is not applied.",) if left.amount else ()
        lines.append(
            LineItem(
                kind=kind,
                label=label,
                clause=clause,
                formula="applied against the balance owed, never below zero",
                inputs=(("amount", str(amount.amount)),),
                steps=(*steps, *note),
                amount=-applied,
            )
        )
    return lines, unapplied


def _with_amount(line: LineItem, amount: Money) -> LineItem:
    return replace(line, steps=(*line.steps, f"Applied {-amount}; the rest is carried."), amount=amount)
