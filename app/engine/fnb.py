"""Food & beverage minimum and the meeting-room rental sliding scale (docs/rules.md §4)."""

from __future__ import annotations

from decimal import Decimal

from app.engine.actuals import Actuals
from app.engine.contract import (
    DEFAULT_FNB_CATEGORIES,
    Contract,
    DamagesKind,
    FnbCategory,
    ScaleBasis,
    day_tier,
    derived,
)
from app.engine.money import Money, amount_text, fraction, pct_text, quantity_text, rounded_money
from app.engine.results import LineItem, LineKind, Term

ZERO = Decimal(0)


def credited_fnb_spend(contract: Contract, actuals: Actuals) -> Decimal:
    """Spend in the categories the clause counts, net of tax and service charge."""
    categories = contract.fnb.counted_categories if contract.fnb else frozenset(FnbCategory)
    return sum((spend.amount.amount for spend in actuals.fnb_spend if spend.category in categories), ZERO)


def assess_fnb(contract: Contract, actuals: Actuals, warnings: list[str]) -> list[LineItem]:
    """F&B attrition: ``max(0, (1 − allowance) · minimum − spend) · damages %`` (docs/rules.md §4)."""
    clause = contract.fnb
    if clause is None:
        return []
    cur = contract.currency
    rounding = contract.money_rounding
    spend = credited_fnb_spend(contract, actuals)
    if not actuals.fnb_spend:
        warnings.append("No F&B spend was reported: F&B spend is taken as zero.")
    threshold = (1 - fraction(clause.allowance_pct)) * clause.minimum.amount
    shortfall = max(ZERO, threshold - spend)
    damages_pct = clause.damages_pct
    pct_source = "the clause"
    if clause.damages_pct_by_notice:
        if actuals.fnb_notice_date is None:
            warnings.append(
                "The F&B damages % depends on the notice date, but no fnb_notice_date was given: "
                f"the clause's damages_pct {pct_text(clause.damages_pct)} applies."
            )
        else:
            days = max(0, (contract.arrival_date - actuals.fnb_notice_date).days)
            tier = day_tier(clause.damages_pct_by_notice, days)
            damages_pct = tier.pct
            pct_source = f"the notice table ({days} days before arrival)"
    exact = shortfall * fraction(damages_pct)
    amount = rounded_money(exact, cur, rounding)
    categories = derived(
        contract,
        "_fnb_categories_text",
        lambda: ", ".join(sorted(c.replace("_", " ") for c in clause.counted_categories)),
    )
    threshold_text, spend_text = amount_text(threshold, cur), amount_text(spend, cur)
    shortfall_text = amount_text(shortfall, cur)
    steps = [
        f"Threshold = (100 % − {pct_text(clause.allowance_pct)}) × {clause.minimum} = {threshold_text}.",
        f"Credited spend ({categories}, net of tax and service charge) = {spend_text}.",
        f"Shortfall = max(0, {threshold_text} − {spend_text}) = {shortfall_text}.",
        f"Damages = {shortfall_text} × {pct_text(damages_pct)} (from {pct_source}) = {amount}.",
    ]
    lines = [
        LineItem(
            kind=LineKind.FNB_ATTRITION,
            label="F&B minimum shortfall",
            clause="F&B minimum",
            formula="max(0, (1 − allowance) × minimum − credited spend) × damages %",
            inputs=(
                ("minimum", str(clause.minimum.amount)),
                ("allowance_pct", quantity_text(clause.allowance_pct)),
                ("credited_spend", str(rounded_money(spend, cur).amount)),
                ("damages_pct", quantity_text(damages_pct)),
            ),
            steps=tuple(steps),
            amount=amount,
            damages_kind=DamagesKind.FNB_ATTRITION,
        )
    ]
    base = amount
    if clause.add_service_charge and not amount.is_zero():
        assert clause.service_charge_pct is not None
        charge = (amount * fraction(clause.service_charge_pct)).rounded(rounding)
        lines.append(
            _surcharge_line("Service charge on the F&B shortfall", clause.service_charge_pct, amount, charge)
        )
        base = base + charge
    if clause.add_tax and not amount.is_zero():
        assert clause.tax_pct is not None
        tax = (base * fraction(clause.tax_pct)).rounded(rounding)
        lines.append(_surcharge_line("Tax on the F&B shortfall", clause.tax_pct, base, tax))
    return lines


def _surcharge_line(label: str, pct: Decimal, base: Money, amount: Money) -> LineItem:
    return LineItem(
        kind=LineKind.FNB_ATTRITION,
        label=label,
        clause="F&B minimum: the contract adds it to the shortfall",
        formula="base × rate",
        inputs=(("base", str(base.amount)), ("rate_pct", quantity_text(pct))),
        steps=(f"{base} × {pct_text(pct)} = {amount}.",),
        amount=amount,
        damages_kind=DamagesKind.FNB_ATTRITION,
    )


def assess_rental_scale(contract: Contract, actuals: Actuals, pickup_pct: Decimal) -> list[LineItem]:
    """Meeting-room rental from the sliding scale (docs/rules.md §4)."""
    scale = contract.rental_scale
    if scale is None:
        return []
    cur = contract.currency
    if scale.basis is ScaleBasis.FNB_SPEND:
        value = credited_fnb_spend(contract, actuals)
        shown = f"credited F&B spend {Money(value, cur)}"
    else:
        value = pickup_pct
        shown = f"room pickup {quantity_text(value.quantize(Decimal('0.01')))} % of the baseline"
    step = next(
        s for s in scale.steps if s.from_value <= value and (s.to_value is None or value < s.to_value)
    )
    upper = f"below {quantity_text(step.to_value)}" if step.to_value is not None else "and above"
    amount = step.rental.rounded(contract.money_rounding)
    return [
        LineItem(
            kind=LineKind.MEETING_ROOM_RENTAL,
            label="Meeting-room rental (sliding scale)",
            clause="Meeting-room rental sliding scale",
            formula="rental of the scale step that the basis falls in",
            inputs=(("basis", scale.basis.value), ("value", str(value))),
            steps=(
                f"The basis is {shown}.",
                f"Step {quantity_text(step.from_value)} {upper} → rental {amount}"
                + (" (waived)." if amount.is_zero() else "."),
            ),
            amount=amount,
            damages_kind=DamagesKind.MEETING_ROOM_RENTAL,
        )
    ]


def fnb_terms(contract: Contract) -> tuple[Term, ...]:
    """The F&B terms, each marked as set or defaulted; worked out once per contract."""
    return derived(contract, "_fnb_terms", lambda: tuple(_fnb_terms(contract)))


def _fnb_terms(contract: Contract) -> list[Term]:
    clause = contract.fnb
    if clause is None:
        return []
    explicit = clause.model_fields_set

    def term(name: str, value: str, text: str) -> Term:
        return Term(f"fnb.{name}", value, name not in explicit, text)

    categories = clause.counted_categories
    terms = [
        term(
            "allowance_pct",
            quantity_text(clause.allowance_pct),
            f"The group may spend {pct_text(clause.allowance_pct)} less than the F&B minimum "
            "without damages.",
        ),
        term(
            "damages_pct",
            quantity_text(clause.damages_pct),
            f"The group pays {pct_text(clause.damages_pct)} of the F&B shortfall.",
        ),
        term(
            "counted_categories",
            ",".join(sorted(categories)),
            "F&B spend that counts: "
            + ", ".join(sorted(c.replace("_", " ") for c in categories))
            + (" (banquet food and beverage only)" if categories == DEFAULT_FNB_CATEGORIES else "")
            + ", net of tax and service charge.",
        ),
        term(
            "add_service_charge",
            str(clause.add_service_charge).lower(),
            "Service charge is added to the F&B shortfall."
            if clause.add_service_charge
            else "No service charge is added to the F&B shortfall.",
        ),
        term(
            "add_tax",
            str(clause.add_tax).lower(),
            "Tax is added to the F&B shortfall."
            if clause.add_tax
            else "No tax is added to the F&B shortfall.",
        ),
    ]
    return terms
