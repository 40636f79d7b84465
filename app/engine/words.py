"""Readable words for the engine's enum values, for every explanation that names one.

Users read words, not identifiers: an explanation says "food and beverage attrition", never
``fnb_attrition``. Values not listed read as their words with spaces (``banquet_food``: "banquet food").
"""

from __future__ import annotations

_WORDS = {
    "fnb": "food and beverage",
    "fnb_attrition": "food and beverage attrition",
    "fnb_minimum": "food and beverage minimum",
    "fnb_spend": "food and beverage spend",
    "per_night": "night by night",
    "per_night_with_credit": "night by night, with credit",
    "peak_night": "peak night",
    "greater_of": "room nights or revenue, the greater",
    "first_applicable": "first in order",
    "resold_rooms": "resold rooms credited",
    "last_room_sold": "last room sold",
    "ceil": "rounded up",
    "floor": "rounded down",
    "half_up": "rounded half up",
    "in_block": "in the block",
    "outside_block": "outside the block",
}


def words(value: str) -> str:
    """What users read for an enum value (a ``StrEnum`` member or its value)."""
    text = str(value)
    return _WORDS.get(text, text.replace("_", " "))
