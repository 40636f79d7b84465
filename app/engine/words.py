"""Readable words for the engine's enum values (the table is :data:`app.engine.explain.WORDS`).

Users read words, not identifiers: an explanation says "food and beverage attrition", never
``fnb_attrition``. Values not listed read as their words with spaces (``banquet_food``: "banquet food").
"""

from __future__ import annotations

from app.engine.explain import words

__all__ = ["words"]
