"""Money, percentages and exact rounding (docs/architecture.md, "Money and dates").

Money is an exact ``Decimal`` amount with an ISO 4217 currency. It refuses floats and refuses to be
added to money of another currency. Amounts are rounded only at named points, with a named mode.
"""

from __future__ import annotations

import contextvars
import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from app.engine.errors import CurrencyMismatchError
from app.engine.limits import MAX_AMOUNT, MAX_PCT_PLACES

# ISO 4217 minor units that differ from 2. Every other well-formed code uses 2.
_MINOR_UNITS: dict[str, int] = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_PLAIN_AMOUNT = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_AMOUNT_TEXT = re.compile(r"^\s*(?:([A-Z]{3})\s+)?([+-]?\d+(?:\.\d+)?)(?:\s+([A-Z]{3}))?\s*$")

#: The currency of the document being validated, so that contract files may write ``"189.00"``.
document_currency: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "document_currency", default=None
)


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (ISO 4217)."""
    return _MINOR_UNITS.get(currency, 2)


class Rounding(StrEnum):
    """Named rounding modes for money; the contract chooses, half-up is the default."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    UP = "up"
    DOWN = "down"


_DECIMAL_ROUNDING = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.UP: ROUND_CEILING,
    Rounding.DOWN: ROUND_FLOOR,
}


_CHECKED_CODES: set[str] = set()
_QUANTA: dict[str, Decimal] = {}
_ZEROS: dict[str, Money] = {}


def _quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal (``0.01`` for USD); callers read ``_QUANTA`` first."""
    quantum = _QUANTA[currency] = Decimal(1).scaleb(-minor_units(currency))
    return quantum


def amount_text(amount: Decimal, currency: str) -> str:
    """``Money(amount, currency).text()`` for an amount the engine computed in a valid currency."""
    at_minor_unit = amount.quantize(_QUANTA.get(currency) or _quantum(currency))
    return f"{at_minor_unit if amount == at_minor_unit else amount:,} {currency}"


def _exact(value: object, what: str) -> Decimal:
    """``value`` as an exact Decimal; floats (binary), booleans and text are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}")


_set_field = object.__setattr__
_new_object = object.__new__


@dataclass(frozen=True, slots=True, init=False)
class Money:
    """An exact amount in one currency. ``Money("12.30", "EUR")`` is not allowed: pass a Decimal."""

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal, currency: str) -> None:
        # Written by hand rather than generated: the engine builds many Money values, and the
        # generated frozen ``__init__`` plus ``__post_init__`` cost half of each one.
        if type(amount) is not Decimal:
            amount = _exact(amount, "Money.amount")
        if currency not in _CHECKED_CODES:
            if not isinstance(currency, str) or not _CURRENCY_CODE.match(currency):
                raise ValueError(f"currency must be an ISO 4217 code such as 'USD', not {currency!r}")
            _CHECKED_CODES.add(currency)
        if not amount.is_finite():
            raise ValueError("Money.amount must be finite")
        _set_field(self, "amount", amount)
        _set_field(self, "currency", currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero at the currency's minor unit (``0.00 USD``, ``0 JPY``), like every rounded amount."""
        zero = _ZEROS.get(currency)
        if zero is None:
            zero = _ZEROS[currency] = cls(Decimal(0).scaleb(-minor_units(currency)), currency)
        return zero

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} and {other.currency} amounts")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other)
        return _checked_money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other)
        return _checked_money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return _checked_money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * _exact(factor, "a Money factor"), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def rounded(self, mode: Rounding = Rounding.HALF_UP) -> Money:
        """Round to the currency's minor unit with ``mode`` (a named rounding point)."""
        currency = self.currency
        quantum = _QUANTA.get(currency) or _quantum(currency)
        return _checked_money(self.amount.quantize(quantum, _DECIMAL_ROUNDING[mode]), currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def text(self) -> str:
        """Plain, locale-free text such as ``1512.00 USD`` (used in explanations)."""
        return amount_text(self.amount, self.currency)

    __str__ = text

    # --- pydantic integration -------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_money,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _serialize_money, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "title": "Money",
            "description": (
                f"An exact amount, at most {MAX_AMOUNT:,} and with no more decimal places than "
                "the currency's minor unit. Either a quoted decimal in the document's currency "
                '("189.00"), a quoted decimal with its ISO 4217 code ("189.00 USD"), or an object '
                '{"amount": "189.00", "currency": "USD"}. Numbers are refused: quote money.'
            ),
            "anyOf": [
                {"type": "string", "pattern": _AMOUNT_TEXT.pattern.replace(r"\d+(?:", r"\d{1,13}(?:")},
                {
                    "type": "object",
                    "properties": {
                        "amount": {"type": "string", "pattern": r"^[+-]?\d{1,13}(\.\d+)?$"},
                        "currency": {"type": "string", "pattern": _CURRENCY_CODE.pattern},
                    },
                    "required": ["amount", "currency"],
                    "additionalProperties": False,
                },
            ],
        }


def _checked_money(amount: Decimal, currency: str) -> Money:
    """Money from an amount and currency that are already known good: the result of arithmetic on
    valid Money (finite, since the decimal context traps overflow) in its own currency."""
    money = _new_object(Money)
    _set_field(money, "amount", amount)
    _set_field(money, "currency", currency)
    return money


def _serialize_money(value: Money) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": value.currency}


def _money_error(message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError("money", message, ctx)


def _quoted_example(value: int | float) -> str:
    """The number as it would be written in quotes, at the document currency's minor unit if exact."""
    written = Decimal(repr(value)) if math.isfinite(value) else Decimal(0)
    code = document_currency.get()
    exponent = written.as_tuple().exponent
    if code is not None and isinstance(exponent, int) and -exponent <= minor_units(code):
        return f"{written:.{minor_units(code)}f}"
    return f"{written:f}"


def _short(value: object) -> str:
    """The value as text, cut short: an error message quotes it, whatever its length."""
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}…{text[-8:]} ({len(text):,} characters)"


def _validate_money(value: Any) -> Money:
    if isinstance(value, Money):
        money = value
    elif isinstance(value, bool):
        raise _money_error('money must be a quoted decimal such as "189.00", not a boolean')
    elif isinstance(value, int | float | Decimal) and not isinstance(value, Decimal):
        raise _money_error(
            'money must be quoted: write the amount as a string, for example "{example}"; '
            "unquoted numbers in YAML and JSON files are read as binary floats, which are not exact",
            example=_quoted_example(value),
        )
    elif isinstance(value, Decimal):
        money = _with_document_currency(value)
    elif isinstance(value, str):
        match = _AMOUNT_TEXT.match(value)
        if not match:
            raise _money_error(
                '\'{value}\' is not an amount: write a decimal such as "189.00" or "189.00 USD"',
                value=_short(value),
            )
        before, digits, after = match.groups()
        if before and after:
            raise _money_error("'{value}' names a currency twice", value=value)
        code = before or after
        money = Money(Decimal(digits), code) if code else _with_document_currency(Decimal(digits))
    elif isinstance(value, dict):
        if set(value) != {"amount", "currency"}:
            raise _money_error("a money object has exactly the keys 'amount' and 'currency'")
        amount, code = value["amount"], value["currency"]
        if not isinstance(amount, str | Decimal):
            raise _money_error('money must be quoted: the amount must be a string such as "189.00"')
        if not (_PLAIN_AMOUNT.match(amount) if isinstance(amount, str) else amount.is_finite()):
            raise _money_error(
                "'{value}' is not an amount: write a decimal such as \"189.00\"", value=_short(amount)
            )
        if not isinstance(code, str) or not _CURRENCY_CODE.match(code):
            raise _money_error("'{code}' is not an ISO 4217 currency code", code=str(code))
        money = Money(Decimal(amount), code)
    else:
        raise _money_error('expected an amount such as "189.00"')
    expected = document_currency.get()
    if expected is not None and money.currency != expected:
        raise _money_error(
            "mixed currencies: {got} amount in a {expected} document",
            got=money.currency,
            expected=expected,
        )
    # The bound is on what is written in: a computed total (a Money already) may exceed it.
    if not isinstance(value, Money) and abs(money.amount) > MAX_AMOUNT:
        raise _money_error(
            "{value} is larger than the largest amount accepted, {limit}",
            value=_short(money.amount),
            limit=f"{MAX_AMOUNT:,}",
        )
    places = minor_units(money.currency)
    exponent = money.amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise _money_error(
            "{value} has more decimal places than {currency} allows ({places})",
            value=_short(money.amount),
            currency=money.currency,
            places=places,
        )
    return money


def _refuse_negative(money: Money) -> Money:
    if money.amount < 0:
        raise _money_error(
            "{value} is negative: rates, amounts and spend are written as positive amounts",
            value=money.text(),
        )
    return money


NonNegativeMoney = Annotated[Money, AfterValidator(_refuse_negative)]
"""Money in a contract or actuals field: rates, minimums, deposits and spend are never negative."""


def _with_document_currency(amount: Decimal) -> Money:
    code = document_currency.get()
    if code is None:
        raise _money_error(
            'no currency for amount {value}: write "{value} XXX" or set the document\'s currency',
            value=str(amount),
        )
    return Money(amount, code)


@contextmanager
def currency_scope(code: object) -> Iterator[None]:
    """Let bare amounts inside a document take the document's currency while it is validated."""
    valid = isinstance(code, str) and _CURRENCY_CODE.match(code)
    token = document_currency.set(code if valid else document_currency.get())  # type: ignore[arg-type]
    try:
        yield
    finally:
        document_currency.reset(token)


def rounded_money(amount: Decimal, currency: str, mode: Rounding = Rounding.HALF_UP) -> Money:
    """``Money(amount, currency).rounded(mode)``, without building the unrounded value first."""
    if not amount.is_finite():
        raise ValueError("Money.amount must be finite")
    return Money(
        amount.quantize(_QUANTA.get(currency) or _quantum(currency), _DECIMAL_ROUNDING[mode]), currency
    )


def money_sum(values: Iterable[Money], currency: str) -> Money:
    """The sum of ``values``, starting from ``Money.zero(currency)``; all must be in ``currency``."""
    total = Money.zero(currency)
    amount = total.amount
    for value in values:
        if value.currency != currency:
            total._same(value)
        amount += value.amount
    return _checked_money(amount, currency)


# --- percentages -------------------------------------------------------------------------------


def _to_pct(value: Any) -> Any:
    """Percentages are written as in contracts (0-100). Floats from YAML are read by their text."""
    if isinstance(value, bool):
        raise PydanticCustomError("percentage", "a percentage is a number from 0 to 100, not a boolean")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            return Decimal(text)
        except ArithmeticError:
            raise PydanticCustomError(
                "percentage", "'{value}' is not a percentage", {"value": value}
            ) from None
    return value


Pct = Annotated[
    Decimal,
    BeforeValidator(_to_pct),
    Field(
        ge=0,
        le=100,
        decimal_places=MAX_PCT_PLACES,
        allow_inf_nan=False,
        json_schema_extra={"description": f"0 to 100, at most {MAX_PCT_PLACES} decimal places"},
    ),
]
"""A percentage written as in contracts, 0-100 (``performance_pct: 80``)."""


def fraction(pct: Decimal) -> Decimal:
    """The exact fraction of a percentage: ``fraction(Decimal(80)) == Decimal("0.8")``."""
    return pct / 100


def pct_text(pct: Decimal) -> str:
    """``80`` -> ``80 %``; ``82.50`` -> ``82.5 %``."""
    # Equal values share one cached text, except a negative zero, which normalises to "-0".
    return _pct_text(pct) if not pct.is_signed() else f"{pct.normalize():f} %"


@lru_cache(maxsize=1024)
def _pct_text(pct: Decimal) -> str:
    return f"{pct.normalize():f} %"


@lru_cache(maxsize=4096)
def quantity_text(value: Decimal) -> str:
    """A room-night quantity without trailing zeros (``42.5``, ``43``)."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"
