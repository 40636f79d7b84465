"""Structured explanations: what the engine says, as a kind and typed values, never as finished text.

An explanation (a term, an assumption, a line's label, clause, formula and working, a warning, a
condition, a forecast's working) is a :class:`Say`: the kind of sentence and its named values (money,
quantities, percentages, dates, enum members, user-typed names, nested explanations). Each kind has one
English template in :data:`TEMPLATES`, marked with :func:`N_` so that ``pybabel extract -k N_`` puts it in
the catalogs; ``app.wording.render`` translates the template and formats the values in the reader's
language and locale.

A ``Say`` is also its plain, locale-free English text (it subclasses ``str``): ``1,512.00 USD``,
``80 %``, ``2027-03-07``. That text is what the engine's own tests, logs and the API's English fields
read; the pages, PDFs and CLI render the structure instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from string import Formatter
from typing import TYPE_CHECKING, Any, Union

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema
from typing_extensions import TypeAliasType, TypedDict

from app.engine.money import Money, pct_text, quantity_text


def N_(message: str) -> str:
    """Marks an English template (or word) for extraction; returns it unchanged."""
    return message


@dataclass(frozen=True, slots=True)
class Percent:
    """A percentage as written in contracts, 0–100."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Word:
    """An enum value read back from a stored explanation: it reads as its words, as the enum member did."""

    value: str


@dataclass(frozen=True, slots=True)
class Items:
    """A list of values read as one: ``a, b, c`` (or ``a; b`` with ``separator="; "``); with ``joined``,
    as a sentence lists them (``a, b and c``, in the reader's language)."""

    values: tuple[Value, ...]
    separator: str = ", "
    joined: bool = False


#: A value an explanation names. ``str`` is text a person typed (a tax's name, a payee, a reference)
#: and is shown as it is; ``int`` and ``Decimal`` are quantities; an enum member reads as its words.
Value = Union[Money, Percent, Decimal, int, date, StrEnum, Word, str, "Say", Items]


class MoneyParam(TypedDict):
    amount: str
    currency: str


class PercentParam(TypedDict):
    """A percentage as written in contracts, 0–100 (``"80"``)."""

    percent: str


class ItemsParam(TypedDict):
    """A list read with another separator than ``, `` (``"; "``), or as a sentence lists (``joined``)."""

    items: list[Any]
    separator: str
    joined: bool


#: A value in the structured form: money and percentages as objects, quantities, dates (ISO), enum values
#: and typed text as strings, a nested explanation as an object, a list as a list.
if TYPE_CHECKING:  # mypy does not follow the recursive alias pydantic reads below
    ExplainedParam = str | MoneyParam | PercentParam | ItemsParam | Mapping[str, Any] | list[Any]
else:
    ExplainedParam = TypeAliasType(
        "ExplainedParam",
        Union[str, MoneyParam, PercentParam, ItemsParam, "Explained", list["ExplainedParam"]],
    )


class Explained(TypedDict):
    """An explanation for programs: its kind (one English template each, see the README's API section)
    and its named values."""

    kind: str
    params: dict[str, ExplainedParam]


#: Every kind of sentence and its English template. Placeholders name the values (``{amount}``).
#: ``as_typed`` is text a person typed (a label, a right's name), shown as it is and never translated.
TEMPLATES: dict[str, str] = {"as_typed": "{text}"}

#: What users read for an enum value (``fnb_attrition``: "food and beverage attrition").
WORDS: dict[str, str] = {
    "fnb": N_("food and beverage"),
    "fnb_attrition": N_("food and beverage attrition"),
    "fnb_minimum": N_("food and beverage minimum"),
    "fnb_spend": N_("food and beverage spend"),
    "per_night": N_("night by night"),
    "per_night_with_credit": N_("night by night, with credit"),
    "peak_night": N_("peak night"),
    "greater_of": N_("room nights or revenue, the greater"),
    "first_applicable": N_("first in order"),
    "greatest_only": N_("greatest only"),
    "stack": N_("stack"),
    "resold_rooms": N_("resold rooms credited"),
    "last_room_sold": N_("last room sold"),
    "ceil": N_("rounded up"),
    "floor": N_("rounded down"),
    "half_up": N_("rounded half up"),
    "exact": N_("exact"),
    "in_block": N_("in the block"),
    "outside_block": N_("outside the block"),
    "staff": N_("staff"),
    "shoulder": N_("shoulder"),
    "billed_no_show": N_("billed no show"),
    "walked": N_("walked"),
    "comp": N_("comp"),
    "early_departure_paid": N_("early departure paid"),
    "room_attrition": N_("room attrition"),
    "meeting_room_rental": N_("meeting room rental"),
    "cancellation": N_("cancellation"),
    "banquet_food": N_("banquet food"),
    "banquet_beverage": N_("banquet beverage"),
    "bars": N_("bars"),
    "outlets": N_("outlets"),
    "room_rental": N_("room rental"),
    "cumulative": N_("cumulative"),
    "revenue": N_("revenue"),
    "tiered": N_("tiered"),
    "original": N_("original"),
    "current": N_("current"),
    "adjusted": N_("adjusted"),
    "stricter_of": N_("stricter of"),
    "room_pickup_pct": N_("room pickup percentage"),
    "additive": N_("additive pickup"),
    "multiplicative": N_("multiplicative pickup"),
    "historical_wash": N_("historical wash"),
    "booking_curve": N_("booking pace"),
    "block": N_("the full block"),
    "association": N_("association"),
    "corporate": N_("corporate"),
    "smerf": N_("SMERF"),
    "wedding": N_("wedding"),
    "government": N_("government"),
    "incentive": N_("incentive"),
    "other": N_("other"),
    "included_tax": N_("tax included in the damages"),
    "rounding": N_("rounding adjustment"),
    "minor_unit": N_("the currency's smallest unit"),
    "whole_unit": N_("whole units"),
    "step": N_("a step"),
    "per_line": N_("each line"),
    "on_total": N_("the total"),
    "half_even": N_("rounded half to even"),
    "up": N_("rounded up"),
    "down": N_("rounded down"),
    "above": N_("above"),
    "at_least": N_("at least"),
}


def words(value: str) -> str:
    """What users read, in English, for an enum value (a ``StrEnum`` member or its value)."""
    text = str(value)
    return WORDS.get(text, text.replace("_", " "))


def templates(entries: Mapping[str, str]) -> None:
    """Registers a module's kinds and their English templates; a kind is registered once."""
    for kind, template in entries.items():
        if TEMPLATES.setdefault(kind, template) != template:
            raise ValueError(f"the explanation kind {kind!r} has two templates")


def placeholders(template: str) -> frozenset[str]:
    """The names a template's ``{placeholders}`` use."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


class Say(str):
    """One explanation: its kind and named values, and (as a ``str``) its plain English text."""

    kind: str
    params: tuple[tuple[str, Value], ...]

    def __new__(cls, kind: str, params: tuple[tuple[str, Value], ...] = ()) -> Say:
        text = TEMPLATES[kind].format_map({name: plain(value) for name, value in params})
        self = super().__new__(cls, text)
        self.kind = kind
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Say, (self.kind, self.params))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """Validated from a ``Say`` (or, as typed text, a ``str``); serialised as its English text."""
        return core_schema.no_info_plain_validator_function(
            _as_say,
            json_schema_input_schema=core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(
                str.__str__, return_schema=core_schema.str_schema()
            ),
        )

    def structured(self) -> Explained:
        """The kind and its values, for the API (``{"kind": ..., "params": {...}}``)."""
        return {"kind": self.kind, "params": {name: _structured(value) for name, value in self.params}}

    def param(self, name: str) -> Value:
        """One named value (for a test or a renderer that needs it by name)."""
        return dict(self.params)[name]


def _as_say(value: object) -> Say:
    if isinstance(value, Say):
        return value
    if isinstance(value, str):
        return Say("as_typed", (("text", value),))
    raise ValueError("an explanation is text")


def say(kind: str, /, **params: Value) -> Say:
    """``say("fnb.damages", amount=Money(...))``: an explanation of a registered kind."""
    return Say(kind, tuple(params.items()))


def _structured(value: Value) -> ExplainedParam:
    if isinstance(value, Say):
        return value.structured()
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Percent):
        return {"percent": f"{value.value:f}"}
    if isinstance(value, Items):
        items = [_structured(item) for item in value.values]
        if value.separator == ", " and not value.joined:
            return items
        return {"items": items, "separator": value.separator, "joined": value.joined}
    if isinstance(value, StrEnum | Word):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"  # never an exponent (a normalised 20 is 2E+1)
    return str(value)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_IDENTIFIER = re.compile(r"[a-z]+(?:_[a-z]+)*")


def from_structured(data: Mapping[str, Any]) -> Say:
    """An explanation read back from its structured form (a stored assessment), to render it again.

    The form keeps money and percentages typed; other values are strings, read back as dates, numbers
    and enum values by their look (``2027-01-25``, ``12.5``, ``room_attrition``), else as typed text."""
    params = data["params"]
    return Say(data["kind"], tuple((name, _value_of(params[name])) for name in params))


def _value_of(data: Any) -> Value:
    if isinstance(data, list):
        return Items(tuple(_value_of(item) for item in data))
    if isinstance(data, dict):
        if "kind" in data:
            return from_structured(data)
        if "currency" in data:
            return Money(Decimal(data["amount"]), data["currency"])
        if "percent" in data:
            return Percent(Decimal(data["percent"]))
        return Items(tuple(_value_of(item) for item in data["items"]), data["separator"], data["joined"])
    text = str(data)
    if _ISO_DATE.fullmatch(text):
        return date.fromisoformat(text)
    if _NUMBER.fullmatch(text):
        return Decimal(text)
    if text in WORDS or (_IDENTIFIER.fullmatch(text) and "_" in text):
        return Word(text)
    return text


def plain(value: Value) -> str:
    """The locale-free English text of a value, as the engine has always written it."""
    if isinstance(value, Say):
        return str.__str__(value)
    if isinstance(value, Money):
        return value.text()
    if isinstance(value, Percent):
        return pct_text(value.value)
    if isinstance(value, StrEnum | Word):
        return words(value.value)
    if isinstance(value, Decimal):
        return quantity_text(value)
    if isinstance(value, Items):
        items = [plain(item) for item in value.values]
        if value.joined and len(items) > 1:
            return f"{value.separator.join(items[:-1])} and {items[-1]}"
        return value.separator.join(items)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
