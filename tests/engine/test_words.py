"""Readable words for enum values: listed identifiers read as phrases, the rest as their words."""

from __future__ import annotations

from app.engine.contract import DamagesKind, EvaluationMode, FnbCategory, MinimumRounding
from app.engine.words import words


def test_listed_values_read_as_phrases() -> None:
    assert words(DamagesKind.FNB_ATTRITION) == "food and beverage attrition"
    assert words(EvaluationMode.PER_NIGHT) == "night by night"
    assert words(MinimumRounding.HALF_UP) == "rounded half up"


def test_other_values_read_as_their_words() -> None:
    assert words(FnbCategory.BANQUET_FOOD) == "banquet food"
    assert words("cumulative") == "cumulative"
