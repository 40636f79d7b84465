"""A contract's terms as plain sentences, for staff and planners (issue 4).

Each sentence names the contract term behind it (``field``, the same name the engine gives the term in
an assessment's ``terms``, e.g. ``attrition.performance_pct``) and says whether the contract set it or
left it to the default ``docs/rules.md`` documents, so a reader sees which parts were agreed and which were
assumed. Numbers, money and dates are written in the property's locale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from pydantic import BaseModel

from app.engine.contract import (
    DEFAULT_FNB_CATEGORIES,
    BaselineMode,
    CancellationComponentKind,
    CompRounding,
    Contract,
    CreditAllocation,
    DamageRateRule,
    DamagesKind,
    DayTier,
    EvaluationMode,
    GreaterOfCharge,
    MinimumRounding,
    PerformanceStacking,
    PickupSource,
    ReductionBasis,
    ResaleMode,
    ScaleBasis,
    ThresholdSemantics,
)
from app.engine.money import Money
from app.engine.words import words as enum_words
from app.web.templating import babel_locale


@dataclass(frozen=True, slots=True)
class TermSentence:
    """One term in words. ``is_default``: the contract left it unset and the documented default applies."""

    topic: str
    field: str
    text: str
    is_default: bool = False


TOPICS = (
    "Block and dates",
    "Room attrition",
    "Reductions",
    "Food and beverage",
    "Meeting rooms and combined charges",
    "Cancellation",
    "Comps, rebates and deposits",
    "Taxes and payment",
)

_MODE_WORDS = {
    EvaluationMode.CUMULATIVE: (
        "all nights are tested together (cumulative), so a strong night offsets a weak one"
    ),
    EvaluationMode.PER_NIGHT: "each night is tested on its own; no night offsets another",
    EvaluationMode.PER_NIGHT_WITH_CREDIT: (
        "each night is tested on its own, and pickup above the block on any night is credited to short nights"
    ),
    EvaluationMode.PEAK_NIGHT: "only the peak night (the night with the largest block) is tested",
    EvaluationMode.REVENUE: "the test is on room revenue, not on room nights",
    EvaluationMode.GREATER_OF: "the group passes if either the room-night test or the revenue test passes",
    EvaluationMode.TIERED: "a table on the pickup percentage gives a share of the blocked room revenue",
}


class _Words:
    """Formatting in one locale."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale

    def money(self, value: Money) -> str:
        return format_currency(value.amount, value.currency, locale=self.locale)

    def pct(self, value: Decimal) -> str:
        return format_percent(value / 100, locale=self.locale, decimal_quantization=False)

    def number(self, value: Decimal | int) -> str:
        return format_decimal(value, locale=self.locale, decimal_quantization=False)

    def day(self, value: date) -> str:
        return format_date(value, "medium", locale=self.locale)


def _unset(model: BaseModel, name: str) -> bool:
    return name not in model.model_fields_set


def _listed(items: Iterable[str]) -> str:
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _kind_words(kinds: Iterable[DamagesKind]) -> str:
    return _listed(sorted(enum_words(kind) for kind in kinds))


def plain_terms(contract: Contract, locale: Locale | str | None) -> tuple[TermSentence, ...]:
    """The contract's terms in plain English sentences, grouped by ``topic`` in the order of ``TOPICS``."""
    words = _Words(locale if isinstance(locale, Locale) else babel_locale(locale))
    sentences = [
        *_block(contract, words),
        *_attrition(contract, words),
        *_reductions(contract, words),
        *_fnb(contract, words),
        *_rental(contract, words),
        *_cancellation(contract, words),
        *_extras(contract, words),
        *_taxes_and_payment(contract, words),
    ]
    return tuple(sentences)


def _block(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[0]
    total = sum(cell.rooms for cell in contract.block)
    nights = len(contract.nights)
    out = [
        TermSentence(
            topic,
            "block",
            f"{contract.group.name} holds a block of {w.number(total)} room nights over "
            f"{w.number(nights)} night{'s' if nights != 1 else ''}, arriving {w.day(contract.arrival_date)} "
            f"and departing {w.day(contract.departure_date)}, in {_listed(contract.room_types)} rooms.",
        )
    ]
    rates = sorted({cell.rate.amount for cell in contract.block})
    low, high = Money(rates[0], contract.currency), Money(rates[-1], contract.currency)
    out.append(
        TermSentence(
            topic,
            "block.rate",
            f"The group rate is {w.money(low)} per room night."
            if low == high
            else f"Group rates run from {w.money(low)} to {w.money(high)} per room night, by night and "
            "room type.",
        )
    )
    if contract.signed_date is not None:
        out.append(
            TermSentence(topic, "signed_date", f"The contract was signed on {w.day(contract.signed_date)}.")
        )
    if contract.cutoff_date is not None:
        out.append(
            TermSentence(
                topic,
                "cutoff_date",
                f"At the cut-off date, {w.day(contract.cutoff_date)}, rooms not yet reserved return to "
                "general sale.",
            )
        )
    else:
        out.append(
            TermSentence(
                topic, "cutoff_date", "No cut-off date: the block is held until arrival.", is_default=True
            )
        )
    if contract.offline_rooms:
        rooms = sum(cell.rooms for cell in contract.offline_rooms)
        out.append(
            TermSentence(
                topic,
                "offline_rooms",
                f"{w.number(rooms)} room nights the hotel could not supply (off-line rooms) leave the "
                "baseline.",
            )
        )
    return out


def _attrition(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[1]
    clause = contract.attrition
    if clause is None:
        return [
            TermSentence(
                topic, "attrition", "There is no attrition clause: no room damages are owed for under-use."
            )
        ]

    def sentence(name: str, text: str) -> TermSentence:
        return TermSentence(topic, f"attrition.{name}", text, _unset(clause, name))

    mode = clause.evaluation_mode
    out = [
        sentence(
            "performance_pct",
            f"The group must use {w.pct(clause.performance_pct)} of its block: it may drop "
            f"{w.pct(clause.allowance_pct)} (the attrition allowance) without damages.",
        ),
        sentence("evaluation_mode", f"How pickup is tested: {_MODE_WORDS[mode]}."),
    ]
    if mode is EvaluationMode.TIERED:
        steps = "; ".join(
            f"pickup from {w.pct(tier.from_pct)}"
            + (f" to below {w.pct(tier.to_pct)}" if tier.to_pct is not None else " up")
            + f": {w.pct(tier.damages_pct)}"
            for tier in sorted(clause.tiers, key=lambda tier: tier.from_pct)
        )
        out.append(sentence("tiers", f"Damages as a share of the blocked room revenue: {steps}."))
    else:
        out += [
            sentence(
                "threshold_semantics",
                "Below the minimum, the group pays only for the room nights between its pickup and the "
                "minimum (a deductible)."
                if clause.threshold_semantics is ThresholdSemantics.DEDUCTIBLE
                else "Below the minimum, the group pays for every unused room night of the block (a cliff).",
            ),
            sentence(
                "minimum_rounding",
                {
                    MinimumRounding.CEIL: "The minimum is rounded up to a whole room night.",
                    MinimumRounding.FLOOR: "The minimum is rounded down to a whole room night.",
                    MinimumRounding.HALF_UP: "The minimum is rounded to the nearest whole room night.",
                    MinimumRounding.EXACT: "The minimum is not rounded (fractions of a room night count).",
                }[clause.minimum_rounding],
            ),
            sentence(
                "pass_if_equal",
                "Pickup exactly at the minimum passes."
                if clause.pass_if_equal
                else "Pickup exactly at the minimum does not pass: the group must exceed it.",
            ),
            sentence(
                "damages_pct",
                f"For each unused room night the group pays {w.pct(clause.damages_pct)} of its rate.",
            ),
            sentence(
                "damage_rate_rule",
                {
                    DamageRateRule.CONTRACT_RATE: "Unused room nights are priced at the group rate of the "
                    "night and room type (all nights together: the average group rate of the block).",
                    DamageRateRule.LOWEST_RATE: "Unused room nights are priced at the lowest group rate.",
                    DamageRateRule.PICKUP_WEIGHTED_AVERAGE: "Unused room nights are priced at the average "
                    "rate of the rooms picked up.",
                    DamageRateRule.FIXED: "Unused room nights are priced at a fixed rate of "
                    f"{w.money(clause.fixed_rate) if clause.fixed_rate is not None else '—'}.",
                }[clause.damage_rate_rule],
            ),
            sentence(
                "resale_mode",
                {
                    ResaleMode.NONE: "Rooms the hotel resells do not reduce the damages (no duty to "
                    "mitigate).",
                    ResaleMode.RESOLD_ROOMS: "Rooms the hotel resells are credited at the rate received, up "
                    "to the group rate.",
                    ResaleMode.LAST_ROOM_SOLD: "Last room sold: the group pays only for unused rooms the "
                    "hotel could not sell.",
                }[clause.resale_mode],
            ),
        ]
    if mode is EvaluationMode.PER_NIGHT_WITH_CREDIT:
        out.append(
            sentence(
                "credit_allocation",
                "Pickup above the block is applied to short nights "
                + {
                    CreditAllocation.HIGHEST_RATE_FIRST: "highest rate first.",
                    CreditAllocation.CHRONOLOGICAL: "in date order.",
                    CreditAllocation.PRO_RATA: "in proportion to their shortfall.",
                }[clause.credit_allocation],
            )
        )
    if mode is EvaluationMode.GREATER_OF:
        out.append(
            sentence(
                "greater_of_charge",
                {
                    GreaterOfCharge.LESSER: "If both tests fail, the lesser of the two damages applies.",
                    GreaterOfCharge.ROOM_NIGHTS: "If both tests fail, the room-night damages apply.",
                    GreaterOfCharge.REVENUE: "If both tests fail, the revenue damages apply.",
                }[clause.greater_of_charge],
            )
        )
    out.append(
        sentence(
            "baseline_mode",
            {
                BaselineMode.ADJUSTED: "The test is against the block after valid reductions and "
                "off-line rooms.",
                BaselineMode.ORIGINAL: "The test is against the original block (less off-line rooms), "
                "whatever reductions were made.",
                BaselineMode.STRICTER_OF: "Both the original and the reduced block are tested; the larger "
                "damages apply.",
            }[clause.baseline_mode],
        )
    )
    sources = clause.credited_sources
    counted = [enum_words(source) for source in PickupSource if sources.credits(source)]
    not_counted = [enum_words(source) for source in PickupSource if not sources.credits(source)]
    out.append(
        sentence(
            "credited_sources",
            f"Counted as pickup: {_listed(counted)}"
            + (f"; not counted: {_listed(not_counted)}" if not_counted else "")
            + ".",
        )
    )
    if contract.cutoff_date is not None:
        out.append(
            sentence(
                "released_rooms_count",
                "Rooms released at the cut-off date still count in the attrition test."
                if clause.released_rooms_count
                else "Rooms released at the cut-off date leave the block the attrition test uses.",
            )
        )
    if clause.rebooking_waiver is not None:
        waiver = clause.rebooking_waiver
        out.append(
            sentence(
                "rebooking_waiver",
                f"{w.pct(waiver.pct)} of the room attrition damages is credited if the group books a "
                f"comparable event within {w.number(waiver.within_months)} months.",
            )
        )
    # Not a contract term: the engine always applies it (docs/rules.md §3.7).
    out.append(
        TermSentence(
            topic,
            "damages_cap",
            "Room damages never exceed the revenue of the unused, unresold rooms at the group rate.",
        )
    )
    return out


def _reductions(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[2]
    if not contract.reduction_rights:
        out = [
            TermSentence(
                topic,
                "reduction_rights",
                "The group has no right to reduce the block without liability.",
                is_default=True,
            )
        ]
    else:
        out = []
    for right in contract.reduction_rights:
        deadline = right.deadline(contract.arrival_date)
        when = (
            f"until {w.day(deadline)}"
            if right.until_date is not None
            else f"until {w.number(right.until_days_before_arrival or 0)} days before arrival "
            f"({w.day(deadline)})"
        )
        basis = "original" if right.basis is ReductionBasis.ORIGINAL else "current"
        name = f"{right.name}: " if right.name else ""
        out.append(
            TermSentence(
                topic,
                "reduction_rights",
                f"{name}{when}, the group may reduce the block by up to {w.pct(right.max_pct)} of the "
                f"{basis} block without liability.",
            )
        )
    for reduction in sorted(contract.reductions, key=lambda reduction: reduction.notice_date):
        out.append(
            TermSentence(
                topic,
                "reductions",
                f"On {w.day(reduction.notice_date)} the group reduced the block by "
                f"{w.number(reduction.room_nights)} room nights.",
            )
        )
    return out


def _days(tier: DayTier, w: _Words) -> str:
    if tier.max_days is None:
        return f"{w.number(tier.min_days)} days or more"
    if tier.min_days == tier.max_days:
        return f"{w.number(tier.min_days)} days"
    return f"{w.number(tier.min_days)}–{w.number(tier.max_days)} days"


def _fnb(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[3]
    clause = contract.fnb
    if clause is None:
        return [TermSentence(topic, "fnb", "There is no food and beverage minimum.")]

    def sentence(name: str, text: str) -> TermSentence:
        return TermSentence(topic, f"fnb.{name}", text, _unset(clause, name))

    categories = sorted(category.value.replace("_", " ") for category in clause.counted_categories)
    out = [
        sentence(
            "minimum",
            f"The group must spend at least {w.money(clause.minimum)} on food and beverage, net of tax "
            "and service charge.",
        ),
        sentence(
            "allowance_pct",
            f"It may spend {w.pct(clause.allowance_pct)} less than the minimum without damages.",
        ),
        sentence("damages_pct", f"It pays {w.pct(clause.damages_pct)} of any shortfall."),
        sentence(
            "counted_categories",
            f"Spend that counts: {_listed(categories)}"
            + (" (banquets only)" if clause.counted_categories == DEFAULT_FNB_CATEGORIES else "")
            + ".",
        ),
        sentence(
            "add_service_charge",
            f"A service charge of {w.pct(clause.service_charge_pct or Decimal(0))} is added to the shortfall."
            if clause.add_service_charge
            else "No service charge is added to the shortfall.",
        ),
        sentence(
            "add_tax",
            f"Tax of {w.pct(clause.tax_pct or Decimal(0))} is added to the shortfall."
            if clause.add_tax
            else "No tax is added to the shortfall.",
        ),
    ]
    if clause.damages_pct_by_notice:
        scale = "; ".join(
            f"{_days(tier, w)}: {w.pct(tier.pct)}"
            for tier in sorted(clause.damages_pct_by_notice, key=lambda tier: tier.min_days)
        )
        out.append(
            sentence(
                "damages_pct_by_notice",
                f"The share of the shortfall paid depends on the notice given before arrival: {scale}.",
            )
        )
    return out


def _rental(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[4]
    out = []
    if contract.meeting_room_rental is not None:
        out.append(
            TermSentence(
                topic,
                "meeting_room_rental",
                f"Meeting-room rental is {w.money(contract.meeting_room_rental)}.",
            )
        )
    scale = contract.rental_scale
    if scale is not None:
        basis = "room pickup" if scale.basis is ScaleBasis.ROOM_PICKUP_PCT else "food and beverage spend"

        def value(amount: Decimal) -> str:
            if scale.basis is ScaleBasis.ROOM_PICKUP_PCT:
                return w.pct(amount)
            return w.money(Money(amount, contract.currency))

        steps = "; ".join(
            f"from {value(step.from_value)}"
            + (f" to below {value(step.to_value)}" if step.to_value is not None else " up")
            + f": {w.money(step.rental)}"
            for step in sorted(scale.steps, key=lambda step: step.from_value)
        )
        out.append(TermSentence(topic, "rental_scale", f"Meeting-room rental slides with {basis}: {steps}."))
    out.append(
        TermSentence(
            topic,
            "performance_stacking",
            {
                PerformanceStacking.STACK: "Where room attrition, F&B attrition and the rental scale are all "
                "owed, all of them are charged.",
                PerformanceStacking.GREATEST_ONLY: "Where several of room attrition, F&B attrition and the "
                "rental scale are owed, only the largest is charged.",
                PerformanceStacking.FIRST_APPLICABLE: "Where several charges are owed, only the first in the "
                f"order {_listed(enum_words(k) for k in contract.stacking_order)} is charged.",
            }[contract.performance_stacking],
            _unset(contract, "performance_stacking"),
        )
    )
    return out


def _cancellation(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[5]
    clause = contract.cancellation
    if clause is None:
        return [TermSentence(topic, "cancellation", "There is no cancellation clause.")]
    scale = "; ".join(
        f"{_days(tier, w)} before arrival: {w.pct(tier.pct)}"
        for tier in sorted(clause.tiers, key=lambda tier: tier.min_days)
    )
    parts = []
    for component in clause.base:
        what = (
            component.label
            or {
                CancellationComponentKind.ROOM_REVENUE: "the room revenue of the block",
                CancellationComponentKind.FNB_MINIMUM: "the F&B minimum",
                CancellationComponentKind.MEETING_ROOM_RENTAL: "the meeting-room rental",
                CancellationComponentKind.OTHER: "other charges",
            }[component.kind]
        )
        amount = f" ({w.money(component.amount)})" if component.amount is not None else ""
        share = f"{w.pct(component.pct)} of " if component.pct != 100 else ""
        parts.append(f"{share}{what}{amount}")
    out = [
        TermSentence(topic, "cancellation.tiers", f"If the group cancels, it pays by notice given: {scale}."),
        TermSentence(
            topic,
            "cancellation.base",
            f"The percentage applies to {_listed(parts)}.",
            _unset(clause, "base"),
        ),
        TermSentence(
            topic,
            "cancellation.day_count",
            "Days are counted in calendar days from the date written notice is received.",
            is_default=True,
        ),
        TermSentence(
            topic,
            "cancellation.resale_credit",
            "Revenue from rooms the hotel resells is credited."
            if clause.resale_credit
            else "Rooms the hotel resells are not credited.",
            _unset(clause, "resale_credit"),
        ),
    ]
    if clause.rebooking_credit is not None:
        credit = clause.rebooking_credit
        out.append(
            TermSentence(
                topic,
                "cancellation.rebooking_credit",
                f"{w.pct(credit.pct)} of the cancellation fee is credited if the group books a comparable "
                f"event within {w.number(credit.within_months)} months.",
            )
        )
    return out


def _extras(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[6]
    out = []
    comps = contract.comps
    if comps is not None:
        rounding = "down" if comps.rounding is CompRounding.FLOOR else "up"
        credit = (
            "unused comps are credited at the group rate"
            if comps.credit_unused_at_group_rate
            else "unused comps are not credited"
        )
        out.append(
            TermSentence(
                topic,
                "comps",
                f"One complimentary room night per {w.number(comps.ratio)} paid room nights (rounded "
                f"{rounding}); {credit}.",
            )
        )
    rebates = contract.rebates
    if rebates is not None:
        amount = (
            f"{w.money(rebates.per_room_night)} per room night"
            if rebates.per_room_night is not None
            else f"{w.pct(rebates.pct_of_room_revenue or Decimal(0))} of room revenue"
        )
        payee = f" to {rebates.payee}" if rebates.payee else ""
        out.append(
            TermSentence(topic, "rebates", f"A rebate of {amount} is paid{payee} on actual room nights.")
        )
        out.append(
            TermSentence(
                topic,
                "rebates.net_against_damages",
                "The rebate is netted against damages."
                if rebates.net_against_damages
                else "The rebate is not netted against damages.",
                _unset(rebates, "net_against_damages"),
            )
        )
    for deposit in contract.deposits:
        reference = f" (reference {deposit.reference})" if deposit.reference else ""
        out.append(
            TermSentence(
                topic,
                "deposits",
                f"A deposit of {w.money(deposit.amount)} received on {w.day(deposit.received_date)}"
                f"{reference} is applied against any damages.",
            )
        )
    return out


def _taxes_and_payment(contract: Contract, w: _Words) -> list[TermSentence]:
    topic = TOPICS[7]
    profile = contract.tax_profile
    out = []
    if profile is None:
        out.append(
            TermSentence(
                topic,
                "tax",
                "No tax and no service charge are added to damages (neither the hotel nor the contract "
                "sets a tax rule).",
                is_default=True,
            )
        )
    else:
        source = "the contract" if contract.tax_override is not None else "the hotel's tax profile"
        named = f" ({profile.name})" if profile.name else ""
        parts = []
        if profile.service_charge_pct and profile.service_charge_kinds:
            parts.append(
                f"a service charge of {w.pct(profile.service_charge_pct)} on "
                f"{_kind_words(profile.service_charge_kinds)}"
            )
        for tax in profile.taxes:
            on_service = ", service charge included" if tax.on_service_charge and parts else ""
            parts.append(f"{tax.name} of {w.pct(tax.rate_pct)} on {_kind_words(tax.kinds)}{on_service}")
        text = (
            f"Tax rule from {source}{named}: " + "; ".join(parts) + "."
            if parts
            else f"Tax rule from {source}{named}: no tax and no service charge on damages."
        )
        out.append(TermSentence(topic, "tax", text))
    out.append(
        TermSentence(
            topic,
            "payment_terms_days",
            f"An invoice is due {w.number(contract.payment_terms_days)} days after it is issued.",
            _unset(contract, "payment_terms_days"),
        )
    )
    out.append(
        TermSentence(
            topic,
            "money_rounding",
            f"Each amount is rounded {contract.money_rounding.value.replace('_', '-')} to the cent (or the "
            "currency's smallest unit), then the lines are added up.",
            _unset(contract, "money_rounding"),
        )
    )
    return out
