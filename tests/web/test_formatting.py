"""The page filters write numbers as the reader's locale does, with no decimals that say nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.web.templating import templates


@pytest.mark.parametrize(
    ("value", "locale", "shown"),
    [
        (Decimal("299.0"), "en", "299"),
        (Decimal("120.80"), "en", "120.8"),
        (Decimal("1234.5"), "fr", "1\u202f234,5"),
        (Decimal("360"), "en", "360"),
        (None, "en", "—"),
    ],
)
def test_room_nights_show_a_decimal_only_when_there_is_one(
    value: Decimal | None, locale: str, shown: str
) -> None:
    rendered = templates.env.from_string("{{ value|number(1) }}").render(value=value, locale=locale)

    assert rendered == shown
