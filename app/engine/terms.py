"""Every term of a contract as an explanation, for the pages that show a contract's terms (docs/rules.md §8).

Each term names the contract field behind it (the name an assessment's ``terms`` give it, such as
``attrition.performance_pct``) and says whether the contract set it or left it to the default. The terms
an assessment also lists are the very same explanations (:func:`attrition_terms`, :func:`fnb_terms`,
…), so a term reads the same on the contract page, in an assessment and on an invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel

from app.engine.assess import rebate_term, rounding_term, stacking_term, tax_term
from app.engine.attrition import attrition_terms
from app.engine.cancellation import cancellation_terms
from app.engine.contract import CancellationComponentKind, Contract, DayTier, ReductionBasis, ScaleBasis
from app.engine.explain import N_, Items, Percent, Say, Value, say, templates
from app.engine.fnb import fnb_terms
from app.engine.money import Money
from app.engine.results import Term

templates(
    {
        "topic.block": N_("Block and dates"),
        "topic.attrition": N_("Room attrition"),
        "topic.reductions": N_("Reductions"),
        "topic.fnb": N_("Food and beverage"),
        "topic.rental": N_("Meeting rooms and combined charges"),
        "topic.cancellation": N_("Cancellation"),
        "topic.extras": N_("Comps, rebates and deposits"),
        "topic.taxes": N_("Taxes and payment"),
        "contract.block": N_(
            "{group} holds a block of {room_nights} room nights over {nights} nights, arriving {arrival} "
            "and departing {departure}, in {room_types} rooms."
        ),
        "contract.block_one_night": N_(
            "{group} holds a block of {room_nights} room nights over one night, arriving {arrival} and "
            "departing {departure}, in {room_types} rooms."
        ),
        "contract.rate": N_("The group rate is {rate} per room night."),
        "contract.rates": N_("Group rates run from {low} to {high} per room night, by night and room type."),
        "contract.signed": N_("The contract was signed on {date}."),
        "contract.cutoff": N_("At the cut-off date, {date}, rooms not yet reserved return to general sale."),
        "contract.no_cutoff": N_("No cut-off date: the block is held until arrival."),
        "contract.offline": N_(
            "{room_nights} room nights the hotel could not supply (off-line rooms) leave the baseline."
        ),
        "contract.tiers": N_("Damages as a share of the blocked room revenue: {tiers}."),
        "contract.tier": N_("pickup from {low} to below {high}: {pct}"),
        "contract.tier_open": N_("pickup from {low} up: {pct}"),
        "contract.damages_cap": N_(
            "Room damages never exceed the revenue of the unused, unresold rooms at the group rate."
        ),
        "contract.no_reduction_rights": N_("The group has no right to reduce the block without liability."),
        "contract.right.date.original": N_(
            "Until {deadline}, the group may reduce the block by up to {pct} of the original block without "
            "liability."
        ),
        "contract.right.date.current": N_(
            "Until {deadline}, the group may reduce the block by up to {pct} of the current block without "
            "liability."
        ),
        "contract.right.days.original": N_(
            "Until {days} days before arrival ({deadline}), the group may reduce the block by up to {pct} "
            "of the original block without liability."
        ),
        "contract.right.days.current": N_(
            "Until {days} days before arrival ({deadline}), the group may reduce the block by up to {pct} "
            "of the current block without liability."
        ),
        "contract.right.named": N_("{name}: {right}"),
        "contract.reduction": N_("On {date} the group reduced the block by {room_nights} room nights."),
        "contract.no_fnb": N_("There is no food and beverage minimum."),
        "contract.fnb.minimum": N_(
            "The group must spend at least {minimum} on food and beverage, net of tax and service charge."
        ),
        "contract.fnb.by_notice": N_(
            "The share of the shortfall paid depends on the notice given before arrival: {scale}."
        ),
        "contract.days": N_("{days} days"),
        "contract.days_range": N_("{low}–{high} days"),
        "contract.days_open": N_("{days} days or more"),
        "contract.days_pct": N_("{days}: {pct}"),
        "contract.rental": N_("Meeting-room rental is {amount}."),
        "contract.rental_scale.pickup": N_("Meeting-room rental slides with room pickup: {steps}."),
        "contract.rental_scale.spend": N_(
            "Meeting-room rental slides with food and beverage spend: {steps}."
        ),
        "contract.scale_step": N_("from {low} to below {high}: {rental}"),
        "contract.scale_step_open": N_("from {low} up: {rental}"),
        "contract.no_cancellation": N_("There is no cancellation clause."),
        "contract.cancellation.base": N_("The percentage applies to {parts}."),
        "contract.component.room_revenue": N_("the room revenue of the block"),
        "contract.component.fnb_minimum": N_("the F&B minimum"),
        "contract.component.meeting_room_rental": N_("the meeting-room rental"),
        "contract.component.other": N_("other charges"),
        "contract.component_pct": N_("{pct} of {what}"),
        "contract.component_amount": N_("{what} ({amount})"),
        "contract.component_pct_amount": N_("{pct} of {what} ({amount})"),
        "contract.comps": N_(
            "One complimentary room night per {ratio} paid room nights ({rounding}); unused comps are "
            "credited at the group rate."
        ),
        "contract.comps_not_credited": N_(
            "One complimentary room night per {ratio} paid room nights ({rounding}); unused comps are not "
            "credited."
        ),
        "contract.rebate.per_night": N_("A rebate of {amount} per room night is paid on actual room nights."),
        "contract.rebate.per_night_to": N_(
            "A rebate of {amount} per room night is paid to {payee} on actual room nights."
        ),
        "contract.rebate.pct": N_("A rebate of {pct} of room revenue is paid on actual room nights."),
        "contract.rebate.pct_to": N_(
            "A rebate of {pct} of room revenue is paid to {payee} on actual room nights."
        ),
        "contract.deposit": N_("A deposit of {amount} received on {date} is applied against any damages."),
        "contract.deposit_reference": N_(
            "A deposit of {amount} received on {date} (reference {reference}) is applied against any damages."
        ),
        "contract.payment_terms": N_("An invoice is due {days} days after it is issued."),
    }
)

#: The topics in the order the pages show them.
TOPICS: tuple[str, ...] = (
    "topic.block",
    "topic.attrition",
    "topic.reductions",
    "topic.fnb",
    "topic.rental",
    "topic.cancellation",
    "topic.extras",
    "topic.taxes",
)

_COMPONENT_KINDS = {
    CancellationComponentKind.ROOM_REVENUE: "contract.component.room_revenue",
    CancellationComponentKind.FNB_MINIMUM: "contract.component.fnb_minimum",
    CancellationComponentKind.MEETING_ROOM_RENTAL: "contract.component.meeting_room_rental",
    CancellationComponentKind.OTHER: "contract.component.other",
}


@dataclass(frozen=True, slots=True)
class ContractTerm:
    """One term in words. ``is_default``: the contract left it unset and the documented default applies."""

    topic: Say
    field: str
    text: Say
    is_default: bool = False


def _unset(model: BaseModel, name: str) -> bool:
    return name not in model.model_fields_set


def contract_terms(contract: Contract) -> tuple[ContractTerm, ...]:
    """Every term of ``contract`` in words, grouped by topic in the order of :data:`TOPICS`."""
    found: list[tuple[str, str, Say, bool]] = [
        *_block(contract),
        *_attrition(contract),
        *_reductions(contract),
        *_fnb(contract),
        *_rental(contract),
        *_cancellation(contract),
        *_extras(contract),
        *_taxes_and_payment(contract),
    ]
    topics = {topic: say(topic) for topic in TOPICS}
    return tuple(
        ContractTerm(topics[topic], field, text, is_default) for topic, field, text, is_default in found
    )


def _of(topic: str, term: Term) -> tuple[str, str, Say, bool]:
    return topic, term.name, term.text, term.is_default


def _block(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.block"
    nights = len(contract.nights)
    group, arrival, departure = contract.group.name, contract.arrival_date, contract.departure_date
    room_nights = sum(cell.rooms for cell in contract.block)
    room_types = Items(tuple(contract.room_types), joined=True)
    block = (
        say(
            "contract.block_one_night",
            group=group,
            room_nights=room_nights,
            arrival=arrival,
            departure=departure,
            room_types=room_types,
        )
        if nights == 1
        else say(
            "contract.block",
            group=group,
            room_nights=room_nights,
            nights=nights,
            arrival=arrival,
            departure=departure,
            room_types=room_types,
        )
    )
    rates = sorted({cell.rate.amount for cell in contract.block})
    low, high = Money(rates[0], contract.currency), Money(rates[-1], contract.currency)
    out = [
        (topic, "block", block, False),
        (
            topic,
            "block.rate",
            say("contract.rate", rate=low) if low == high else say("contract.rates", low=low, high=high),
            False,
        ),
    ]
    if contract.signed_date is not None:
        out.append((topic, "signed_date", say("contract.signed", date=contract.signed_date), False))
    if contract.cutoff_date is not None:
        out.append((topic, "cutoff_date", say("contract.cutoff", date=contract.cutoff_date), False))
    else:
        out.append((topic, "cutoff_date", say("contract.no_cutoff"), True))
    if contract.offline_rooms:
        rooms = sum(cell.rooms for cell in contract.offline_rooms)
        out.append((topic, "offline_rooms", say("contract.offline", room_nights=rooms), False))
    return out


def _attrition(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.attrition"
    clause = contract.attrition
    out = [_of(topic, term) for term in attrition_terms(contract)]
    if clause is None:
        return out
    if clause.tiers:
        tiers = Items(
            tuple(
                say(
                    "contract.tier",
                    low=Percent(t.from_pct),
                    high=Percent(t.to_pct),
                    pct=Percent(t.damages_pct),
                )
                if t.to_pct is not None
                else say("contract.tier_open", low=Percent(t.from_pct), pct=Percent(t.damages_pct))
                for t in sorted(clause.tiers, key=lambda tier: tier.from_pct)
            ),
            "; ",
        )
        out.insert(2, (topic, "attrition.tiers", say("contract.tiers", tiers=tiers), False))
    if clause.rebooking_waiver is not None:
        waiver = clause.rebooking_waiver.condition_text("room attrition damages")
        out.append((topic, "attrition.rebooking_waiver", waiver, False))
    # Not a contract term: the engine always applies it (docs/rules.md §3.7).
    out.append((topic, "damages_cap", say("contract.damages_cap"), False))
    return out


def _reductions(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.reductions"
    out: list[tuple[str, str, Say, bool]] = []
    if not contract.reduction_rights:
        out.append((topic, "reduction_rights", say("contract.no_reduction_rights"), True))
    for right in contract.reduction_rights:
        deadline = right.deadline(contract.arrival_date)
        pct = Percent(right.max_pct)
        original = right.basis is ReductionBasis.ORIGINAL
        if right.until_days_before_arrival is None:
            text = say(
                "contract.right.date.original" if original else "contract.right.date.current",
                deadline=deadline,
                pct=pct,
            )
        else:
            text = say(
                "contract.right.days.original" if original else "contract.right.days.current",
                days=right.until_days_before_arrival,
                deadline=deadline,
                pct=pct,
            )
        if right.name:
            text = say("contract.right.named", name=right.name, right=text)
        out.append((topic, "reduction_rights", text, False))
    for reduction in sorted(contract.reductions, key=lambda reduction: reduction.notice_date):
        text = say("contract.reduction", date=reduction.notice_date, room_nights=reduction.room_nights)
        out.append((topic, "reductions", text, False))
    return out


def _days(tier: DayTier) -> Say:
    if tier.max_days is None:
        return say("contract.days_open", days=tier.min_days)
    if tier.min_days == tier.max_days:
        return say("contract.days", days=tier.min_days)
    return say("contract.days_range", low=tier.min_days, high=tier.max_days)


def _fnb(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.fnb"
    clause = contract.fnb
    if clause is None:
        return [(topic, "fnb", say("contract.no_fnb"), False)]
    out = [
        (topic, "fnb.minimum", say("contract.fnb.minimum", minimum=clause.minimum), False),
        *(_of(topic, term) for term in fnb_terms(contract)),
    ]
    if clause.damages_pct_by_notice:
        scale = Items(
            tuple(
                say("contract.days_pct", days=_days(tier), pct=Percent(tier.pct))
                for tier in sorted(clause.damages_pct_by_notice, key=lambda tier: tier.min_days)
            ),
            "; ",
        )
        out.append((topic, "fnb.damages_pct_by_notice", say("contract.fnb.by_notice", scale=scale), False))
    return out


def _rental(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.rental"
    out: list[tuple[str, str, Say, bool]] = []
    if contract.meeting_room_rental is not None:
        out.append(
            (topic, "meeting_room_rental", say("contract.rental", amount=contract.meeting_room_rental), False)
        )
    scale = contract.rental_scale
    if scale is not None:
        by_pickup = scale.basis is ScaleBasis.ROOM_PICKUP_PCT

        def value(amount: Decimal) -> Value:
            return Percent(amount) if by_pickup else Money(amount, contract.currency)

        steps = Items(
            tuple(
                say(
                    "contract.scale_step",
                    low=value(step.from_value),
                    high=value(step.to_value),
                    rental=step.rental,
                )
                if step.to_value is not None
                else say("contract.scale_step_open", low=value(step.from_value), rental=step.rental)
                for step in sorted(scale.steps, key=lambda step: step.from_value)
            ),
            "; ",
        )
        text = (
            say("contract.rental_scale.pickup", steps=steps)
            if by_pickup
            else say("contract.rental_scale.spend", steps=steps)
        )
        out.append((topic, "rental_scale", text, False))
    out.append(_of(topic, stacking_term(contract)))
    return out


def _cancellation(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.cancellation"
    clause = contract.cancellation
    if clause is None:
        return [(topic, "cancellation", say("contract.no_cancellation"), False)]
    parts: list[Value] = []
    for component in clause.base:
        what = (
            say("as_typed", text=component.label)
            if component.label
            else say(_COMPONENT_KINDS[component.kind])
        )
        pct = Percent(component.pct)
        if component.amount is not None:
            parts.append(
                say("contract.component_pct_amount", pct=pct, what=what, amount=component.amount)
                if component.pct != 100
                else say("contract.component_amount", what=what, amount=component.amount)
            )
        else:
            parts.append(say("contract.component_pct", pct=pct, what=what) if component.pct != 100 else what)
    tiers, *rest = (_of(topic, term) for term in cancellation_terms(contract))
    base = say("contract.cancellation.base", parts=Items(tuple(parts), joined=True))
    out = [tiers, (topic, "cancellation.base", base, _unset(clause, "base")), *rest]
    if clause.rebooking_credit is not None:
        credit = clause.rebooking_credit.condition_text("cancellation fee")
        out.append((topic, "cancellation.rebooking_credit", credit, False))
    return out


def _extras(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.extras"
    out: list[tuple[str, str, Say, bool]] = []
    comps = contract.comps
    if comps is not None:
        text = say(
            "contract.comps" if comps.credit_unused_at_group_rate else "contract.comps_not_credited",
            ratio=comps.ratio,
            rounding=comps.rounding,
        )
        out.append((topic, "comps", text, False))
    rebates = contract.rebates
    if rebates is not None:
        payee = rebates.payee
        if rebates.per_room_night is not None:
            amount = rebates.per_room_night
            text = (
                say("contract.rebate.per_night_to", amount=amount, payee=payee)
                if payee
                else say("contract.rebate.per_night", amount=amount)
            )
        else:
            pct = Percent(rebates.pct_of_room_revenue or Decimal(0))
            text = (
                say("contract.rebate.pct_to", pct=pct, payee=payee)
                if payee
                else say("contract.rebate.pct", pct=pct)
            )
        out += [(topic, "rebates", text, False), _of(topic, rebate_term(rebates))]
    for deposit in contract.deposits:
        text = (
            say(
                "contract.deposit_reference",
                amount=deposit.amount,
                date=deposit.received_date,
                reference=deposit.reference,
            )
            if deposit.reference
            else say("contract.deposit", amount=deposit.amount, date=deposit.received_date)
        )
        out.append((topic, "deposits", text, False))
    return out


def _taxes_and_payment(contract: Contract) -> list[tuple[str, str, Say, bool]]:
    topic = "topic.taxes"
    return [
        _of(topic, tax_term(contract)[0]),
        (
            topic,
            "payment_terms_days",
            say("contract.payment_terms", days=contract.payment_terms_days),
            _unset(contract, "payment_terms_days"),
        ),
        _of(topic, rounding_term(contract)),
    ]
