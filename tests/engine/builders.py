"""Small builders for engine tests: contracts and actuals as plain dicts, validated like a file.

Everything is validated with ``strict=False``, the way contract files and the API validate, so the
tests write money as quoted strings (``"189.00"``) and dates as ISO text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.engine import Actuals, Assessment, Contract, LineKind, Money, assess

#: A Monday; the constructed fixture of docs/rules.md §7 runs Monday to Thursday.
ARRIVAL = date(2025, 3, 10)


def night(offset: int) -> str:
    """The ISO date of the night ``offset`` nights after arrival."""
    return (ARRIVAL + timedelta(days=offset)).isoformat()


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def cells(*rooms: int, rate: str = "200.00", room_type: str = "K", first: int = 0) -> list[dict[str, Any]]:
    """Block cells for consecutive nights from ``first``, one room type at one rate."""
    return [
        {"night": night(first + i), "room_type": room_type, "rooms": count, "rate": rate}
        for i, count in enumerate(rooms)
    ]


def pickup(*rooms: int, room_type: str = "K", first: int = 0, **extra: Any) -> list[dict[str, Any]]:
    """In-block pickup entries for consecutive nights from ``first`` (zero nights are left out)."""
    return [
        {"night": night(first + i), "room_type": room_type, "room_nights": count, **extra}
        for i, count in enumerate(rooms)
        if count
    ]


def contract_data(block: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A contract dict around ``block``; the stay runs from the first to the day after the last night."""
    nights = sorted(date.fromisoformat(cell["night"]) for cell in block)
    data: dict[str, Any] = {
        "id": "test-contract",
        "property": {"name": "Harbour Hotel"},
        "group": {"name": "Example Association"},
        "currency": "USD",
        "arrival_date": nights[0].isoformat(),
        "departure_date": (nights[-1] + timedelta(days=1)).isoformat(),
        "block": block,
    }
    data.update(fields)
    return data


def contract(block: list[dict[str, Any]], **fields: Any) -> Contract:
    return Contract.model_validate(contract_data(block, **fields), strict=False)


def actuals(**fields: Any) -> Actuals:
    """Actuals in USD unless ``currency`` says otherwise."""
    return Actuals.model_validate({"currency": "USD", **fields}, strict=False)


def departure(c: Contract) -> date:
    """An as-of date on the departure day: the assessment is final."""
    return c.departure_date


def amounts(assessment: Assessment, kind: LineKind) -> list[Money]:
    return [line.amount for line in assessment.lines if line.kind is kind]


def kind_total(assessment: Assessment, kind: LineKind) -> Money:
    return sum(amounts(assessment, kind), Money.zero(assessment.currency))


def night_amounts(assessment: Assessment) -> dict[str, Money]:
    """Room attrition per night, keyed by ISO night."""
    return {
        line.night.isoformat(): line.amount
        for line in assessment.lines
        if line.kind is LineKind.ROOM_ATTRITION and line.night is not None
    }


@dataclass(frozen=True)
class Case:
    """A table row: a block, contract terms, actuals, and the figures worked out by hand.

    ``lines`` gives the expected total of each line kind that must appear; ``nights`` the room
    attrition per night; ``warnings`` text that some warning must contain.
    """

    block: list[dict[str, Any]]
    terms: dict[str, Any]
    given: dict[str, Any]
    total: str
    lines: dict[LineKind, str] = field(default_factory=dict)
    nights: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    as_of: date | None = None


def run(case: Case) -> Assessment:
    c = contract(case.block, **case.terms)
    return assess(c, actuals(**case.given), case.as_of or departure(c))


def check(case: Case) -> Assessment:
    """Assess ``case`` and compare every figure it gives; returns the assessment for more checks."""
    result = run(case)
    assert result.total == usd(case.total), [(line.label, line.amount, line.steps) for line in result.lines]
    for kind, expected in case.lines.items():
        assert kind_total(result, kind) == usd(expected), kind
        assert amounts(result, kind), f"no {kind} line"
    if case.nights:
        assert night_amounts(result) == {n: usd(amount) for n, amount in case.nights.items()}
    for text in case.warnings:
        assert any(text in warning for warning in result.warnings), result.warnings
    return result
