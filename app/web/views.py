"""View-model helpers shared by the staff pages: formatting in a property's locale, pickup to date, and
reading the query parameters of GET forms (where an empty field arrives as an empty string)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from app.engine.contract import Contract
from app.engine.limits import parse_iso_date
from app.engine.money import Money
from app.web.templating import babel_locale

STATUSES = ("tentative", "definite", "cancelled", "completed")


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
