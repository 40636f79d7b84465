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
from app.engine.explain import N_, Items, Percent, Say, say, templates
from app.engine.money import Money, fraction, quantity_text, rounded_money
from app.engine.results import LineItem, LineKind, Term

ZERO = Decimal(0)

templates(
    {
        "fnb.warning.no_spend": N_("No F&B spend was reported: F&B spend is taken as zero."),
        "fnb.warning.no_notice": N_(
            "The F&B damages % depends on the notice date, but no F&B notice date was given: "
            "the clause's damages % of {pct} applies."
        ),
        "fnb.pct_source.clause": N_("the clause"),
        "fnb.pct_source.notice": N_("the notice table ({days} days before arrival)"),
        "fnb.step.threshold": N_("Threshold = ({full} − {allowance}) × {minimum} = {threshold}."),
        "fnb.step.spend": N_("Credited spend ({categories}, net of tax and service charge) = {spend}."),
        "fnb.step.shortfall": N_("Shortfall = max(0, {threshold} − {spend}) = {shortfall}."),
        "fnb.step.damages": N_("Damages = {shortfall} × {pct} (from {source}) = {amount}."),
        "fnb.label.shortfall": N_("F&B minimum shortfall"),
        "fnb.clause": N_("F&B minimum"),
        "fnb.formula.shortfall": N_("max(0, (1 − allowance) × minimum − credited spend) × damages %"),
        "fnb.label.service_charge": N_("Service charge on the F&B shortfall"),
        "fnb.label.tax": N_("Tax on the F&B shortfall"),
        "fnb.clause.surcharge": N_("F&B minimum: the contract adds it to the shortfall"),
        "formula.base_rate": N_("base × rate"),
        "step.base_rate": N_("{base} × {pct} = {amount}."),
        "rental.basis.fnb_spend": N_("credited F&B spend {spend}"),
        "rental.basis.pickup": N_("room pickup {pct} of the baseline"),
        "rental.step.basis": N_("The basis is {basis}."),
        "rental.step.step": N_("Step {low} below {high} → rental {amount}."),
        "rental.step.step_waived": N_("Step {low} below {high} → rental {amount} (waived)."),
        "rental.step.step_open": N_("Step {low} and above → rental {amount}."),
        "rental.step.step_open_waived": N_("Step {low} and above → rental {amount} (waived)."),
        "rental.label": N_("Meeting-room rental (sliding scale)"),
        "rental.clause": N_("Meeting-room rental sliding scale"),
        "rental.formula": N_("rental of the scale step that the basis falls in"),
        "fnb.term.allowance": N_("The group may spend {pct} less than the F&B minimum without damages."),
        "fnb.term.damages": N_("The group pays {pct} of the F&B shortfall."),
        "fnb.term.categories": N_("F&B spend that counts: {categories}, net of tax and service charge."),
        "fnb.term.categories_default": N_(
            "F&B spend that counts: {categories} (banquet food and beverage only), net of tax and "
            "service charge."
        ),
        "fnb.term.service_charge": N_("Service charge is added to the F&B shortfall."),
        "fnb.term.no_service_charge": N_("No service charge is added to the F&B shortfall."),
        "fnb.term.tax": N_("Tax is added to the F&B shortfall."),
        "fnb.term.no_tax": N_("No tax is added to the F&B shortfall."),
    }
)


def credited_fnb_spend(contract: Contract, actuals: Actuals) -> Decimal:
    """Spend in the categories the clause counts, net of tax and service charge."""
    categories = contract.fnb.counted_categories if contract.fnb else frozenset(FnbCategory)
    return sum((spend.amount.amount for spend in actuals.fnb_spend if spend.category in categories), ZERO)


def assess_fnb(contract: Contract, actuals: Actuals, warnings: list[Say]) -> list[LineItem]:
    """F&B attrition: ``max(0, (1 − allowance) · minimum − spend) · damages %`` (docs/rules.md §4)."""
    clause = contract.fnb
    if clause is None:
        return []
    cur = contract.currency
    rounding = contract.money_rounding
    spend = credited_fnb_spend(contract, actuals)
    if not actuals.fnb_spend:
        warnings.append(say("fnb.warning.no_spend"))
    threshold = (1 - fraction(clause.allowance_pct)) * clause.minimum.amount
    shortfall = max(ZERO, threshold - spend)
    damages_pct = clause.damages_pct
    pct_source = say("fnb.pct_source.clause")
    if clause.damages_pct_by_notice:
        if actuals.fnb_notice_date is None:
            warnings.append(say("fnb.warning.no_notice", pct=Percent(clause.damages_pct)))
        else:
            days = max(0, (contract.arrival_date - actuals.fnb_notice_date).days)
            tier = day_tier(clause.damages_pct_by_notice, days)
            damages_pct = tier.pct
            pct_source = say("fnb.pct_source.notice", days=days)
    exact = shortfall * fraction(damages_pct)
    amount = rounded_money(exact, cur, rounding)
    categories = derived(contract, "_fnb_categories_items", lambda: _categories(clause.counted_categories))
    threshold_money, spend_money = Money(threshold, cur), Money(spend, cur)
    shortfall_money = Money(shortfall, cur)
    steps = [
        say(
            "fnb.step.threshold",
            full=Percent(Decimal(100)),
            allowance=Percent(clause.allowance_pct),
            minimum=clause.minimum,
            threshold=threshold_money,
        ),
        say("fnb.step.spend", categories=categories, spend=spend_money),
        say("fnb.step.shortfall", threshold=threshold_money, spend=spend_money, shortfall=shortfall_money),
        say(
            "fnb.step.damages",
            shortfall=shortfall_money,
            pct=Percent(damages_pct),
            source=pct_source,
            amount=amount,
        ),
    ]
    lines = [
        LineItem(
            kind=LineKind.FNB_ATTRITION,
            label=say("fnb.label.shortfall"),
            clause=say("fnb.clause"),
            formula=say("fnb.formula.shortfall"),
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
            _surcharge_line(say("fnb.label.service_charge"), clause.service_charge_pct, amount, charge)
        )
        base = base + charge
    if clause.add_tax and not amount.is_zero():
        assert clause.tax_pct is not None
        tax = (base * fraction(clause.tax_pct)).rounded(rounding)
        lines.append(_surcharge_line(say("fnb.label.tax"), clause.tax_pct, base, tax))
    return lines


def _categories(categories: frozenset[FnbCategory]) -> Items:
    return Items(tuple(sorted(categories)))


def _surcharge_line(label: Say, pct: Decimal, base: Money, amount: Money) -> LineItem:
    return LineItem(
        kind=LineKind.FNB_ATTRITION,
        label=label,
        clause=say("fnb.clause.surcharge"),
        formula=say("formula.base_rate"),
        inputs=(("base", str(base.amount)), ("rate_pct", quantity_text(pct))),
        steps=(say("step.base_rate", base=base, pct=Percent(pct), amount=amount),),
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
        shown = say("rental.basis.fnb_spend", spend=Money(value, cur))
    else:
        value = pickup_pct
        shown = say("rental.basis.pickup", pct=Percent(value.quantize(Decimal("0.01"))))
    step = next(
        s for s in scale.steps if s.from_value <= value and (s.to_value is None or value < s.to_value)
    )
    amount = step.rental.rounded(contract.money_rounding)
    low, high = step.from_value, step.to_value
    if high is not None:
        step_words = (
            say("rental.step.step_waived", low=low, high=high, amount=amount)
            if amount.is_zero()
            else say("rental.step.step", low=low, high=high, amount=amount)
        )
    else:
        step_words = (
            say("rental.step.step_open_waived", low=low, amount=amount)
            if amount.is_zero()
            else say("rental.step.step_open", low=low, amount=amount)
        )
    return [
        LineItem(
            kind=LineKind.MEETING_ROOM_RENTAL,
            label=say("rental.label"),
            clause=say("rental.clause"),
            formula=say("rental.formula"),
            inputs=(("basis", scale.basis.value), ("value", str(value))),
            steps=(say("rental.step.basis", basis=shown), step_words),
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

    def term(name: str, value: str, text: Say) -> Term:
        return Term(f"fnb.{name}", value, name not in explicit, text)

    categories = clause.counted_categories
    terms = [
        term(
            "allowance_pct",
            quantity_text(clause.allowance_pct),
            say("fnb.term.allowance", pct=Percent(clause.allowance_pct)),
        ),
        term(
            "damages_pct",
            quantity_text(clause.damages_pct),
            say("fnb.term.damages", pct=Percent(clause.damages_pct)),
        ),
        term(
            "counted_categories",
            ",".join(sorted(categories)),
            say(
                "fnb.term.categories_default"
                if categories == DEFAULT_FNB_CATEGORIES
                else "fnb.term.categories",
                categories=_categories(categories),
            ),
        ),
        term(
            "add_service_charge",
            str(clause.add_service_charge).lower(),
            say("fnb.term.service_charge" if clause.add_service_charge else "fnb.term.no_service_charge"),
        ),
        term(
            "add_tax",
            str(clause.add_tax).lower(),
            say("fnb.term.tax" if clause.add_tax else "fnb.term.no_tax"),
        ),
    ]
    return terms
