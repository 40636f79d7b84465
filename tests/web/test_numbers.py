"""The one reader of numbers typed into the staff pages (app/web/numbers.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel import Locale

from app.web.numbers import number_example, read_number


@pytest.mark.parametrize(
    ("locale", "typed", "read"),
    [
        ("en_US", "15,000.50", Decimal("15000.50")),
        ("en_US", "15000", Decimal(15000)),
        ("fr_FR", "15 000,50", Decimal("15000.50")),  # an ordinary space typed for the no-break one
        ("fr_FR", "15\u202f000,50", Decimal("15000.50")),
        ("de_DE", "15.000,50", Decimal("15000.50")),
        ("en_US", "  7  ", Decimal(7)),
    ],
)
def test_a_number_is_read_as_the_locale_writes_it(locale: str, typed: str, read: Decimal) -> None:
    assert read_number(typed, Locale.parse(locale)) == read


@pytest.mark.parametrize(
    ("locale", "typed"),
    [
        ("en_US", "1,5"),  # a grouping in the wrong place is refused, not guessed
        ("de_DE", "15000.50"),
        ("en_US", "12abc"),
        ("en_US", ""),
        ("en_US", "NaN"),
        ("en_US", "1" * 41),
    ],
)
def test_what_is_not_a_number_in_the_locale_is_none(locale: str, typed: str) -> None:
    assert read_number(typed, Locale.parse(locale)) is None


def test_the_example_is_written_in_the_locale() -> None:
    assert number_example(Locale.parse("en_US")) == "15,000.50"
    assert number_example(Locale.parse("de_DE")) == "15.000,50"
    assert number_example(Locale.parse("en_US"), places=0) == "15,000"
