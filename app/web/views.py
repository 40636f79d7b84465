"""View-model helpers shared by the staff pages: formatting in a property's locale, pickup to date, and
reading the query parameters of GET forms (where an empty field arrives as an empty string)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, is_currency

from app.engine.contract import Contract
from app.engine.explain import Say
from app.engine.limits import parse_iso_date
from app.engine.money import Money
from app.web.templating import babel_locale
from app.wording import wording

STATUSES = ("tentative", "definite", "cancelled", "completed")
#: The staff and planner pages are written in English; their numbers follow the property's locale.
PAGE_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Formats:
    """Money, percentages (0–100), quantities and dates as ``locale`` writes them."""

    locale: Locale

    @classmethod
    def of(cls, locale: str | None) -> Formats:
        return cls(babel_locale(locale))

    def money(self, value: Money | None) -> str:
        return "—" if value is None else format_currency(value.amount, value.currency, locale=self.locale)

    def pct(self, value: Decimal | None) -> str:
        if value is None:
            return "—"
        return format_percent(value / 100, "#,##0.#%", locale=self.locale)

    def number(self, value: Decimal | int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale, decimal_quantization=False)

    def day(self, value: date | None) -> str:
        return "—" if value is None else format_date(value, "medium", locale=self.locale)

    def explained(self, text: str) -> str:
        """An engine explanation (a :class:`Say`) rendered by :mod:`app.wording` in this locale's formats:
        amounts as the page's other money (``$1,512.00``, every decimal kept), dates as its other dates.

        Other text (a service's message) is written in one locale-free form: its amounts
        (``1,512.00 USD``) and ISO dates are rewritten here, to keep one money and one date format per
        page."""
        if isinstance(text, Say):
            return wording(PAGE_LANGUAGE, self.locale).say(text)
        return _ISO_DAY.sub(self._day_match, _AMOUNT.sub(self._amount_match, text))

    def problem(self, text: str) -> str:
        """A service's problem message for a page: :meth:`explained`, without the leading field path
        (``actuals.inventory: ``) that API clients read and people do not."""
        return self.explained(_FIELD_PATH.sub("", text))

    def _amount_match(self, match: re.Match[str]) -> str:
        figure, currency = match.group("amount"), match.group("currency")
        if not is_currency(currency):
            return match.group(0)
        amount = Decimal(figure.replace(",", ""))
        return format_currency(amount, currency, locale=self.locale, decimal_quantization=False)

    def _day_match(self, match: re.Match[str]) -> str:
        try:
            return self.day(date.fromisoformat(match.group(0)))
        except ValueError:
            return match.group(0)


_AMOUNT = re.compile(r"(?<![\w.,])(?P<amount>-?\d{1,3}(?:,\d{3})*(?:\.\d+)?) (?P<currency>[A-Z]{3})\b")
_FIELD_PATH = re.compile(r"^[a-z_]+(?:\.[a-z0-9_]+)+: ")
_ISO_DAY = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


def block_by_night(terms: Contract, day: date) -> dict[date, int]:
    """Rooms held per night after the reductions notified by ``day``."""
    rooms = dict.fromkeys(terms.nights, 0)
    for (night, _), count in terms.rooms_after_reductions(day).items():
        rooms[night] += count
    return rooms


def pickup_pct(booked: int, block: int) -> Decimal | None:
    return None if block <= 0 else (Decimal(booked) * 100 / Decimal(block)).quantize(Decimal("0.1"))


def parse_day(raw: str | None, field: str, errors: list[FieldError]) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return parse_iso_date(raw.strip())
    except ValueError:
        errors.append(FieldError(field, f"{raw.strip()!r} is not a date: use YYYY-MM-DD"))
        return None


def parse_id(raw: str | None, field: str, errors: list[FieldError]) -> int | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not text.isdigit() or len(text) > 9:
        errors.append(FieldError(field, f"{text!r} is not one of the choices"))
        return None
    return int(text)
