"""The one Jinja2 environment of the web pages: autoescaped, strict, with the formatting filters.

Templates place values; they never compute. Money, percentages, quantities and dates are formatted by
the filters here with Babel, in the locale the view puts in the context as ``locale`` (the property's),
so a Lisbon hotel's page reads ``1 512,00 €`` and a Boston one ``$1,512.00``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from app.engine.money import Money
from app.resources import resource

TEMPLATES_DIR = resource("templates") / "web"
STATIC_DIR = resource("static")
DEFAULT_LOCALE = "en_US"


def babel_locale(value: str | None) -> Locale:
    """The Babel locale of a property's ``locale`` text (``pt-PT``, ``fr_CA``, ``en``), English if unknown."""
    try:
        return Locale.parse((value or DEFAULT_LOCALE).replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


def _locale(context: Context) -> Locale:
    found = context.get("locale")
    return found if isinstance(found, Locale) else babel_locale(found)


@pass_context
def money(context: Context, value: Money | None) -> str:
    if value is None:
        return "—"
    return format_currency(value.amount, value.currency, locale=_locale(context))


@pass_context
def pct(context: Context, value: Decimal | int | None, digits: int = 1) -> str:
    """A 0–100 percentage as the locale writes it (``80 %`` in French, ``80%`` in English)."""
    if value is None:
        return "—"
    pattern = "#,##0%" if digits == 0 else "#,##0." + "#" * digits + "%"
    return format_percent(Decimal(value) / 100, pattern, locale=_locale(context))


@pass_context
def number(context: Context, value: Decimal | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    # Up to ``digits`` decimals, shown only when there are any: 120.8 room nights, but 299, not 299.0.
    pattern = "#,##0" if digits == 0 else "#,##0." + "#" * digits
    return format_decimal(value, pattern, locale=_locale(context))


@pass_context
def day(context: Context, value: date | None, form: str = "medium") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value, form, locale=_locale(context))
    return format_date(value, form, locale=_locale(context))


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(money=money, pct=pct, number=number, date=day)
    return environment


templates = Jinja2Templates(env=_environment())


def page_context(**values: Any) -> dict[str, Any]:
    """The context every page gets: ``locale`` defaults to English until a view names the property's."""
    return {"locale": DEFAULT_LOCALE, **values}
