"""Numbers typed into the staff pages, read as the hotel's locale writes them.

One reader for every form (the editor, actuals, block changes, payments): ``15,000.50`` in English,
``15 000,50`` in French (whatever space the keyboard typed where the locale groups with a no-break
space), ``15.000,50`` in German. Babel's strict reading refuses a grouping in the wrong place (``1,5`` in
English) rather than guessing. Whether a value is in range is each form's to say.
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import NumberFormatError, format_decimal, get_group_symbol, parse_decimal

#: Spaces a keyboard types where a locale groups digits with a (narrow) no-break space.
_SPACES = (" ", "\u00a0", "\u202f")
#: Longer text is no number a person typed (the largest amount, grouped, is 22 characters).
MAX_NUMBER_CHARS = 40


def read_number(text: str, locale: Locale) -> Decimal | None:
    """``text`` as a finite decimal in ``locale``'s writing, or None when it is not one (or is blank)."""
    text = text.strip()
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    group = get_group_symbol(locale)
    if group in _SPACES:
        for space in _SPACES:
            text = text.replace(space, group)
    try:
        value = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        return None
    return value if value.is_finite() else None


def number_example(locale: Locale, *, places: int = 2) -> str:
    """How ``locale`` writes fifteen thousand (``15,000.50``; ``15 000,50``), for an error's message."""
    if places == 0:
        return format_decimal(Decimal(15000), format="#,##0", locale=locale)
    return format_decimal(Decimal("15000.50"), format="#,##0.00", locale=locale)
