"""The one renderer of the engine's explanations: a :class:`~app.engine.explain.Say` in a language.

``render(say, language, locale)`` looks the kind's English template up in the language's gettext catalog
(``app/locale``, the invoice catalogs) and fills it with the values formatted by Babel for ``locale``:
money as ``format_currency`` writes it (every decimal the engine kept), percentages, quantities, medium
dates, enum members by their words in the catalog, nested explanations rendered the same way. The web
pages, the PDFs, the CLI and the API all call it, so an explanation reads the same everywhere.

Text that is not a ``Say`` (a name a person typed) is returned as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations

from app.engine.explain import TEMPLATES, Items, Percent, Say, Value, Word, words
from app.engine.money import Money
from app.pdf.i18n import DEFAULT_LANGUAGE, LANGUAGES, number_locale, translations

__all__ = ["Wording", "english", "render", "wording"]


def render(text: str, language: str, locale: Locale | str | None = None) -> str:
    """``text`` in ``language``, its values formatted for ``locale`` (default: the language's own)."""
    return wording(language, locale).say(text)


def english(text: str, locale: Locale | str | None = "en_US") -> str:
    """``text`` in English, formatted for ``locale`` (the API's and the CLI's text fields)."""
    return render(text, DEFAULT_LANGUAGE, locale)


def wording(language: str, locale: Locale | str | None = None) -> Wording:
    """The renderer for one language and locale (cached: pages render many explanations)."""
    if isinstance(locale, Locale):
        return _wording(language, str(locale))
    return _wording(language, locale)


@lru_cache(maxsize=256)
def _wording(language: str, locale: str | None) -> Wording:
    return Wording(language, _locale(language, locale))


def _locale(language: str, value: str | None) -> Locale:
    if value:
        try:
            return Locale.parse(value.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            pass
    return number_locale(language if language in LANGUAGES else DEFAULT_LANGUAGE, None)


class Wording:
    """Explanations in one language, with values formatted for one locale."""

    def __init__(self, language: str, locale: Locale) -> None:
        self.language = language
        self.locale = locale
        self.catalog: NullTranslations = translations(language)

    def say(self, text: str) -> str:
        if not isinstance(text, Say):
            return text
        if text.kind == "as_typed":
            return self.value(text.param("text"))
        template = self.catalog.gettext(TEMPLATES[text.kind])
        return template.format_map({name: self.value(value) for name, value in text.params})

    def all(self, texts: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.say(text) for text in texts)

    def value(self, value: Value) -> str:
        if isinstance(value, Say):
            return self.say(value)
        if isinstance(value, Money):
            return format_currency(
                value.amount, value.currency, locale=self.locale, decimal_quantization=False
            )
        if isinstance(value, Percent):
            return format_percent(value.value / 100, locale=self.locale, decimal_quantization=False)
        if isinstance(value, StrEnum | Word):
            return self.catalog.gettext(words(value.value))
        if isinstance(value, Decimal):
            return format_decimal(value.normalize(), locale=self.locale, decimal_quantization=False)
        if isinstance(value, Items):
            items = [self.value(item) for item in value.values]
            if value.joined:
                return format_list(items, locale=self.locale) if items else ""
            return value.separator.join(items)
        if isinstance(value, date):
            return format_date(value, "medium", locale=self.locale)
        if isinstance(value, int):
            return format_decimal(value, locale=self.locale)
        return value

    def words(self, value: StrEnum | str) -> str:
        """An enum value's words in this language."""
        return self.catalog.gettext(words(value))
