"""A contract's dated deadlines: the one list the calendar feed and the deadline webhooks read.

Each deadline is computed from the contract's current terms and its issued invoices: the cut-off, the
last day of each reduction right, each date a cancellation or F&B notice scale steps to another
percentage (docs/rules.md §4-§5), arrival, departure and the due date of each invoice no credit note
has credited. Its ``key`` names what it is, not where it falls, so it stays the same across runs and
across edits that do not move it: calendar UIDs and webhook event keys are built from it.

Its words are English templates marked ``N_()`` and translated in the gettext catalogs; the values are
formatted by ``app.wording`` for the reader's locale (``deadline_text``). They are kept out of the
engine's table of explanation kinds, which holds the engine's own sentences only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from sqlmodel import Session

from app.engine.cancellation import component_pcts
from app.engine.contract import Contract, DayTier
from app.engine.explain import N_, Percent, Value, plain
from app.engine.money import Money
from app.persistence import invoice_repository
from app.persistence.records import InvoiceRecord
from app.services.contracts import StoredContract
from app.wording import wording

_Tier = TypeVar("_Tier", bound=DayTier)

__all__ = [
    "Deadline",
    "DeadlineKind",
    "DeadlineText",
    "InvoiceDue",
    "contract_deadlines",
    "deadline_text",
    "deadlines_of",
    "open_invoices",
]


class DeadlineKind(StrEnum):
    CUTOFF = "cutoff"
    REDUCTION_REVIEW = "reduction_review"
    CANCELLATION_TIER = "cancellation_tier"
    FNB_NOTICE_TIER = "fnb_notice_tier"
    ARRIVAL = "arrival"
    DEPARTURE = "departure"
    INVOICE_DUE = "invoice_due"


_TEMPLATES: dict[str, str] = {
    "deadline.summary": N_("{group}: {title}"),
    "deadline.cutoff.title": N_("Cut-off: release of unsold rooms"),
    "deadline.cutoff.description": N_(
        "Rooms of the block that are not picked up by {on} go back to the hotel's inventory; the "
        "group arrives {arrival}."
    ),
    "deadline.reduction.title": N_("Last day to reduce the block"),
    "deadline.reduction.description": N_(
        "Last day the group may reduce the block by up to {max_pct} of the {basis} block without damages."
    ),
    "deadline.reduction.named_description": N_(
        "{right}: last day the group may reduce the block by up to {max_pct} of the {basis} block "
        "without damages."
    ),
    "deadline.cancellation.rises.title": N_("Cancellation charge rises to {pct}"),
    "deadline.cancellation.falls.title": N_("Cancellation charge falls to {pct}"),
    "deadline.cancellation.description": N_(
        "From {on} ({days} days before arrival), a cancellation costs {pct} of the cancellation "
        "base instead of {previous_pct}."
    ),
    "deadline.cancellation.components.rises.title": N_("Cancellation charge rises"),
    "deadline.cancellation.components.falls.title": N_("Cancellation charge falls"),
    "deadline.cancellation.components.changes.title": N_("Cancellation charge changes by component"),
    "deadline.cancellation.components.description": N_(
        "From {on} ({days} days before arrival), a cancellation costs {pct} instead of {previous_pct}."
    ),
    "deadline.fnb.rises.title": N_("F&B damages rise to {pct}"),
    "deadline.fnb.falls.title": N_("F&B damages fall to {pct}"),
    "deadline.fnb.description": N_(
        "From {on} ({days} days before arrival), a shortfall on the food and beverage minimum "
        "notified to the hotel is charged at {pct} instead of {previous_pct}."
    ),
    "deadline.arrival.title": N_("Group arrival"),
    "deadline.arrival.description": N_("The group arrives on {on} and departs on {departure}."),
    "deadline.departure.title": N_("Group departure"),
    "deadline.departure.description": N_("The group departs on {on}."),
    "deadline.invoice.title": N_("Invoice {number} due"),
    "deadline.invoice.description": N_("Invoice {number} for {amount} is due on {on}."),
}


@dataclass(frozen=True, slots=True)
class InvoiceDue:
    """An issued invoice that no credit note has credited: what its due date deadline needs."""

    number: str
    due_date: date
    total: Money


@dataclass(frozen=True, slots=True)
class Deadline:
    """A dated deadline of one contract.

    ``key`` is stable while the deadline means the same thing (``cutoff``, ``reduction:0``,
    ``cancellation-tier:30``, ``fnb-notice-tier:14``, ``arrival``, ``departure``,
    ``invoice:<number>``); ``params`` are the typed values its words name (``group`` always).
    """

    kind: DeadlineKind
    on: date
    contract_id: int
    key: str
    params: tuple[tuple[str, Value], ...]
    title_kind: str
    description_kind: str

    def param(self, name: str) -> Value:
        return dict(self.params)[name]

    @property
    def title(self) -> str:
        """What happens, in a few English words ("Cut-off: release of unsold rooms")."""
        return _english(self.title_kind, self.params)

    @property
    def summary(self) -> str:
        """The English title with the group it concerns ("Dental Association: Group arrival")."""
        return _english("deadline.summary", (("group", self.param("group")), ("title", self.title)))

    @property
    def description(self) -> str:
        """What happens on that date, in an English sentence."""
        return _english(self.description_kind, self.params)


@dataclass(frozen=True, slots=True)
class DeadlineText:
    """A deadline's words in one language: its title, the title with the group, and a sentence."""

    title: str
    summary: str
    description: str


def deadline_text(deadline: Deadline, language: str, locale: str | None = None) -> DeadlineText:
    """``deadline``'s words in ``language`` (a catalog of ``app/locale``), values formatted for
    ``locale`` (default: the language's own): dates as the hotel writes them, money with its currency."""
    words = wording(language, locale)

    def text(kind: str, params: tuple[tuple[str, Value], ...]) -> str:
        template = words.catalog.gettext(_TEMPLATES[kind])
        return template.format_map({name: words.value(value) for name, value in params})

    title = text(deadline.title_kind, deadline.params)
    summary = text("deadline.summary", (("group", deadline.param("group")), ("title", title)))
    return DeadlineText(title, summary, text(deadline.description_kind, deadline.params))


def _english(kind: str, params: tuple[tuple[str, Value], ...]) -> str:
    return _TEMPLATES[kind].format_map({name: plain(value) for name, value in params})


def deadlines_of(
    terms: Contract, invoices: Iterable[InvoiceDue] = (), *, contract_id: int = 0
) -> list[Deadline]:
    """Every dated deadline of ``terms`` and of the open ``invoices``, by date (then kind, then key).

    ``contract_id`` is the stored contract's id (0 for terms read from a file)."""
    group = terms.group.name
    arrival = terms.arrival_date
    found: list[Deadline] = []

    def add(kind: DeadlineKind, on: date, key: str, title: str, description: str, **params: Value) -> None:
        values: tuple[tuple[str, Value], ...] = (("group", group), ("on", on), *params.items())
        found.append(Deadline(kind, on, contract_id, key, values, title, description))

    if terms.cutoff_date is not None:
        add(
            DeadlineKind.CUTOFF,
            terms.cutoff_date,
            "cutoff",
            "deadline.cutoff.title",
            "deadline.cutoff.description",
            arrival=arrival,
        )
    for index, right in enumerate(terms.reduction_rights):
        on = right.deadline(arrival)
        named = {"right": right.name} if right.name else {}
        add(
            DeadlineKind.REDUCTION_REVIEW,
            on,
            f"reduction:{index}",
            "deadline.reduction.title",
            "deadline.reduction.named_description" if right.name else "deadline.reduction.description",
            max_pct=Percent(right.max_pct),
            basis=right.basis,
            **named,
        )
    clause = terms.cancellation
    if clause is not None and any(tier.component_pct for tier in clause.tiers):
        # A tier with percentages per component moves when any component's percentage moves.
        kinds = [component.kind for component in clause.base]
        for on, days, nearer, farther in _tier_moves(clause.tiers, arrival):
            now = [nearer.pct_for(kind) for kind in kinds]
            before = [farther.pct_for(kind) for kind in kinds]
            if now == before:
                continue
            rises = all(a >= b for a, b in zip(now, before, strict=True))
            falls = all(a <= b for a, b in zip(now, before, strict=True))
            add(
                DeadlineKind.CANCELLATION_TIER,
                on,
                f"cancellation-tier:{days}",
                "deadline.cancellation.components.rises.title"
                if rises
                else "deadline.cancellation.components.falls.title"
                if falls
                else "deadline.cancellation.components.changes.title",
                "deadline.cancellation.components.description",
                days=days,
                pct=component_pcts(clause, nearer),
                previous_pct=component_pcts(clause, farther),
            )
    elif clause is not None:
        for on, days, pct, previous in _steps(clause.tiers, arrival):
            add(
                DeadlineKind.CANCELLATION_TIER,
                on,
                f"cancellation-tier:{days}",
                "deadline.cancellation.rises.title"
                if pct > previous
                else "deadline.cancellation.falls.title",
                "deadline.cancellation.description",
                days=days,
                pct=Percent(pct),
                previous_pct=Percent(previous),
            )
    if terms.fnb is not None and terms.fnb.damages_pct_by_notice:
        for on, days, pct, previous in _steps(terms.fnb.damages_pct_by_notice, arrival):
            add(
                DeadlineKind.FNB_NOTICE_TIER,
                on,
                f"fnb-notice-tier:{days}",
                "deadline.fnb.rises.title" if pct > previous else "deadline.fnb.falls.title",
                "deadline.fnb.description",
                days=days,
                pct=Percent(pct),
                previous_pct=Percent(previous),
            )
    add(
        DeadlineKind.ARRIVAL,
        arrival,
        "arrival",
        "deadline.arrival.title",
        "deadline.arrival.description",
        departure=terms.departure_date,
    )
    add(
        DeadlineKind.DEPARTURE,
        terms.departure_date,
        "departure",
        "deadline.departure.title",
        "deadline.departure.description",
    )
    for invoice in invoices:
        add(
            DeadlineKind.INVOICE_DUE,
            invoice.due_date,
            f"invoice:{invoice.number}",
            "deadline.invoice.title",
            "deadline.invoice.description",
            number=invoice.number,
            amount=invoice.total,
        )
    order = list(DeadlineKind)
    found.sort(key=lambda deadline: (deadline.on, order.index(deadline.kind), deadline.key))
    return found


def _tier_moves(tiers: Sequence[_Tier], arrival: date) -> list[tuple[date, int, _Tier, _Tier]]:
    """(date, days before arrival, nearer tier, farther tier) for each day a whole-day notice scale
    moves to the nearer tier, read from the farthest tier to arrival (see :func:`_steps`)."""
    order = sorted(tiers, key=lambda tier: tier.min_days, reverse=True)
    moves: list[tuple[date, int, _Tier, _Tier]] = []
    for farther, nearer in itertools.pairwise(order):
        if nearer.max_days is None:
            continue
        try:
            on = arrival - timedelta(days=nearer.max_days)
        except OverflowError:
            continue
        moves.append((on, nearer.max_days, nearer, farther))
    return moves


def _steps(tiers: Sequence[DayTier], arrival: date) -> list[tuple[date, int, Decimal, Decimal]]:
    """(date, days before arrival, new %, previous %) for each day a whole-day notice scale moves to a
    tier with another percentage, read from the farthest tier to arrival.

    A notice received ``d`` calendar days before arrival falls in the tier with ``min_days <= d <=
    max_days`` (docs/rules.md §5), so the nearer tier ``[low, high]`` starts to apply on ``arrival -
    high``. A date before 1 January of year 1 cannot be written and is left out."""
    order = sorted(tiers, key=lambda tier: tier.min_days, reverse=True)
    steps: list[tuple[date, int, Decimal, Decimal]] = []
    for farther, nearer in itertools.pairwise(order):
        if nearer.pct == farther.pct or nearer.max_days is None:
            continue
        try:
            on = arrival - timedelta(days=nearer.max_days)
        except OverflowError:
            continue
        steps.append((on, nearer.max_days, nearer.pct, farther.pct))
    return steps


def open_invoices(records: Iterable[InvoiceRecord]) -> list[InvoiceDue]:
    """The invoices among ``records`` (a contract's invoices and credit notes) no credit note credits."""
    rows = list(records)
    credited = {row.credits_invoice_id for row in rows if row.credits_invoice_id is not None}
    return [
        InvoiceDue(row.number, row.due_date, Money(Decimal(row.total_amount), row.currency))
        for row in rows
        if row.kind == "invoice" and row.id not in credited
    ]


def contract_deadlines(session: Session, stored: StoredContract) -> list[Deadline]:
    """The deadlines of a stored contract's current terms and of its uncredited issued invoices."""
    contract_id = stored.record.id
    assert contract_id is not None, "a stored contract has an id"
    invoices = open_invoices(invoice_repository.invoices_of_contract(session, contract_id))
    return deadlines_of(stored.terms, invoices, contract_id=contract_id)
