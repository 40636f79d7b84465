"""Room-block attrition: baseline, credited pickup, evaluation, pricing, resale, cap."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from app.engine.actuals import Actuals
from app.engine.contract import (
    AttritionClause,
    BaselineMode,
    CompRounding,
    CompTerms,
    Contract,
    CreditAllocation,
    DamageRateRule,
    DamagesKind,
    EvaluationMode,
    GreaterOfCharge,
    MinimumRounding,
    PickupSource,
    ResaleMode,
    RoomCount,
    ThresholdSemantics,
    derived,
)
from app.engine.errors import ClauseNotComputableError, EngineError
from app.engine.explain import N_, Items, Percent, Say, say, templates
from app.engine.money import Money, fraction, quantity_text, rounded_money
from app.engine.results import LineItem, LineKind, NightResult, RoomSummary, Term

ZERO = Decimal(0)
Cell = tuple[date, str]

templates(
    {
        "attrition.clause": N_("Attrition clause, {mode}"),
        "warning.unpriced.pickup_average": N_(
            "{count} room nights were reported without a rate (shoulder nights or room types outside the "
            "block): they add no revenue to the pickup-weighted average. Give the rate paid to count them."
        ),
        "warning.unpriced.revenue_test": N_(
            "{count} room nights were reported without a rate (shoulder nights or room types outside the "
            "block): they add no revenue to the revenue test. Give the rate paid to count them."
        ),
        "rate.fixed": N_("the fixed damage rate"),
        "rate.lowest": N_("the lowest group rate"),
        "rate.pickup_average": N_("the average rate of credited pickup"),
        "rate.contract": N_("the contract rate"),
        "rate.block_average": N_("the block-weighted average group rate"),
        "warning.no_pickup_to_average": N_(
            "No credited pickup to average: the block-weighted contract rate was used instead of the "
            "pickup-weighted average."
        ),
        "baseline.adjusted": N_("block after valid reductions"),
        "baseline.original": N_("original block"),
        "step.baseline_nights": N_(
            "Baseline ({baseline_label}) = {baseline} room nights over {nights} nights."
        ),
        "step.baseline_nights_contracted": N_(
            "Baseline ({baseline_label}) = {baseline} room nights over {nights} nights "
            "(contracted {contracted})."
        ),
        "step.baseline": N_("Baseline ({baseline_label}) = {baseline} room nights."),
        "step.baseline_contracted": N_(
            "Baseline ({baseline_label}) = {baseline} room nights (contracted {contracted})."
        ),
        "step.credited": N_("Credited pickup = {credited} room nights."),
        "step.credited_shoulder": N_(
            "Credited pickup = {credited} room nights (including {shoulder} shoulder nights)."
        ),
        "step.credited_pooled": N_(
            "Credited pickup = {credited} room nights + {pooled} credited from nights above the block."
        ),
        "label.cumulative": N_("Room attrition (all nights together)"),
        "step.pool": N_(
            "Pickup above the block pooled for short nights: {above} room nights = {pool} ({order})."
        ),
        "step.pool_shoulder": N_(
            "Pickup above the block pooled for short nights: {above} room nights + {shoulder} shoulder "
            "nights = {pool} ({order})."
        ),
        "step.pool_share": N_("{share} credited to {night}."),
        "warning.shoulder_unused": N_(
            "{shoulder} shoulder room nights are credited pickup, but a {mode} test has no block night to "
            "apply them to: they do not reduce the damages."
        ),
        "step.peak": N_(
            "Peak night {night} has the largest baseline: {baseline} rooms; only that night is tested."
        ),
        "step.peak_credited": N_("Credited pickup on the peak night = {credited} room nights."),
        "label.peak": N_("Room attrition (peak night {night})"),
        "step.revenue.blocked": N_("Blocked room revenue ({baseline_label}) = {blocked}."),
        "step.revenue.minimum": N_("Minimum revenue = {pct} × {blocked} = {minimum}."),
        "step.revenue.credited": N_("Credited room revenue = {earned}."),
        "step.revenue.shortfall": N_("Revenue shortfall = {shortfall}."),
        "step.revenue.shortfall_cliff": N_(
            "Revenue shortfall = {shortfall} (cliff: all unused blocked revenue)."
        ),
        "step.revenue.damages": N_("Damages = shortfall × {pct}."),
        "label.revenue": N_("Room attrition (revenue test)"),
        "step.revenue.last_room_sold": N_(
            "Last room sold: the revenue of unused rooms the hotel could not sell is {lost}; damages are at "
            "most {pct} of it."
        ),
        "step.revenue.resold": N_(
            "Resold rooms credited at the rate received, up to the contract rate and to the room revenue "
            "left unused that night: {credit}."
        ),
        "step.greater_of.rooms_pass": N_(
            "The room-night test passes, so the group owes nothing (greater of)."
        ),
        "step.greater_of.revenue_pass": N_(
            "The revenue test passes, so the group owes nothing (greater of)."
        ),
        "step.greater_of.rooms": N_("Both tests fail; the room-night damages apply."),
        "step.greater_of.revenue": N_("Both tests fail; the revenue damages apply."),
        "step.greater_of.lesser": N_("Both tests fail; the lesser of the two damages applies."),
        "step.greater_of.room_test": N_("Room-night test: {steps}"),
        "step.greater_of.room_damages": N_("Room-night damages would be {amount}."),
        "step.greater_of.revenue_test": N_("Revenue test: {steps}"),
        "label.greater_of": N_("Room attrition (room-night and revenue tests)"),
        "step.tiered.pickup": N_("Pickup = {credited} of {baseline} room nights = {pct}."),
        "step.tiered.tier": N_("Tier {low} below {high} → {pct} of blocked room revenue {blocked}."),
        "step.tiered.tier_open": N_("Tier {low} or more → {pct} of blocked room revenue {blocked}."),
        "label.tiered": N_("Room attrition (tiered scale)"),
        "step.last_room_sold": N_(
            "Last room sold: the hotel had {sellable} unsold rooms the group's unused rooms could have "
            "filled; chargeable = min({shortfall}, {sellable}) = {chargeable} room nights."
        ),
        "step.last_room_sold.shared": N_(
            "Last room sold: the hotel had {unsold} unsold rooms, {others} of them charged to other groups "
            "short that night; the group's unused rooms could have filled {sellable} of the rest; "
            "chargeable = min({shortfall}, {sellable}) = {chargeable} room nights."
        ),
        "step.resold": N_("{night}: {rooms} resold rooms × {rate} × {pct}."),
        "resale.clause": N_("Attrition clause, resold rooms credited"),
        "resale.formula": N_("resold room nights × rate received (up to the damage rate) × damages %"),
        "step.credit": N_("Credit = {amount}."),
        "label.night": N_("Room attrition, night of {night}"),
        "step.minimum": N_("Minimum = {pct} × {baseline} = {minimum} room nights."),
        "step.minimum_rounded": N_(
            "Minimum = {pct} × {baseline} = {exact}, {rounding}: {minimum} room nights."
        ),
        "step.pickup_equals": N_("Pickup equals the minimum: no shortfall."),
        "step.pickup_exceeds": N_("Pickup exceeds the minimum: no shortfall."),
        "step.cliff": N_(
            "Pickup is below the minimum (cliff): every unused room night of the baseline is charged, "
            "{baseline} − {credited} = {shortfall}."
        ),
        "step.shortfall": N_("Shortfall = {minimum} − {credited} = {shortfall} room nights."),
        "step.damages": N_("Damages = {quantity} × {price} ({rate_words}) × {pct} = {amount}."),
        "formula.room_nights": N_("unused room nights below the minimum × damage rate × damages %"),
        "formula.revenue": N_("revenue below the minimum × damages %"),
        "formula.greater_of": N_("owed only if both the room-night and revenue tests fail"),
        "formula.tiered": N_("tier % of blocked room revenue"),
        "step.amount": N_("Amount = {amount}."),
        "cap.label": N_("Cap: revenue of the unused, unresold baseline"),
        "cap.clause": N_("Damages cap"),
        "cap.formula": N_("room damages are limited to unused baseline room nights × contract rate"),
        "cap.step": N_(
            "Room damages {total} exceed the revenue of the unused, unresold baseline at the contract rate, "
            "{cap}; they are reduced to it."
        ),
        "step.stricter_of": N_(
            "Stricter of: the test on the {baseline_label} gives {amount}; the larger amount applies."
        ),
        "mode.cumulative": N_("room nights over all nights are added up, so nights offset each other"),
        "mode.per_night": N_("each night is tested on its own; no night offsets another"),
        "mode.per_night_with_credit": N_(
            "each night is tested on its own, and pickup above the block on any night is credited to "
            "short nights"
        ),
        "mode.peak_night": N_("only the peak night (largest block) is tested"),
        "mode.revenue": N_("the test is on room revenue, not room nights"),
        "mode.greater_of": N_("the group passes if either the room-night or the revenue test passes"),
        "mode.tiered": N_("a step table on pickup % gives a % of blocked room revenue"),
        "term.minimum_rounding.ceil": N_("The minimum is rounded up to a whole room night."),
        "term.minimum_rounding.floor": N_("The minimum is rounded down to a whole room night."),
        "term.minimum_rounding.half_up": N_("The minimum is rounded half-up to a whole room night."),
        "term.minimum_rounding.exact": N_("The minimum keeps fractional room nights."),
        "term.rate.contract_rate": N_(
            "Unused room nights are priced at the contract rate (for a cumulative test, the block-weighted "
            "average group rate)."
        ),
        "term.rate.lowest_rate": N_("Unused room nights are priced at the lowest group rate."),
        "term.rate.pickup_weighted_average": N_(
            "Unused room nights are priced at the average rate of credited pickup."
        ),
        "term.rate.fixed": N_("Unused room nights are priced at the fixed rate {rate}."),
        "term.resale.none": N_("No resale credit: liquidated damages carry no duty to mitigate."),
        "term.resale.resold_rooms": N_(
            "Rooms the hotel resold are credited at the rate received, up to the contract rate."
        ),
        "term.resale.last_room_sold": N_(
            "Last room sold: the group pays only for unused rooms the hotel could not sell."
        ),
        "term.baseline.adjusted": N_("Baseline: the block after valid reductions and off-line rooms."),
        "term.baseline.original": N_("Baseline: the original contracted block (less off-line rooms)."),
        "term.baseline.stricter_of": N_(
            "Baseline: both the original and the reduced block are tested; the larger damages apply."
        ),
        "term.no_attrition": N_(
            "The contract has no attrition clause: no room damages are owed for under-use."
        ),
        "term.performance": N_("The group must use {pct} of the baseline (attrition allowance {allowance})."),
        "term.evaluation": N_("Evaluation {mode}: {how}."),
        "term.deductible": N_(
            "Deductible: the group pays only for the room nights between its pickup and the minimum."
        ),
        "term.cliff": N_(
            "Cliff: below the minimum, the group pays for every unused room night of the baseline."
        ),
        "term.pass_if_equal": N_("Pickup exactly at the minimum passes."),
        "term.not_pass_if_equal": N_("Pickup exactly at the minimum does not pass."),
        "term.damages_pct": N_("The group pays {pct} of the lost rate per unused room night."),
        "term.credit.highest_rate_first": N_(
            "Pickup above the block is applied to short nights highest rate first."
        ),
        "term.credit.chronological": N_("Pickup above the block is applied to short nights in date order."),
        "term.credit.pro_rata": N_(
            "Pickup above the block is applied to short nights in proportion to their shortfall."
        ),
        "term.greater_of.lesser": N_("If both tests fail, the lesser damages apply."),
        "term.greater_of.room_nights": N_("If both tests fail, the room-night damages apply."),
        "term.greater_of.revenue": N_("If both tests fail, the revenue damages apply."),
        "term.sources": N_("Counted as pickup: {counted}."),
        "term.sources_not_all": N_("Counted as pickup: {counted}; not counted: {not_counted}."),
        "term.released_count": N_("Rooms released at the cut-off date {cutoff} still count in attrition."),
        "term.released_leave": N_("Rooms released at the cut-off date {cutoff} leave the baseline."),
    }
)


def minimum_room_nights(
    performance_pct: Decimal, baseline_room_nights: Decimal | int, rounding: MinimumRounding
) -> Decimal:
    """``round_min(p · baseline)``: the room nights the group must reach (docs/rules.md §3.4)."""
    exact = fraction(performance_pct) * baseline_room_nights
    if rounding is MinimumRounding.EXACT:
        return exact
    return exact.to_integral_value(_MINIMUM_ROUNDING[rounding])


_MINIMUM_ROUNDING = {
    MinimumRounding.CEIL: ROUND_CEILING,
    MinimumRounding.FLOOR: ROUND_FLOOR,
    MinimumRounding.HALF_UP: ROUND_HALF_UP,
}


def comp_rooms_earned(paid_room_nights: int, terms: CompTerms) -> int:
    """Complimentary room nights earned: one per ``ratio`` paid room nights (docs/rules.md §3.9)."""
    quotient = Decimal(paid_room_nights) / terms.ratio
    mode = ROUND_CEILING if terms.rounding is CompRounding.CEIL else ROUND_FLOOR
    return int(quotient.to_integral_value(rounding=mode))


# --- inputs --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Pickup:
    """Credited pickup, kept by night and source (docs/rules.md §3.2)."""

    by_night: dict[date, int]
    shoulder: int
    by_source: Counter[PickupSource]
    uncredited: int
    revenue_by_night: dict[date, Decimal]
    shoulder_revenue: Decimal
    paid_room_nights: int
    comp_room_nights: int
    room_revenue: Decimal
    #: Credited room nights on block nights that have a rate (the pickup-weighted average uses them).
    priced_by_night: dict[date, int]
    #: Credited room nights with no rate: shoulder nights or room types outside the block, given
    #: without the rate paid. They add no revenue, which the revenue tests say in a warning.
    unpriced_credited: int
    #: Paid room nights with no rate: they add nothing to room revenue (for a % of revenue rebate).
    unpriced_paid: int


@dataclass(slots=True)
class Block:
    """Baseline rooms per cell and the contract rate of each cell, with per-night totals."""

    nights: tuple[date, ...]
    rooms: Mapping[Cell, int]
    rates: Mapping[Cell, Decimal]
    by_night_rooms: dict[date, int] = field(init=False)
    by_night_revenue: dict[date, Decimal] = field(init=False)
    by_night_rates: dict[date, list[Decimal]] = field(init=False)
    night_rates: dict[date, Decimal] = field(init=False)
    night_prices: dict[date, Money] = field(init=False)
    total_rooms: int = field(init=False)

    def __post_init__(self) -> None:
        # Computed once: every test and rate lookup reads these per-night sums.
        by_night_rooms = self.by_night_rooms = dict.fromkeys(self.nights, 0)
        by_night_revenue = self.by_night_revenue = dict.fromkeys(self.nights, ZERO)
        by_night_rates: dict[date, list[Decimal]] = {night: [] for night in self.nights}
        self.by_night_rates = by_night_rates
        self.night_rates = {}
        self.night_prices = {}
        rates = self.rates
        for cell, rooms in self.rooms.items():
            night = cell[0]
            rate = rates[cell]
            by_night_rooms[night] += rooms
            by_night_revenue[night] += rooms * rate
            by_night_rates[night].append(rate)
        self.total_rooms = sum(by_night_rooms.values())

    def total(self) -> int:
        return self.total_rooms

    def revenue(self, nights: Iterable[date] | None = None) -> Decimal:
        wanted = self.nights if nights is None else nights
        return sum((self.by_night_revenue[night] for night in wanted), ZERO)

    def contract_rate(self, nights: Iterable[date] | None = None) -> Decimal:
        """Block-weighted average group rate over ``nights`` (docs/rules.md §3.5)."""
        wanted = tuple(self.nights if nights is None else nights)
        rooms = sum(self.by_night_rooms[night] for night in wanted)
        if rooms:
            return self.revenue(wanted) / rooms
        rates = [rate for night in wanted for rate in self.by_night_rates[night]]
        return sum(rates, ZERO) / len(rates)

    def night_rate(self, night: date) -> Decimal:
        """``contract_rate((night,))``, kept: the tests, the damage rates and the cap all read it."""
        rate = self.night_rates.get(night)
        if rate is None:
            rooms = self.by_night_rooms[night]
            # ``contract_rate((night,))`` written out for a night with rooms: the same operations.
            rate = (ZERO + self.by_night_revenue[night]) / rooms if rooms else self.contract_rate((night,))
            self.night_rates[night] = rate
        return rate

    def night_price(self, night: date, currency: str) -> Money:
        """``night_rate(night)`` rounded to the currency's minor unit, as lines show it; kept."""
        price = self.night_prices.get(night)
        if price is None:
            price = self.night_prices[night] = rounded_money(self.night_rate(night), currency)
        return price

    def lowest_rate(self, nights: Iterable[date] | None = None) -> Decimal:
        wanted = self.nights if nights is None else nights
        return min(rate for night in wanted for rate in self.by_night_rates[night])


_ALL_SOURCES = frozenset(PickupSource)


def collect_pickup(contract: Contract, actuals: Actuals, clause: AttritionClause | None) -> Pickup:
    """Credited pickup per night; each room night keeps its source (docs/rules.md §3.2)."""
    nights = derived(contract, "_night_set", lambda: frozenset(contract.nights))
    rates = contract.block_rates
    by_night: dict[date, int] = {}
    priced_by_night: dict[date, int] = {}
    revenue_by_night: dict[date, Decimal] = {}
    by_source: Counter[PickupSource] = Counter()
    shoulder = uncredited = paid = comps = unpriced_credited = unpriced_paid = 0
    shoulder_revenue = room_revenue = ZERO
    credited_sources = clause.credited_sources.credited if clause else _ALL_SOURCES
    comp_source, shoulder_source = PickupSource.COMP, PickupSource.SHOULDER
    no_revenue = Decimal()  # what a night's revenue starts from
    for index, entry in enumerate(actuals.pickup):
        night, source, room_nights, paid_rate = entry.night, entry.source, entry.room_nights, entry.rate
        in_block = night in nights
        if not in_block and source is not shoulder_source:
            raise EngineError(
                f"{night} is not a night of the block; "
                "pickup before or after the block has source 'shoulder'",
                field=f"actuals.pickup[{index}].night",
            )
        rate = paid_rate.amount if paid_rate is not None else rates.get((night, entry.room_type))
        revenue = ZERO if rate is None else room_nights * rate
        if source is comp_source:
            comps += room_nights
        else:
            paid += room_nights
            room_revenue += revenue
            if rate is None:
                unpriced_paid += room_nights
        if source not in credited_sources:
            uncredited += room_nights
            continue
        by_source[source] += room_nights
        if rate is None:
            unpriced_credited += room_nights
        if in_block:
            by_night[night] = by_night.get(night, 0) + room_nights
            revenue_by_night[night] = revenue_by_night.get(night, no_revenue) + revenue
            if rate is not None:
                priced_by_night[night] = priced_by_night.get(night, 0) + room_nights
        else:
            shoulder += room_nights
            shoulder_revenue += revenue
    return Pickup(
        by_night=by_night,
        shoulder=shoulder,
        by_source=by_source,
        uncredited=uncredited,
        revenue_by_night=revenue_by_night,
        shoulder_revenue=shoulder_revenue,
        paid_room_nights=paid,
        comp_room_nights=comps,
        room_revenue=room_revenue,
        priced_by_night=priced_by_night,
        unpriced_credited=unpriced_credited,
        unpriced_paid=unpriced_paid,
    )


def block_after(
    contract: Contract,
    actuals: Actuals,
    as_of: date,
    *,
    with_reductions: bool,
    release_at_cutoff: bool,
) -> Block:
    """The baseline grid: contracted block, less off-line rooms, less valid reductions (§3.1)."""
    if not with_reductions and not release_at_cutoff:
        # The contract alone decides this grid: build it once per contract.
        return derived(contract, "_original_block", lambda: _block(contract, None))
    return _block(
        contract,
        as_of if with_reductions else None,
        actuals.cutoff_pickup if release_at_cutoff else None,
    )


def _block(
    contract: Contract, notified_by: date | None, cutoff_pickup: tuple[RoomCount, ...] | None = None
) -> Block:
    rooms = contract.rooms_after_reductions(notified_by)
    for offline in contract.offline_rooms:
        key = (offline.night, offline.room_type)
        rooms[key] = max(0, rooms[key] - offline.rooms)
    if cutoff_pickup is not None:
        if not cutoff_pickup:
            raise ClauseNotComputableError(
                "released rooms do not count, so the pickup on the cut-off date is needed",
                field="actuals.cutoff_pickup",
            )
        at_cutoff: dict[Cell, int] = defaultdict(int)
        for entry in cutoff_pickup:
            at_cutoff[(entry.night, entry.room_type)] += entry.rooms
        rooms = {key: min(value, at_cutoff.get(key, 0)) for key, value in rooms.items()}
    return Block(contract.nights, rooms, contract.block_rates)


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(slots=True)
class NightTest:
    night: date
    block: int
    baseline: int
    minimum: Decimal
    credited: Decimal
    shortfall: Decimal = ZERO
    chargeable: Decimal = ZERO
    rate: Decimal = ZERO
    credit_applied: Decimal = ZERO
    #: ``rate`` rounded to the minor unit, once a line has shown it.
    price: Money | None = None


@dataclass(slots=True)
class RoomOutcome:
    lines: list[LineItem]
    summary: RoomSummary
    exact_total: Decimal


class RoomAttrition:
    """Evaluates one baseline under one attrition clause."""

    def __init__(
        self,
        contract: Contract,
        actuals: Actuals,
        clause: AttritionClause,
        block: Block,
        original: Block,
        pickup: Pickup,
        baseline_label: Say,
        warnings: list[Say],
    ) -> None:
        self.contract = contract
        self.actuals = actuals
        self.clause = clause
        self.block = block
        self.original = original
        self.pickup = pickup
        self.baseline_label = baseline_label
        self.warnings = warnings
        self.currency = contract.currency
        self.p = fraction(clause.performance_pct)
        self.d = fraction(clause.damages_pct)
        # Words repeated on every line, worked out once.
        self.damages_words = Percent(clause.damages_pct)
        self.damages_input = quantity_text(clause.damages_pct)
        self.clause_words = say("attrition.clause", mode=clause.evaluation_mode)
        self.is_cliff = clause.threshold_semantics is ThresholdSemantics.CLIFF
        self.passes_if_equal = clause.pass_if_equal
        self.inventory = {report.night: report for report in actuals.inventory}
        # The same nights and baselines come back on every assessment of a contract: keep their words.
        self.words: dict[tuple[object, ...], Say] = derived(contract, "_room_words", dict)

    # -- rates ------------------------------------------------------------------------------
    def damage_rate(self, nights: tuple[date, ...]) -> tuple[Decimal, Say]:
        rule = self.clause.damage_rate_rule
        if rule is DamageRateRule.FIXED:
            assert self.clause.fixed_rate is not None
            return self.clause.fixed_rate.amount, say("rate.fixed")
        if rule is DamageRateRule.LOWEST_RATE:
            return self.original.lowest_rate(nights), say("rate.lowest")
        if rule is DamageRateRule.PICKUP_WEIGHTED_AVERAGE:
            rooms = sum(self.pickup.priced_by_night.get(n, 0) for n in nights)
            revenue = sum((self.pickup.revenue_by_night.get(n, ZERO) for n in nights), ZERO)
            if self.pickup.unpriced_credited:
                self.warnings.append(
                    say("warning.unpriced.pickup_average", count=self.pickup.unpriced_credited)
                )
            if rooms:
                return revenue / rooms, say("rate.pickup_average")
            self.warnings.append(say("warning.no_pickup_to_average"))
        if len(nights) == 1:
            return self.block.night_rate(nights[0]), say("rate.contract")
        return self.block.contract_rate(nights), say("rate.block_average")

    # -- the test ---------------------------------------------------------------------------
    def minimum(self, baseline: int) -> Decimal:
        return minimum_room_nights(self.clause.performance_pct, baseline, self.clause.minimum_rounding)

    def fails(self, credited: Decimal, minimum: Decimal) -> bool:
        return credited < minimum or (credited == minimum and not self.passes_if_equal)

    def shortfall(self, baseline: Decimal, minimum: Decimal, credited: Decimal) -> Decimal:
        if not self.fails(credited, minimum):
            return ZERO
        if self.is_cliff:
            return max(ZERO, baseline - credited)
        return max(ZERO, minimum - credited)

    def night_tests(self) -> list[NightTest]:
        baselines = self.block.by_night_rooms
        contracted = self.original.by_night_rooms
        credited = self.pickup.by_night
        minimum = self.minimum
        return [
            NightTest(
                night,
                contracted[night],
                baselines[night],
                minimum(baselines[night]),
                Decimal(credited.get(night, 0)),
            )
            for night in self.block.nights
        ]

    def unused(self, test: NightTest) -> Decimal:
        return max(ZERO, test.baseline - test.credited)

    def evaluate(self) -> RoomOutcome:
        mode = self.clause.evaluation_mode
        if mode is EvaluationMode.CUMULATIVE:
            return self.cumulative()
        if mode in (EvaluationMode.PER_NIGHT, EvaluationMode.PER_NIGHT_WITH_CREDIT):
            return self.per_night(with_credit=mode is EvaluationMode.PER_NIGHT_WITH_CREDIT)
        if mode is EvaluationMode.PEAK_NIGHT:
            return self.peak_night()
        if mode is EvaluationMode.REVENUE:
            return self.revenue()
        if mode is EvaluationMode.GREATER_OF:
            return self.greater_of()
        return self.tiered()

    # -- room-night modes --------------------------------------------------------------------
    def cumulative(self) -> RoomOutcome:
        tests = self.night_tests()
        baseline = self.block.total()
        credited = Decimal(sum(self.pickup.by_night.values()) + self.pickup.shoulder)
        minimum = self.minimum(baseline)
        shortfall = self.shortfall(Decimal(baseline), minimum, credited)
        rate, rate_words = self.damage_rate(self.block.nights)
        steps = [
            say(
                "step.baseline_nights",
                baseline_label=self.baseline_label,
                baseline=baseline,
                nights=len(tests),
            )
            if self.original.total() == baseline
            else say(
                "step.baseline_nights_contracted",
                baseline_label=self.baseline_label,
                baseline=baseline,
                nights=len(tests),
                contracted=self.original.total(),
            ),
            self.minimum_step(baseline, minimum),
            say("step.credited_shoulder", credited=credited, shoulder=self.pickup.shoulder)
            if self.pickup.shoulder
            else say("step.credited", credited=credited),
            self.shortfall_step(Decimal(baseline), minimum, credited, shortfall),
        ]
        unused_by_night = {t.night: self.unused(t) for t in tests}
        chargeable, resale_steps = self.chargeable_after_resale(shortfall, unused_by_night)
        steps += resale_steps
        for test in tests:
            test.rate = self.block.night_rate(test.night)
        lines: list[LineItem] = []
        exact = chargeable * rate * self.d
        lines.append(
            self.room_line(
                label=say("label.cumulative"),
                night=None,
                room_nights=chargeable,
                rate=rate,
                rate_words=rate_words,
                steps=steps,
                exact=exact,
            )
        )
        lines += self.resold_credit(shortfall, unused_by_night, rate, exact)
        summary = self.summary(tests, minimum, shortfall, chargeable)
        return RoomOutcome(lines, summary, sum((line.amount.amount for line in lines), ZERO))

    def per_night(self, *, with_credit: bool) -> RoomOutcome:
        tests = self.night_tests()
        if self.clause.damage_rate_rule is DamageRateRule.CONTRACT_RATE:
            block, currency = self.block, self.currency
            for test in tests:
                test.rate = block.night_rate(test.night)
                test.price = block.night_price(test.night, currency)
        else:
            for test in tests:
                test.rate = self.damage_rate((test.night,))[0]
        pool_steps: list[Say] = []
        if with_credit:
            pool_steps = self.apply_credit_pool(tests)
        else:
            self.warn_unused_shoulder()
        shortfall_of = self.shortfall
        for test in tests:
            baseline = Decimal(test.baseline)
            shortfall = shortfall_of(baseline, test.minimum, test.credited + test.credit_applied)
            test.shortfall = min(shortfall, baseline)  # nightly cap
        lines = self.per_night_lines(tests, pool_steps)
        shortfall = chargeable = minimum = ZERO
        for test in tests:
            shortfall += test.shortfall
            chargeable += test.chargeable
            minimum += test.minimum
        summary = self.summary(tests, minimum, shortfall, chargeable)
        return RoomOutcome(lines, summary, sum((line.amount.amount for line in lines), ZERO))

    def per_night_lines(self, tests: list[NightTest], pool_steps: list[Say]) -> list[LineItem]:
        lines: list[LineItem] = []
        rate_words = self.damage_rate_words()
        last_room_sold = self.clause.resale_mode is ResaleMode.LAST_ROOM_SOLD
        currency = self.currency
        for index, test in enumerate(tests):
            credited = test.credited + test.credit_applied
            resale_steps: list[Say] = []
            chargeable = test.shortfall
            if last_room_sold:
                chargeable, resale_steps = self.chargeable_after_resale(
                    test.shortfall, {test.night: self.unused_after(test)}
                )
            test.chargeable = chargeable
            steps = [
                self.baseline_step(test.baseline, test.block),
                self.minimum_step(test.baseline, test.minimum),
                say("step.credited_pooled", credited=test.credited, pooled=test.credit_applied)
                if test.credit_applied
                else say("step.credited", credited=test.credited),
                self.shortfall_step(Decimal(test.baseline), test.minimum, credited, test.shortfall),
                *resale_steps,
            ]
            if index == 0:
                steps = pool_steps + steps
            if test.price is None:
                test.price = rounded_money(test.rate, currency)
            lines.append(
                self.room_line(
                    label=self.night_label(test.night),
                    night=test.night,
                    room_nights=chargeable,
                    rate=test.rate,
                    rate_words=rate_words,
                    steps=steps,
                    exact=chargeable * test.rate * self.d,
                    price=test.price,
                )
            )
        lines += self.resold_credit_per_night(tests)
        return lines

    def unused_after(self, test: NightTest) -> Decimal:
        return max(ZERO, test.baseline - test.credited - test.credit_applied)

    def apply_credit_pool(self, tests: list[NightTest]) -> list[Say]:
        """Pool pickup above the block and apply it to short nights (docs/rules.md §3.3)."""
        above = sum((max(ZERO, t.credited - t.baseline) for t in tests), ZERO)
        pool = above + self.pickup.shoulder
        deficits = {t.night: self.deficit(t) for t in tests if self.fails(t.credited, t.minimum)}
        order = self.clause.credit_allocation
        steps = [
            say("step.pool_shoulder", above=above, shoulder=self.pickup.shoulder, pool=pool, order=order)
            if self.pickup.shoulder
            else say("step.pool", above=above, pool=pool, order=order)
        ]
        if not pool or not deficits:
            return steps
        need = sum(deficits.values(), ZERO)
        by_night = {t.night: t for t in tests}
        if order is CreditAllocation.PRO_RATA and pool < need:
            shares = self.pro_rata(pool, deficits)
        else:
            nights = sorted(deficits)
            if order is CreditAllocation.HIGHEST_RATE_FIRST:
                nights.sort(key=lambda n: by_night[n].rate, reverse=True)
            shares = {}
            left = pool
            for night in nights:
                shares[night] = min(left, deficits[night])
                left -= shares[night]
        for night, share in shares.items():
            by_night[night].credit_applied = share
            if share:
                steps.append(say("step.pool_share", share=share, night=night))
        return steps

    def deficit(self, test: NightTest) -> Decimal:
        """Pooled room nights a failing night needs so that it owes nothing.

        A deductible night owes nothing once it reaches its minimum. A cliff night must pass, and
        with ``pass_if_equal`` off passing means getting above the minimum: one whole room night
        more than the gap.
        """
        gap = test.minimum - test.credited
        if self.clause.pass_if_equal or not self.is_cliff:
            return gap
        return gap.to_integral_value(rounding=ROUND_FLOOR) + 1

    def pro_rata(self, pool: Decimal, deficits: dict[date, Decimal]) -> dict[date, Decimal]:
        need = sum(deficits.values(), ZERO)
        exact = {n: pool * d / need for n, d in deficits.items()}
        if self.clause.minimum_rounding is MinimumRounding.EXACT:
            return exact
        # Largest remainder: whole room nights that add up to the pool exactly.
        # The pool is whole room nights, so the floors leave fewer whole room nights than nights.
        floors = {n: v.to_integral_value(rounding=ROUND_FLOOR) for n, v in exact.items()}
        left = int(pool - sum(floors.values(), ZERO))
        for night in sorted(exact, key=lambda n: (-(exact[n] - floors[n]), n))[:left]:
            floors[night] += 1
        return floors

    def warn_unused_shoulder(self) -> None:
        """Shoulder nights are credited pickup (docs/rules.md §3.2), but a night-by-night test has no
        night to put them on: say so rather than drop them silently."""
        if self.pickup.shoulder:
            self.warnings.append(
                say(
                    "warning.shoulder_unused", shoulder=self.pickup.shoulder, mode=self.clause.evaluation_mode
                )
            )

    def peak_night(self) -> RoomOutcome:
        tests = self.night_tests()
        self.warn_unused_shoulder()
        peak = max(tests, key=lambda t: (t.baseline, -t.night.toordinal()))
        peak.rate, rate_words = self.damage_rate((peak.night,))
        peak.shortfall = self.shortfall(Decimal(peak.baseline), peak.minimum, peak.credited)
        chargeable, resale_steps = self.chargeable_after_resale(
            peak.shortfall, {peak.night: self.unused(peak)}
        )
        peak.chargeable = chargeable
        steps = [
            say("step.peak", night=peak.night, baseline=peak.baseline),
            self.minimum_step(peak.baseline, peak.minimum),
            say("step.peak_credited", credited=peak.credited),
            self.shortfall_step(Decimal(peak.baseline), peak.minimum, peak.credited, peak.shortfall),
            *resale_steps,
        ]
        lines = [
            self.room_line(
                label=say("label.peak", night=peak.night),
                night=peak.night,
                room_nights=chargeable,
                rate=peak.rate,
                rate_words=rate_words,
                steps=steps,
                exact=chargeable * peak.rate * self.d,
            )
        ]
        lines += self.resold_credit_per_night([peak])
        for test in tests:
            if test is not peak:
                test.minimum = ZERO
        summary = self.summary(tests, peak.minimum, peak.shortfall, chargeable)
        return RoomOutcome(lines, summary, sum((line.amount.amount for line in lines), ZERO))

    # -- revenue modes -----------------------------------------------------------------------
    def credited_revenue(self) -> Decimal:
        return sum(self.pickup.revenue_by_night.values(), ZERO) + self.pickup.shoulder_revenue

    def revenue_test(self) -> tuple[Decimal, list[Say], Decimal]:
        """Exact revenue damages before resale, the working, and the revenue shortfall."""
        blocked = self.block.revenue()
        minimum = self.p * blocked
        earned = self.credited_revenue()
        if self.pickup.unpriced_credited:
            self.warnings.append(say("warning.unpriced.revenue_test", count=self.pickup.unpriced_credited))
        failed = earned < minimum or (earned == minimum and not self.clause.pass_if_equal)
        if not failed:
            shortfall = ZERO
        elif self.clause.threshold_semantics is ThresholdSemantics.CLIFF:
            shortfall = max(ZERO, blocked - earned)
        else:
            shortfall = minimum - earned
        cur = self.currency
        steps = [
            say("step.revenue.blocked", baseline_label=self.baseline_label, blocked=Money(blocked, cur)),
            say(
                "step.revenue.minimum",
                pct=Percent(self.clause.performance_pct),
                blocked=Money(blocked, cur),
                minimum=Money(minimum, cur),
            ),
            say("step.revenue.credited", earned=Money(earned, cur)),
            say("step.revenue.shortfall_cliff", shortfall=Money(shortfall, cur))
            if failed and self.is_cliff
            else say("step.revenue.shortfall", shortfall=Money(shortfall, cur)),
        ]
        return shortfall * self.d, steps, shortfall

    def revenue(self) -> RoomOutcome:
        tests = self.night_tests()
        exact, steps, shortfall = self.revenue_test()
        exact, resale_steps = self.revenue_resale(exact, tests)
        steps += resale_steps
        steps.append(say("step.revenue.damages", pct=Percent(self.clause.damages_pct)))
        line = self.money_line(say("label.revenue"), steps, exact)
        summary = self.summary(tests, self.minimum(self.block.total()), ZERO, ZERO, passed=shortfall == 0)
        return RoomOutcome([line], summary, line.amount.amount)

    def revenue_resale(self, exact: Decimal, tests: list[NightTest]) -> tuple[Decimal, list[Say]]:
        mode = self.clause.resale_mode
        if mode is ResaleMode.NONE or exact == 0:
            return exact, []
        cur = self.currency
        if mode is ResaleMode.LAST_ROOM_SOLD:
            lost = ZERO
            for test in tests:
                unsold = self.unsold(test.night, self.unused(test))
                lost += min(self.unused(test), unsold) * self.block.night_rate(test.night)
            capped = min(exact, lost * self.d)
            return capped, [
                say(
                    "step.revenue.last_room_sold", lost=Money(lost, cur), pct=Percent(self.clause.damages_pct)
                )
            ]
        # A revenue test has no room count to pair resold rooms with, so each night's credit is
        # capped by the room revenue the group left unused that night: a room picked up for q then
        # takes at most q off the credit, as it takes q off the shortfall.
        credit = ZERO
        for test in tests:
            report = self.inventory.get(test.night)
            if report is None or not report.resold_rooms:
                continue
            assert report.resold_rate is not None
            night = (test.night,)
            resold = report.resold_rooms * min(report.resold_rate.amount, self.block.contract_rate(night))
            unused = max(ZERO, self.block.revenue(night) - self.pickup.revenue_by_night.get(test.night, ZERO))
            credit += min(resold, unused)
        credit = min(exact, credit * self.d)
        return exact - credit, [say("step.revenue.resold", credit=Money(credit, cur))]

    def greater_of(self) -> RoomOutcome:
        rooms = self.cumulative()
        revenue = self.revenue()
        rooms_amount, revenue_amount = rooms.exact_total, revenue.exact_total
        passed_rooms = not self.fails(
            Decimal(rooms.summary.credited_room_nights), rooms.summary.minimum_room_nights
        )
        # The revenue test passes on the revenue shortfall, not on the damages left after resale.
        passed_revenue = revenue.summary.is_passed
        charge = self.clause.greater_of_charge
        if passed_rooms or passed_revenue:
            verdict = say("step.greater_of.rooms_pass" if passed_rooms else "step.greater_of.revenue_pass")
            chosen = ZERO
        elif charge is GreaterOfCharge.ROOM_NIGHTS:
            verdict, chosen = say("step.greater_of.rooms"), rooms_amount
        elif charge is GreaterOfCharge.REVENUE:
            verdict, chosen = say("step.greater_of.revenue"), revenue_amount
        else:
            chosen = min(rooms_amount, revenue_amount)
            verdict = say("step.greater_of.lesser")
        steps = [
            say("step.greater_of.room_test", steps=Items(rooms.lines[0].steps, " ")),
            say("step.greater_of.room_damages", amount=Money(rooms_amount, self.currency)),
            say("step.greater_of.revenue_test", steps=Items(revenue.lines[0].steps, " ")),
            verdict,
        ]
        line = self.money_line(say("label.greater_of"), steps, chosen)
        summary = replace(rooms.summary, is_passed=passed_rooms or passed_revenue)
        return RoomOutcome([line], summary, line.amount.amount)

    def tiered(self) -> RoomOutcome:
        tests = self.night_tests()
        baseline = self.block.total()
        credited = Decimal(sum(self.pickup.by_night.values()) + self.pickup.shoulder)
        pickup_pct = credited * 100 / baseline if baseline else Decimal(100)
        tier = next(
            t
            for t in self.clause.tiers
            if t.from_pct <= pickup_pct and (t.to_pct is None or pickup_pct < t.to_pct)
        )
        blocked = self.block.revenue()
        exact = fraction(tier.damages_pct) * blocked
        blocked_money = Money(blocked, self.currency)
        steps = [
            say(
                "step.tiered.pickup",
                credited=credited,
                baseline=baseline,
                pct=Percent(pickup_pct.quantize(Decimal("0.01"))),
            ),
            say(
                "step.tiered.tier",
                low=Percent(tier.from_pct),
                high=Percent(tier.to_pct),
                pct=Percent(tier.damages_pct),
                blocked=blocked_money,
            )
            if tier.to_pct is not None
            else say(
                "step.tiered.tier_open",
                low=Percent(tier.from_pct),
                pct=Percent(tier.damages_pct),
                blocked=blocked_money,
            ),
        ]
        line = self.money_line(say("label.tiered"), steps, exact)
        summary = self.summary(tests, self.minimum(baseline), ZERO, ZERO, passed=exact == 0)
        return RoomOutcome([line], summary, line.amount.amount)

    # -- resale ------------------------------------------------------------------------------
    def unsold(self, night: date, unused: Decimal) -> Decimal:
        report = self.inventory.get(night)
        if report is None or report.unsold_rooms is None:
            if unused == 0:
                return ZERO
            raise ClauseNotComputableError(
                f"last-room-sold resale needs the hotel's unsold rooms on {night.isoformat()}",
                field="actuals.inventory",
            )
        return Decimal(max(0, report.unsold_rooms - report.other_groups_charged_rooms))

    def chargeable_after_resale(
        self, shortfall: Decimal, unused_by_night: dict[date, Decimal]
    ) -> tuple[Decimal, list[Say]]:
        """Room nights charged after last-room-sold resale (docs/rules.md §3.6)."""
        if self.clause.resale_mode is not ResaleMode.LAST_ROOM_SOLD or shortfall == 0:
            return shortfall, []
        sellable = sum(
            (min(unused, self.unsold(night, unused)) for night, unused in unused_by_night.items()),
            ZERO,
        )
        chargeable = min(shortfall, sellable)
        # Rooms other groups short that night were charged for are said as such, with the hotel's whole
        # unsold count (docs/rules.md §3.6): "20 unsold, 10 of them charged to other groups".
        unsold = others = 0
        for night in unused_by_night:
            report = self.inventory.get(night)
            if report is not None and report.unsold_rooms is not None:
                unsold += report.unsold_rooms
                others += min(report.unsold_rooms, report.other_groups_charged_rooms)
        if others:
            return chargeable, [
                say(
                    "step.last_room_sold.shared",
                    unsold=unsold,
                    others=others,
                    sellable=sellable,
                    shortfall=shortfall,
                    chargeable=chargeable,
                )
            ]
        return chargeable, [
            say("step.last_room_sold", sellable=sellable, shortfall=shortfall, chargeable=chargeable)
        ]

    def resold_credit(
        self,
        shortfall: Decimal,
        unused_by_night: dict[date, Decimal],
        rate: Decimal,
        charge: Decimal,
    ) -> list[LineItem]:
        """Resold rooms credited at the rate received, up to the damage rate (docs/rules.md §3.6).

        ``charge`` is the exact room damages the credit is taken from.
        """
        if self.clause.resale_mode is not ResaleMode.RESOLD_ROOMS or shortfall == 0:
            return []
        offers = []
        for night, unused in unused_by_night.items():
            report = self.inventory.get(night)
            if report is None or not report.resold_rooms or not unused:
                continue  # a night without unused rooms resold nothing of the group's
            assert report.resold_rate is not None
            offers.append(
                (min(report.resold_rate.amount, rate), min(Decimal(report.resold_rooms), unused), night)
            )
        offers.sort(key=lambda offer: offer[0], reverse=True)
        left = shortfall
        credit = ZERO
        steps: list[Say] = []
        for value, rooms, night in offers:
            if left <= 0:
                break
            used = min(rooms, left)
            left -= used
            credit += used * value * self.d
            steps.append(
                say(
                    "step.resold",
                    night=night,
                    rooms=used,
                    rate=Money(value, self.currency),
                    pct=self.damages_words,
                )
            )
        return self.credit_lines([(charge, credit)], steps)

    def resold_credit_per_night(self, tests: list[NightTest]) -> list[LineItem]:
        if self.clause.resale_mode is not ResaleMode.RESOLD_ROOMS:
            return []
        pairs = []
        steps: list[Say] = []
        for test in tests:
            report = self.inventory.get(test.night)
            if not test.chargeable or report is None or not report.resold_rooms:
                continue
            assert report.resold_rate is not None
            rooms = min(Decimal(report.resold_rooms), test.chargeable, self.unused_after(test))
            value = min(report.resold_rate.amount, test.rate)
            pairs.append((test.chargeable * test.rate * self.d, rooms * value * self.d))
            steps.append(
                say(
                    "step.resold",
                    night=test.night,
                    rooms=rooms,
                    rate=Money(value, self.currency),
                    pct=self.damages_words,
                )
            )
        return self.credit_lines(pairs, steps)

    def credit_lines(self, pairs: list[tuple[Decimal, Decimal]], steps: list[Say]) -> list[LineItem]:
        """One resale credit line for (exact charge, exact credit) pairs, or none if it is nothing.

        Each charge less its credit is rounded once, and the credit line is what that takes off the
        rounded charge: rounding the charge and the credit apart could leave a cent more owed
        after more pickup.
        """
        rounding = self.contract.money_rounding
        amount = sum(
            (
                Money(charge, self.currency).rounded(rounding)
                - Money(charge - credit, self.currency).rounded(rounding)
                for charge, credit in pairs
            ),
            Money.zero(self.currency),
        )
        if amount.is_zero():
            return []
        return [
            LineItem(
                kind=LineKind.RESALE_CREDIT,
                label=say("resale.label"),
                clause=say("resale.clause"),
                formula=say("resale.formula"),
                inputs=(),
                steps=(*steps, say("step.credit", amount=amount)),
                amount=-amount,
                damages_kind=DamagesKind.ROOM_ATTRITION,
            )
        ]

    # -- lines and words ---------------------------------------------------------------------
    def damage_rate_words(self) -> Say:
        return say(
            {
                DamageRateRule.CONTRACT_RATE: "rate.contract",
                DamageRateRule.LOWEST_RATE: "rate.lowest",
                DamageRateRule.PICKUP_WEIGHTED_AVERAGE: "rate.pickup_average",
                DamageRateRule.FIXED: "rate.fixed",
            }[self.clause.damage_rate_rule]
        )

    def minimum_step(self, baseline: int, minimum: Decimal) -> Say:
        key = ("minimum", baseline, minimum)
        text = self.words.get(key)
        if text is None:
            text = self.words[key] = self._minimum_step(baseline, minimum)
        return text

    def baseline_step(self, baseline: int, contracted: int) -> Say:
        key = ("baseline", self.baseline_label, baseline, contracted)
        text = self.words.get(key)
        if text is None:
            text = self.words[key] = (
                say("step.baseline", baseline_label=self.baseline_label, baseline=baseline)
                if contracted == baseline
                else say(
                    "step.baseline_contracted",
                    baseline_label=self.baseline_label,
                    baseline=baseline,
                    contracted=contracted,
                )
            )
        return text

    def night_label(self, night: date) -> Say:
        key = ("label", night)
        text = self.words.get(key)
        if text is None:
            text = self.words[key] = say("label.night", night=night)
        return text

    def _minimum_step(self, baseline: int, minimum: Decimal) -> Say:
        exact = self.p * baseline
        rounding = self.clause.minimum_rounding
        pct = Percent(self.clause.performance_pct)
        if rounding is MinimumRounding.EXACT or exact == minimum:
            return say("step.minimum", pct=pct, baseline=baseline, minimum=minimum)
        return say(
            "step.minimum_rounded",
            pct=pct,
            baseline=baseline,
            exact=exact,
            rounding=rounding,
            minimum=minimum,
        )

    def shortfall_step(
        self, baseline: Decimal, minimum: Decimal, credited: Decimal, shortfall: Decimal
    ) -> Say:
        if not self.fails(credited, minimum):
            return say("step.pickup_equals" if credited == minimum else "step.pickup_exceeds")
        if self.is_cliff:
            return say("step.cliff", baseline=baseline, credited=credited, shortfall=shortfall)
        return say("step.shortfall", minimum=minimum, credited=credited, shortfall=shortfall)

    def room_line(
        self,
        *,
        label: Say,
        night: date | None,
        room_nights: Decimal,
        rate: Decimal,
        rate_words: Say,
        steps: list[Say],
        exact: Decimal,
        price: Money | None = None,
    ) -> LineItem:
        if price is None:
            price = rounded_money(rate, self.currency)
        amount = rounded_money(exact, self.currency, self.contract.money_rounding)
        quantity = quantity_text(room_nights)
        steps.append(
            say(
                "step.damages",
                quantity=room_nights,
                price=price,
                rate_words=rate_words,
                pct=self.damages_words,
                amount=amount,
            )
        )
        return LineItem(
            kind=LineKind.ROOM_ATTRITION,
            label=label,
            clause=self.clause_words,
            formula=say("formula.room_nights"),
            inputs=(
                ("room_nights", quantity),
                ("damage_rate", str(price.amount)),
                ("damages_pct", self.damages_input),
            ),
            steps=tuple(steps),
            amount=amount,
            damages_kind=DamagesKind.ROOM_ATTRITION,
            night=night,
            room_nights=room_nights,
        )

    def money_line(self, label: Say, steps: list[Say], exact: Decimal) -> LineItem:
        amount = Money(exact, self.currency).rounded(self.contract.money_rounding)
        return LineItem(
            kind=LineKind.ROOM_ATTRITION,
            label=label,
            clause=self.clause_words,
            formula=say(
                {
                    EvaluationMode.REVENUE: "formula.revenue",
                    EvaluationMode.GREATER_OF: "formula.greater_of",
                    EvaluationMode.TIERED: "formula.tiered",
                }[self.clause.evaluation_mode]
            ),
            inputs=(
                (
                    "blocked_revenue",
                    str(Money(self.block.revenue(), self.currency).rounded().amount),
                ),
            ),
            steps=(*steps, say("step.amount", amount=amount)),
            amount=amount,
            damages_kind=DamagesKind.ROOM_ATTRITION,
        )

    def summary(
        self,
        tests: list[NightTest],
        minimum: Decimal,
        shortfall: Decimal,
        chargeable: Decimal,
        passed: bool | None = None,
    ) -> RoomSummary:
        total_credited = sum(self.pickup.by_night.values()) + self.pickup.shoulder
        base = self.block.total()
        return RoomSummary(
            evaluation_mode=self.clause.evaluation_mode.value,
            original_room_nights=self.original.total(),
            baseline_room_nights=base,
            minimum_room_nights=minimum,
            credited_room_nights=total_credited,
            shortfall_room_nights=shortfall,
            chargeable_room_nights=chargeable,
            # A baseline reduced to nothing asks for nothing: it counts as fully used, as in ``tiered``.
            pickup_pct=(Decimal(total_credited) * 100 / base) if base else Decimal(100),
            is_passed=(shortfall == 0) if passed is None else passed,
            nights=tuple(
                NightResult(
                    night=t.night,
                    block_room_nights=t.block,
                    baseline_room_nights=t.baseline,
                    minimum_room_nights=t.minimum,
                    credited_room_nights=int(t.credited),
                    shortfall_room_nights=t.shortfall,
                    chargeable_room_nights=t.chargeable,
                    damage_rate=(
                        (t.price if t.price is not None else rounded_money(t.rate, self.currency))
                        if t.rate
                        else None
                    ),
                )
                for t in tests
            ),
            pickup_by_source=tuple(sorted(self.pickup.by_source.items())),
            uncredited_room_nights=self.pickup.uncredited,
        )

    def cap(self, outcome: RoomOutcome, tests_block: Block) -> LineItem | None:
        """Damages never exceed the revenue of the unused, unresold baseline (docs/rules.md §3.7)."""
        cap = ZERO
        rooms, credited = tests_block.by_night_rooms, self.pickup.by_night
        resold_rooms = self.inventory if self.clause.resale_mode is ResaleMode.RESOLD_ROOMS else {}
        for night in tests_block.nights:
            unused = max(0, rooms[night] - credited.get(night, 0))
            report = resold_rooms.get(night)
            if report is not None:
                unused = max(0, unused - report.resold_rooms)
            cap += unused * tests_block.night_rate(night)
        cap_money = rounded_money(cap, self.currency, self.contract.money_rounding)
        total = Money(outcome.exact_total, self.currency)
        if total <= cap_money:
            return None
        return LineItem(
            kind=LineKind.DAMAGES_CAP,
            label=say("cap.label"),
            clause=say("cap.clause"),
            formula=say("cap.formula"),
            inputs=(("cap", str(cap_money.amount)),),
            steps=(say("cap.step", total=total, cap=cap_money),),
            amount=cap_money - total,
            damages_kind=DamagesKind.ROOM_ATTRITION,
        )


def assess_room_attrition(
    contract: Contract,
    actuals: Actuals,
    as_of: date,
    pickup: Pickup,
    warnings: list[Say],
) -> RoomOutcome:
    """Room-block attrition under the contract's clause (docs/rules.md §3), with the cap applied."""
    clause = contract.attrition
    assert clause is not None
    release = (
        not clause.released_rooms_count and contract.cutoff_date is not None and contract.cutoff_date <= as_of
    )
    original = block_after(contract, actuals, as_of, with_reductions=False, release_at_cutoff=False)
    reduced = any(reduction.notice_date <= as_of for reduction in contract.reductions)
    candidates: list[tuple[Say, Block]] = []
    # A baseline that nothing changed is the original block: build it once.
    if clause.baseline_mode in (BaselineMode.ADJUSTED, BaselineMode.STRICTER_OF):
        adjusted = (
            block_after(contract, actuals, as_of, with_reductions=True, release_at_cutoff=release)
            if reduced or release
            else original
        )
        candidates.append((say("baseline.adjusted"), adjusted))
    if clause.baseline_mode in (BaselineMode.ORIGINAL, BaselineMode.STRICTER_OF):
        unreduced = (
            block_after(contract, actuals, as_of, with_reductions=False, release_at_cutoff=True)
            if release
            else original
        )
        candidates.append((say("baseline.original"), unreduced))
    outcomes = []
    for label, block in candidates:
        engine = RoomAttrition(contract, actuals, clause, block, original, pickup, label, warnings)
        outcome = engine.evaluate()
        cap = engine.cap(outcome, block)
        if cap is not None:
            outcome.lines.append(cap)
            outcome.exact_total = sum((line.amount.amount for line in outcome.lines), ZERO)
        outcomes.append((label, outcome))
    if len(outcomes) == 1:
        return outcomes[0][1]
    (label_a, a), (label_b, b) = outcomes
    chosen, other, other_label = (a, b, label_b) if a.exact_total >= b.exact_total else (b, a, label_a)
    note = say(
        "step.stricter_of", baseline_label=other_label, amount=Money(other.exact_total, contract.currency)
    )
    first = chosen.lines[0]
    chosen.lines[0] = replace(first, steps=(*first.steps, note))
    return chosen


# --- the words of the terms (docs/rules.md §8) ------------------------------------------------------

#: The words of each damage rate rule but ``fixed``, whose words name the rate.
_RATE_RULE_KINDS = {
    DamageRateRule.CONTRACT_RATE: "term.rate.contract_rate",
    DamageRateRule.LOWEST_RATE: "term.rate.lowest_rate",
    DamageRateRule.PICKUP_WEIGHTED_AVERAGE: "term.rate.pickup_weighted_average",
}
#: Each pickup source in declaration order.
_SOURCES = tuple(PickupSource)


def attrition_terms(contract: Contract) -> tuple[Term, ...]:
    """The attrition terms that decide the result, each marked as set or defaulted.

    They depend on the contract alone, so they are worked out once per contract.
    """
    return derived(contract, "_attrition_terms", lambda: tuple(_attrition_terms(contract)))


def _attrition_terms(contract: Contract) -> list[Term]:
    clause = contract.attrition
    if clause is None:
        return [Term("attrition", "none", False, say("term.no_attrition"))]
    explicit = clause.model_fields_set

    def term(name: str, value: str, text: Say) -> Term:
        return Term(f"attrition.{name}", value, name not in explicit, text)

    mode = clause.evaluation_mode
    terms = [
        term(
            "performance_pct",
            quantity_text(clause.performance_pct),
            say(
                "term.performance",
                pct=Percent(clause.performance_pct),
                allowance=Percent(clause.allowance_pct),
            ),
        ),
        term("evaluation_mode", mode.value, say("term.evaluation", mode=mode, how=say(f"mode.{mode.value}"))),
    ]
    if mode is not EvaluationMode.TIERED:
        fixed_rate = clause.fixed_rate
        terms += [
            term(
                "threshold_semantics",
                clause.threshold_semantics.value,
                say(
                    "term.deductible"
                    if clause.threshold_semantics is ThresholdSemantics.DEDUCTIBLE
                    else "term.cliff"
                ),
            ),
            term(
                "minimum_rounding",
                clause.minimum_rounding.value,
                say(f"term.minimum_rounding.{clause.minimum_rounding.value}"),
            ),
            term(
                "pass_if_equal",
                str(clause.pass_if_equal).lower(),
                say("term.pass_if_equal" if clause.pass_if_equal else "term.not_pass_if_equal"),
            ),
            term(
                "damages_pct",
                quantity_text(clause.damages_pct),
                say("term.damages_pct", pct=Percent(clause.damages_pct)),
            ),
            term(
                "damage_rate_rule",
                clause.damage_rate_rule.value,
                say("term.rate.fixed", rate=fixed_rate)
                if fixed_rate is not None  # the contract's validation: a fixed rate iff the rule is fixed
                else say(_RATE_RULE_KINDS[clause.damage_rate_rule]),
            ),
            term("resale_mode", clause.resale_mode.value, say(f"term.resale.{clause.resale_mode.value}")),
        ]
    if mode is EvaluationMode.PER_NIGHT_WITH_CREDIT:
        terms.append(
            term(
                "credit_allocation",
                clause.credit_allocation.value,
                say(f"term.credit.{clause.credit_allocation.value}"),
            )
        )
    if mode is EvaluationMode.GREATER_OF:
        terms.append(
            term(
                "greater_of_charge",
                clause.greater_of_charge.value,
                say(f"term.greater_of.{clause.greater_of_charge.value}"),
            )
        )
    terms.append(
        term("baseline_mode", clause.baseline_mode.value, say(f"term.baseline.{clause.baseline_mode.value}"))
    )
    credited = clause.credited_sources.credited
    counted = Items(tuple(source for source in _SOURCES if source in credited))
    not_counted = Items(tuple(source for source in _SOURCES if source not in credited))
    terms.append(
        term(
            "credited_sources",
            ",".join(source for source in _SOURCES if source in credited),
            say("term.sources_not_all", counted=counted, not_counted=not_counted)
            if not_counted.values
            else say("term.sources", counted=counted),
        )
    )
    if contract.cutoff_date is not None:
        terms.append(
            term(
                "released_rooms_count",
                str(clause.released_rooms_count).lower(),
                say(
                    "term.released_count" if clause.released_rooms_count else "term.released_leave",
                    cutoff=contract.cutoff_date,
                ),
            )
        )
    return terms
