"""Every bound on what the service accepts, in one place, each with the reason for its value.

The contract and actuals models enforce these when they validate, so contract files, the API and the
web forms refuse the same inputs with the same words, and the JSON Schema states them. A bound keeps
the work a request can cause (and every later read of what it stored) small and predictable; the
values are generous for real group business.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

#: Nights of a stay (departure - arrival): a year-long crew or project block fits with room to spare.
MAX_NIGHTS = 400
#: Room types in one block: hotels sell a handful of categories to a group, rarely more than ten.
MAX_ROOM_TYPES = 20
#: Cells of a block (night x room type): a full year of ten types, and far fewer than 400 x 20.
MAX_BLOCK_CELLS = 4_000
#: Steps of any table (attrition tiers, rental scale steps, cancellation and notice day tiers).
MAX_TABLE_STEPS = 50
#: Reduction rights, reductions, deposits, taxes and cancellation components of one contract.
MAX_CLAUSE_ITEMS = 50
#: Rows of one pickup report (JSON entries or CSV lines), and cells of the pickup on the cut-off date:
#: every cell of the largest block from two sources and a few more.
MAX_PICKUP_ROWS = 10_000
#: Rooms in one block cell, and room nights in one pickup or inventory figure.
MAX_ROOMS = 100_000
#: Inventory reports and F&B spend lines in one actuals report.
MAX_ACTUALS_ROWS = 1_000
#: Finished blocks in one history import (a large hotel's decade of groups).
MAX_HISTORY_BLOCKS = 10_000
#: Shoulder pickup is for the nights just before arrival and after departure: at most this many either
#: side, so that the cells a contract's pickup history can name stay bounded by its stay.
MAX_SHOULDER_NIGHTS = 7
#: The largest amount, in any currency: enough for any group's revenue, and small enough that every
#: sum and product the engine forms (at most 4,000 cells of 100,000 rooms) stays within Decimal's 28
#: digits, so that rounding to the minor unit never overflows.
MAX_AMOUNT = Decimal(10) ** 12
#: Decimal places of a percentage (82.5 %, 33.3333 %).
MAX_PCT_PLACES = 4
#: Names (property, account, group, contract, room type labels, taxes, payees).
MAX_NAME_CHARS = 200
#: Free text that may run to a paragraph (addresses, version notes, reasons).
MAX_NOTE_CHARS = 500
#: Citations behind one tax rule or profile: a ruling, the statute for its rate, a commentary or two.
MAX_TAX_SOURCES = 10
#: A web address in a citation: real addresses of rulings and guidance are far shorter.
MAX_URL_CHARS = 500
#: Days of a tax rule's notice window (notice received within N days of arrival): ten years, like
#: every other day count of a contract.
MAX_NOTICE_WINDOW_DAYS = 3650
#: The largest rounding step of a contract's rounding term (1,000 currency units): contracts round to
#: cents, nickels, whole units or tens; a larger step would no longer be rounding.
MAX_ROUNDING_STEP = Decimal(1000)

# --- text ------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
#: The JSON Schema forms of the two checks.
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
MULTI_LINE_PATTERN = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f]*$"


class _NoControlCharacters:
    """Refuses control characters (NUL and the like, which PostgreSQL cannot store and no page can
    show), and states the rule in the JSON Schema as a ``pattern``."""

    def __init__(self, *, newlines: bool) -> None:
        self.newlines = newlines
        self.regex = CONTROL_EXCEPT_NEWLINES if newlines else _CONTROL
        self.pattern = MULTI_LINE_PATTERN if newlines else ONE_LINE_PATTERN
        self.message = "must not contain control characters such as NUL or tabs" + (
            "" if newlines else " or line breaks"
        )

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema

    def _check(self, value: str) -> str:
        if self.regex.search(value):
            raise PydanticCustomError("control_character", self.message)
        return value


OneLine = Annotated[str, _NoControlCharacters(newlines=False)]
"""Text on one line: no control characters. Give it a ``max_length`` where it is used."""
MultiLine = Annotated[str, _NoControlCharacters(newlines=True)]
"""Text that may hold line breaks, but no other control characters."""
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS), _NoControlCharacters(newlines=False)]
"""A required name: 1 to 200 characters on one line."""
OptionalName = Annotated[str, Field(max_length=MAX_NAME_CHARS), _NoControlCharacters(newlines=False)]
"""A name that may be empty."""
Note = Annotated[str, Field(max_length=MAX_NOTE_CHARS), _NoControlCharacters(newlines=True)]
"""A paragraph: at most 500 characters, line breaks allowed."""

# --- dates -----------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> date:
    """Dates are ISO ``YYYY-MM-DD`` text (or a date a YAML reader already made); never a number."""
    if isinstance(value, date) and type(value) is date:
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date_format", "'{value}' is not a calendar date", {"value": value}
            ) from None
    raise PydanticCustomError("date_format", "a date is written YYYY-MM-DD, for example 2027-03-29")


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _ISO_DATE.pattern}),
]
"""A calendar date written ``YYYY-MM-DD``: the one date type of every input (bodies, queries, files)."""


# --- counts ----------------------------------------------------------------------------------------


class AtMost:
    """At most ``count`` items, counted before the items are validated (so an oversized list costs no
    more than its length to refuse), with a message in words and ``maxItems`` in the JSON Schema."""

    def __init__(self, count: int, noun: str) -> None:
        self.count = count
        self.noun = noun

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maxItems"] = self.count
        return json_schema

    def _check(self, value: Any) -> Any:
        if isinstance(value, list | tuple | set | frozenset) and len(value) > self.count:
            raise PydanticCustomError(
                "too_long",
                "at most {count} {noun} ({given} given)",
                {"count": f"{self.count:,}", "noun": self.noun, "given": f"{len(value):,}"},
            )
        return value


def parse_iso_date(text: str) -> date:
    """``YYYY-MM-DD`` text as a date; ``ValueError`` for anything else, including the other forms
    ``date.fromisoformat`` accepts (``20270329``, ``2027-W13-1``)."""
    if not _ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    return date.fromisoformat(text)
