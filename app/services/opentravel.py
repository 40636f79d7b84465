"""OpenTravel (HTNG profile) group blocks: ``OTA_HotelInvBlockNotifRQ`` creates, replaces and cancels a
block and records its pickup; ``OTA_HotelInvBlockRQ`` reads one back (docs/opentravel.md).

Messages are read with defusedxml, which refuses a DTD, entity declarations and external references
outright, so no entity is ever expanded and nothing is fetched. Each message is bounded in bytes (by the
route) and in elements, blocks, room types, allocations and nights (here, before anything is expanded).
The terms and the pickup go through the same services as the JSON API (``contracts``, ``actuals``), so
they are validated the same way; any problem is an :class:`OtaError` with OpenTravel's error type (EWT)
and code (ERR), and the request writes nothing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import defusedxml  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring as parse_xml  # type: ignore[import-untyped]
from sqlmodel import Session

from app.engine.contract import PickupSource
from app.engine.limits import (
    MAX_BLOCK_CELLS,
    MAX_NIGHTS,
    MAX_PICKUP_ROWS,
    MAX_ROOM_TYPES,
    MAX_ROOMS,
    MAX_SHOULDER_NIGHTS,
)
from app.persistence import repositories as repo
from app.persistence.records import ContractRecord
from app.services import actuals as actuals_service
from app.services import contracts as contract_service
from app.services.auth import Principal
from app.services.contracts import ContractStatus, StoredContract
from app.services.errors import ServiceError
from app.services.external_codes import CODE_PATTERN, MAX_CODE_CHARS, map_room_type, property_by_hotel_code

NS = "http://www.opentravel.org/OTA/2003/05"
MEDIA_TYPES = frozenset({"application/xml", "text/xml"})

#: The largest message, in bytes: a full grid of the largest block with rates is far smaller.
MAX_MESSAGE_BYTES = 1_000_000
#: Elements of one message (a 400-night, 20-type grid sent night by night, with its pickup, fits).
MAX_ELEMENTS = 50_000
#: Blocks of one notification (one block, one hotel, one action per message, as SynXis sends them).
MAX_BLOCKS = 1
#: Block requests of one read.
MAX_REQUESTS = 10
#: Room-type allocation and rate-plan elements of one block.
MAX_ALLOCATIONS = MAX_BLOCK_CELLS
MAX_RATE_PLANS = 1_000
#: Nights of one date range: the longest stay and the shoulder nights either side of it.
MAX_RANGE_NIGHTS = MAX_NIGHTS + 2 * MAX_SHOULDER_NIGHTS

#: ``RoomTypePickUpStatus`` (OpenTravel list INV) of the allocations that are the block (contracted
#: rooms) and of those that are its pickup (rooms sold). Partners use the list differently; these are
#: the readings documented in docs/opentravel.md.
BLOCK_STATUSES = frozenset({"1"})
PICKUP_STATUSES = frozenset({"4"})

# OpenTravel error and warning types (list EWT).
EWT_UNKNOWN = 1
EWT_NO_IMPLEMENTATION = 2
EWT_BUSINESS_RULE = 3
EWT_AUTHENTICATION = 4
EWT_AUTHORIZATION = 6
EWT_PROTOCOL = 7
EWT_REQUIRED_FIELD = 10
EWT_ADVISORY = 11
EWT_PROCESSING = 12

# OpenTravel error codes (list ERR).
ERR_INVALID_DATE = 15
ERR_INVALID_CURRENCY = 61
ERR_END_DATE = 135
ERR_START_DATE = 136
ERR_INVALID_VALUE = 320
ERR_REQUIRED = 321
ERR_INVALID_HOTEL_CODE = 392
ERR_INVALID_FORMAT = 367
ERR_INVALID_ROOM_TYPE = 402
ERR_DATE_RANGE = 404
ERR_SYSTEM = 448
ERR_UNABLE = 450
ERR_AUTHORIZATION = 497
ERR_RATE_NOT_LOADED = 842

_DURATION = re.compile(r"^P(?:(\d{1,4})W|(\d{1,5})D)$")
_CODE = re.compile(CODE_PATTERN)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(T|$)")


@dataclass(frozen=True, slots=True)
class Issue:
    """One ``Error`` or ``Warning`` of a response: its type (EWT), code (ERR), text and failing block."""

    type: int
    code: int | None
    text: str
    record_id: str | None = None


class OtaError(Exception):
    """A message that cannot be processed: answered with ``Errors`` and the HTTP ``status``."""

    def __init__(self, status: int, issues: Sequence[Issue]) -> None:
        super().__init__("; ".join(issue.text for issue in issues))
        self.status = status
        self.issues = tuple(issues)


def _fail(status: int, type_: int, code: int | None, text: str, record_id: str | None = None) -> OtaError:
    return OtaError(status, [Issue(type_, code, text, record_id)])


# Service errors by HTTP status: their OpenTravel type and code.
_SERVICE_ISSUES = {
    401: (EWT_AUTHENTICATION, ERR_AUTHORIZATION),
    403: (EWT_AUTHORIZATION, ERR_AUTHORIZATION),
    404: (EWT_BUSINESS_RULE, ERR_INVALID_VALUE),
    409: (EWT_BUSINESS_RULE, ERR_UNABLE),
    412: (EWT_PROCESSING, ERR_UNABLE),
    422: (EWT_BUSINESS_RULE, ERR_INVALID_VALUE),
}


def from_service_error(error: ServiceError, record_id: str | None = None) -> OtaError:
    """A service error as OpenTravel errors: one per problem (its message, never its field path)."""
    type_, code = _SERVICE_ISSUES.get(error.status, (EWT_PROCESSING, ERR_UNABLE))
    texts = [problem.message for problem in error.problems if problem.message] or [error.detail]
    if error.problems and error.detail:
        texts = [f"{error.detail}: {text}" for text in texts]
    return OtaError(error.status, [Issue(type_, code, text, record_id) for text in texts])


# --- reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """The request attributes echoed in the response."""

    echo_token: str | None = None
    version: str = "1.000"
    timestamp: datetime | None = None


def read_message(raw: bytes) -> ET.Element:
    """The root element of ``raw``; refuses a DTD, entities and external references before expanding
    anything, and anything that is not well-formed XML."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise too_large()
    if not raw.strip():
        raise _fail(
            400, EWT_PROTOCOL, ERR_INVALID_FORMAT, "the message is empty: send an OpenTravel XML message"
        )
    try:
        root: ET.Element = parse_xml(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise _fail(
            400, EWT_PROTOCOL, ERR_INVALID_FORMAT, "a document type declaration (DTD) is refused"
        ) from None
    except defusedxml.EntitiesForbidden:
        raise _fail(400, EWT_PROTOCOL, ERR_INVALID_FORMAT, "entity declarations are refused") from None
    except defusedxml.ExternalReferenceForbidden:
        raise _fail(400, EWT_PROTOCOL, ERR_INVALID_FORMAT, "external references are refused") from None
    except ET.ParseError as error:
        raise _fail(
            400, EWT_PROTOCOL, ERR_INVALID_FORMAT, f"the message is not well-formed XML ({error})"
        ) from None
    except (ValueError, RecursionError) as error:
        raise _fail(400, EWT_PROTOCOL, ERR_INVALID_FORMAT, f"the message cannot be read ({error})") from None
    for count, _ in enumerate(root.iter(), start=1):
        if count > MAX_ELEMENTS:
            raise _fail(400, EWT_PROTOCOL, ERR_UNABLE, f"a message holds at most {MAX_ELEMENTS:,} elements")
    return root


def too_large() -> OtaError:
    return _fail(413, EWT_PROTOCOL, ERR_UNABLE, f"a message may be at most {MAX_MESSAGE_BYTES:,} bytes")


def check_root(root: ET.Element, expected: str) -> None:
    """The root must be ``expected`` in the OpenTravel 2003/05 namespace."""
    namespace, _, name = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if namespace != NS:
        shown = namespace or "no namespace"
        raise _fail(
            400,
            EWT_PROTOCOL,
            ERR_INVALID_FORMAT,
            f"the message must be in the namespace {NS} ({shown} given)",
        )
    if name != expected:
        raise _fail(400, EWT_NO_IMPLEMENTATION, ERR_UNABLE, f"this address takes {expected}, not {name}")


def required_timestamp(echo: Envelope, root: ET.Element) -> datetime:
    """The message's TimeStamp: pickup and notices are dated by it."""
    if echo.timestamp is None:
        text = root.get("TimeStamp")
        if text is None:
            raise _fail(
                422,
                EWT_REQUIRED_FIELD,
                ERR_REQUIRED,
                "the message needs a TimeStamp (its date dates the pickup)",
            )
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_INVALID_DATE,
            f"TimeStamp {text[:40]!r} is not an ISO 8601 date and time",
        )
    return echo.timestamp


def envelope(root: ET.Element) -> Envelope:
    echo = root.get("EchoToken")
    version = root.get("Version") or "1.000"
    if echo is not None and len(echo) > 128:
        echo = None
    if len(version) > 16 or not re.fullmatch(r"\d{1,4}(\.\d{1,4})?", version):
        version = "1.000"
    stamp: datetime | None = None
    text = root.get("TimeStamp")
    if text is not None:
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            stamp = None
    return Envelope(echo, version, stamp)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return element.findall(_q(name))


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return element.find(_q(name))


def _required(element: ET.Element | None, attribute: str, where: str, record_id: str | None) -> str:
    value = None if element is None else element.get(attribute)
    if value is None or not value.strip():
        raise _fail(422, EWT_REQUIRED_FIELD, ERR_REQUIRED, f"{where} needs {attribute}", record_id)
    return value.strip()


def _date(text: str, what: str, code: int, record_id: str | None) -> date:
    """An xs:date, or the date of an xs:dateTime (``2027-10-14``, ``2027-10-14T00:00:00``)."""
    try:
        if _ISO_DAY.match(text):
            return date.fromisoformat(text[:10])
    except ValueError:
        pass
    raise _fail(422, EWT_BUSINESS_RULE, code, f"{what} {text[:40]!r} is not a date (YYYY-MM-DD)", record_id)


def _code(text: str, what: str, record_id: str | None) -> str:
    if len(text) > MAX_CODE_CHARS or not _CODE.match(text):
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_INVALID_VALUE,
            f"{what} {text[:40]!r} is not a code (1 to {MAX_CODE_CHARS} letters, digits and - _ . /)",
            record_id,
        )
    return text


def _units(text: str | None, record_id: str | None) -> int:
    if text is None or not re.fullmatch(r"\d{1,9}", text.strip()) or int(text) > MAX_ROOMS:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_INVALID_VALUE,
            f"NumberOfUnits must be a whole number of rooms from 0 to {MAX_ROOMS:,} ({text!r} given)",
            record_id,
        )
    return int(text)


@dataclass(frozen=True, slots=True)
class Allocation:
    room_type_code: str
    status: str
    first_night: date
    last_night: date
    units: int

    def nights(self) -> Iterator[date]:
        night = self.first_night
        while night <= self.last_night:
            yield night
            night += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Rate:
    room_type_code: str
    currency: str
    amount: Decimal
    first_night: date | None
    last_night: date | None

    def covers(self, night: date) -> bool:
        return (self.first_night is None or self.first_night <= night) and (
            self.last_night is None or night <= self.last_night
        )


@dataclass(frozen=True, slots=True)
class Cutoff:
    absolute: date | None = None
    offset_days: int | None = None
    after_creation: bool = False


@dataclass(slots=True)
class BlockMessage:
    hotel_code: str
    block_code: str
    action: str
    name: str
    start: date | None
    end: date | None
    cutoff: Cutoff | None
    allocations: list[Allocation] = field(default_factory=list)
    rates: list[Rate] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


def _range(element: ET.Element, record_id: str, what: str, *, bounded: bool = True) -> tuple[date, date]:
    """The nights from ``Start`` to ``End`` (both included), or ``Duration`` nights from ``Start``, or the
    one night ``Start``; ``bounded``: at most ``MAX_RANGE_NIGHTS`` (ranges that are expanded night by
    night; a rate plan's range is only compared with)."""
    start = _date(_required(element, "Start", what, record_id), f"{what} Start", ERR_START_DATE, record_id)
    end_text = element.get("End")
    duration = element.get("Duration")
    if end_text is not None:
        end = _date(end_text, f"{what} End", ERR_END_DATE, record_id)
    elif duration is not None:
        end = start + timedelta(days=max(_duration_days(duration, record_id) - 1, 0))
    else:
        end = start
    if end < start:
        raise _fail(
            422, EWT_BUSINESS_RULE, ERR_DATE_RANGE, f"{what} ends {end} before it starts {start}", record_id
        )
    if bounded and (end - start).days + 1 > MAX_RANGE_NIGHTS:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_DATE_RANGE,
            f"{what} spans more than {MAX_RANGE_NIGHTS} nights",
            record_id,
        )
    return start, end


def _duration_days(text: str, record_id: str | None) -> int:
    match = _DURATION.match(text.strip())
    if match is None:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_INVALID_FORMAT,
            f"duration {text[:40]!r} is not days or weeks (P21D, P3W)",
            record_id,
        )
    weeks, days = match.groups()
    total = int(weeks) * 7 if weeks else int(days)
    if total > 3650:
        raise _fail(
            422, EWT_BUSINESS_RULE, ERR_INVALID_VALUE, f"duration {text} is over ten years", record_id
        )
    return total


def _amount(text: str, record_id: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 12 or len(text) > 40:
        raise _fail(
            422, EWT_BUSINESS_RULE, ERR_INVALID_VALUE, f"amount {text[:40]!r} is not a rate", record_id
        )
    return amount


def _rates(room_type: ET.Element, code: str, block_code: str, warnings: list[Issue]) -> list[Rate]:
    rates: list[Rate] = []
    plans = _child(room_type, "RatePlans")
    for plan in [] if plans is None else _children(plans, "RatePlan"):
        currency = _required(plan, "CurrencyCode", "RatePlan", block_code)
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise _fail(
                422,
                EWT_BUSINESS_RULE,
                ERR_INVALID_CURRENCY,
                f"currency {currency[:10]!r} is not an ISO 4217 code",
                block_code,
            )
        first: date | None = None
        last: date | None = None
        if plan.get("Start") is not None:
            first, last = _range(plan, block_code, "RatePlan", bounded=False)
            if plan.get("End") is None and plan.get("Duration") is None:
                last = None  # from Start on
        amounts = _child(plan, "BaseByGuestAmts")
        guests = [] if amounts is None else _children(amounts, "BaseByGuestAmt")
        if not guests:
            raise _fail(
                422,
                EWT_REQUIRED_FIELD,
                ERR_RATE_NOT_LOADED,
                f"rate plan of room type {code} has no BaseByGuestAmt",
                block_code,
            )

        def occupancy(amount: ET.Element) -> int:
            text = amount.get("NumberOfGuests", "")
            return int(text) if text.isdigit() and len(text) < 4 else 999

        base = min(guests, key=occupancy)
        before, after = base.get("AmountBeforeTax"), base.get("AmountAfterTax")
        if before is None and after is None:
            raise _fail(
                422,
                EWT_REQUIRED_FIELD,
                ERR_RATE_NOT_LOADED,
                f"the rate of room type {code} has no amount",
                block_code,
            )
        if before is None:
            assert after is not None
            warnings.append(
                Issue(
                    EWT_ADVISORY,
                    ERR_INVALID_VALUE,
                    f"room type {code}: the amount after tax is kept as the block rate",
                    block_code,
                )
            )
        rates.append(
            Rate(
                code, currency, _amount(before if before is not None else str(after), block_code), first, last
            )
        )
    return rates


def read_notification(root: ET.Element) -> BlockMessage:
    """The block an ``OTA_HotelInvBlockNotifRQ`` carries, with its bounds checked."""
    check_root(root, "OTA_HotelInvBlockNotifRQ")
    blocks_element = _child(root, "InvBlocks")
    blocks = [] if blocks_element is None else _children(blocks_element, "InvBlock")
    if not blocks:
        raise _fail(422, EWT_REQUIRED_FIELD, ERR_REQUIRED, "the message holds no InvBlocks/InvBlock")
    if len(blocks) > MAX_BLOCKS:
        raise _fail(422, EWT_BUSINESS_RULE, ERR_UNABLE, f"send one block per message ({len(blocks)} given)")
    assert blocks_element is not None
    block = blocks[0]
    block_code = _code(_required(block, "InvBlockCode", "InvBlock", None), "InvBlockCode", None)
    # HotelRef inside the block, or (SynXis RMS) directly under InvBlocks.
    hotel_ref = _child(block, "HotelRef")
    if hotel_ref is None:
        hotel_ref = _child(blocks_element, "HotelRef")
    hotel_code = _code(_required(hotel_ref, "HotelCode", "HotelRef", block_code), "HotelCode", block_code)
    action = (block.get("TransactionAction") or "Book").strip()
    if action not in {"Book", "Modify", "Cancel"}:
        raise _fail(
            422,
            EWT_NO_IMPLEMENTATION,
            ERR_UNABLE,
            f"TransactionAction {action[:20]!r} is not taken (Book, Modify or Cancel)",
            block_code,
        )
    name = (block.get("InvBlockLongName") or block.get("InvBlockName") or "").strip()[:200]
    message = BlockMessage(hotel_code, block_code, action, name, None, None, None)
    dates = _child(block, "InvBlockDates")
    if dates is not None and dates.get("Start") is not None:
        message.start = _date(dates.get("Start", ""), "InvBlockDates Start", ERR_START_DATE, block_code)
        end = dates.get("End")
        if end is not None:
            message.end = _date(end, "InvBlockDates End", ERR_END_DATE, block_code)
        elif dates.get("Duration") is not None:
            message.end = message.start + timedelta(
                days=_duration_days(dates.get("Duration", ""), block_code)
            )
    if dates is not None:
        message.cutoff = _cutoff(dates, block_code)
    if action == "Cancel":
        return message
    room_types_element = _child(block, "RoomTypes")
    room_types = [] if room_types_element is None else _children(room_types_element, "RoomType")
    if len(room_types) > MAX_ROOM_TYPES:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_UNABLE,
            f"a block has at most {MAX_ROOM_TYPES} room types ({len(room_types)} given)",
            block_code,
        )
    allocations = 0
    rate_plans = 0
    ignored: set[str] = set()
    for room_type in room_types:
        code = _code(_required(room_type, "RoomTypeCode", "RoomType", block_code), "RoomTypeCode", block_code)
        for group in _children(room_type, "RoomTypeAllocations"):
            status = (group.get("RoomTypePickUpStatus") or "").strip()
            items = _children(group, "RoomTypeAllocation")
            allocations += len(items)
            if allocations > MAX_ALLOCATIONS:
                raise _fail(
                    422,
                    EWT_BUSINESS_RULE,
                    ERR_UNABLE,
                    f"a block has at most {MAX_ALLOCATIONS:,} allocations",
                    block_code,
                )
            if status not in BLOCK_STATUSES | PICKUP_STATUSES:
                ignored.add(status or "(none)")
                continue
            for item in items:
                first, last = _range(item, block_code, f"allocation of room type {code}")
                message.allocations.append(
                    Allocation(code, status, first, last, _units(item.get("NumberOfUnits"), block_code))
                )
        rate_plans += len(room_type.findall(f"{_q('RatePlans')}/{_q('RatePlan')}"))
        if rate_plans > MAX_RATE_PLANS:
            raise _fail(
                422,
                EWT_BUSINESS_RULE,
                ERR_UNABLE,
                f"a block has at most {MAX_RATE_PLANS:,} rate plans",
                block_code,
            )
        message.rates += _rates(room_type, code, block_code, message.warnings)
    nights = sum((a.last_night - a.first_night).days + 1 for a in message.allocations)
    if nights > MAX_PICKUP_ROWS:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_UNABLE,
            f"the allocations cover more than {MAX_PICKUP_ROWS:,} room nights cells",
            block_code,
        )
    for status in sorted(ignored):
        message.warnings.append(
            Issue(
                EWT_ADVISORY,
                ERR_INVALID_VALUE,
                f"allocations with RoomTypePickUpStatus {status[:10]} were not read (block: "
                f"{', '.join(sorted(BLOCK_STATUSES))}; pickup: {', '.join(sorted(PICKUP_STATUSES))})",
                block_code,
            )
        )
    return message


def _cutoff(dates: ET.Element, block_code: str) -> Cutoff | None:
    absolute = dates.get("AbsoluteCutoff")
    if absolute is not None:
        return Cutoff(absolute=_date(absolute, "AbsoluteCutoff", ERR_INVALID_DATE, block_code))
    offset = dates.get("OffsetDuration")
    if offset is None:
        return None
    mode = (dates.get("OffsetCalculationMode") or "BeforeBlockStartDate").strip()
    if mode not in {"BeforeBlockStartDate", "AfterBlockCreation"}:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_INVALID_VALUE,
            f"OffsetCalculationMode {mode[:30]!r} is not taken",
            block_code,
        )
    return Cutoff(offset_days=_duration_days(offset, block_code), after_creation=mode == "AfterBlockCreation")


# --- applying a notification ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotifOutcome:
    block_code: str
    contract_id: int
    reference: str
    warnings: tuple[Issue, ...]


def local_date(stamp: datetime, timezone: str) -> date:
    """The hotel's calendar date at ``stamp`` (a message's TimeStamp; one without a zone is read as the
    hotel's own time)."""
    if stamp.tzinfo is None:
        return stamp.date()
    try:
        return stamp.astimezone(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return stamp.astimezone(UTC).date()


def _block_terms(
    message: BlockMessage, codes: dict[str, str], created: date, current: dict[str, Any] | None
) -> dict[str, Any]:
    """The contract terms the message's grid makes: from ``current`` (the stored terms, whose clauses
    the message cannot carry and keeps) with the dates, cut-off, currency and block replaced."""
    record_id = message.block_code
    block = [a for a in message.allocations if a.status in BLOCK_STATUSES]
    if message.start is None:
        raise _fail(422, EWT_REQUIRED_FIELD, ERR_REQUIRED, "InvBlockDates needs Start", record_id)
    last_night = max(a.last_night for a in block)
    if message.end is not None and message.end > last_night:
        departure = message.end
    else:  # End names the last night (or is absent): the stay ends the morning after it
        departure = last_night + timedelta(days=1)
    currencies = {rate.currency for rate in message.rates}
    if len(currencies) > 1:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_INVALID_CURRENCY,
            f"the rates are in several currencies ({', '.join(sorted(currencies))})",
            record_id,
        )
    cells = []
    for allocation in block:
        room_type = map_room_type(codes, (), allocation.room_type_code)
        for night in allocation.nights():
            rate = next(
                (
                    r
                    for r in message.rates
                    if r.room_type_code == allocation.room_type_code and r.covers(night)
                ),
                None,
            )
            if rate is None:
                raise _fail(
                    422,
                    EWT_BUSINESS_RULE,
                    ERR_RATE_NOT_LOADED,
                    f"no rate for room type {allocation.room_type_code} on {night}",
                    record_id,
                )
            cells.append(
                {
                    "night": night.isoformat(),
                    "room_type": room_type,
                    "rooms": allocation.units,
                    "rate": str(rate.amount),
                }
            )
    terms: dict[str, Any] = dict(current or {})
    terms.pop("property", None)
    name = message.name or terms.get("name") or message.block_code
    terms.update(
        name=name,
        currency=next(iter(currencies)),
        arrival_date=message.start.isoformat(),
        departure_date=departure.isoformat(),
        block=cells,
    )
    terms.setdefault("group", {"name": name})
    cutoff = message.cutoff
    if cutoff is not None:
        if cutoff.absolute is not None:
            day = cutoff.absolute
        elif cutoff.after_creation:
            day = created + timedelta(days=cutoff.offset_days or 0)
        else:
            day = message.start - timedelta(days=cutoff.offset_days or 0)
        terms["cutoff_date"] = day.isoformat()
    return terms


def apply_notification(
    session: Session, principal: Principal, message: BlockMessage, stamp: datetime
) -> NotifOutcome:
    """Create, replace or cancel the block and record its pickup, as the message says; writes nothing
    that it does not finish (the caller commits only on success)."""
    record_id = message.block_code
    try:
        prop = property_by_hotel_code(session, principal, message.hotel_code)
    except ServiceError:
        raise _fail(
            422,
            EWT_BUSINESS_RULE,
            ERR_INVALID_HOTEL_CODE,
            f"no hotel has the code {message.hotel_code}",
            record_id,
        ) from None
    assert prop.id is not None
    try:
        principal.require_write(prop.id, f"hotel {message.hotel_code}")
        day = local_date(stamp, prop.timezone)
        existing = repo.contract_by_block_code(session, prop.id, message.block_code)
        warnings = list(message.warnings)
        if message.action == "Cancel":
            if existing is None or existing.id is None:
                raise _fail(
                    422,
                    EWT_BUSINESS_RULE,
                    ERR_INVALID_VALUE,
                    f"hotel {message.hotel_code} has no block {message.block_code}",
                    record_id,
                )
            warnings += _cancel(session, principal, existing, day)
            return NotifOutcome(message.block_code, existing.id, existing.reference, tuple(warnings))
        has_grid = any(a.status in BLOCK_STATUSES for a in message.allocations)
        if has_grid:
            codes = repo.room_type_codes(session, prop.id)
            current = None
            created = day
            if existing is not None and existing.id is not None:
                version = repo.contract_version(session, existing.id, existing.current_version)
                current = None if version is None else version.terms
                created = existing.created_at.date()
            terms = _block_terms(message, codes, created, current)
            stored, _ = contract_service.upsert_contract_by_code(
                session,
                principal,
                prop.id,
                message.block_code,
                None if existing is None else existing.revision,
                {"contract": terms, "note": f"OpenTravel {message.action}"},
            )
        elif existing is None or existing.id is None:
            raise _fail(
                422,
                EWT_REQUIRED_FIELD,
                ERR_REQUIRED,
                f"block {message.block_code} is new: send its allocations (RoomTypePickUpStatus "
                f"{', '.join(sorted(BLOCK_STATUSES))}) with rates",
                record_id,
            )
        else:
            stored = contract_service.load_contract(session, principal, existing.id)
        _record_pickup(session, principal, stored, message, day)
        assert stored.record.id is not None
        return NotifOutcome(message.block_code, stored.record.id, stored.record.reference, tuple(warnings))
    except ServiceError as error:
        raise from_service_error(error, record_id) from None


def _record_pickup(
    session: Session, principal: Principal, stored: StoredContract, message: BlockMessage, day: date
) -> None:
    pickup = [a for a in message.allocations if a.status in PICKUP_STATUSES]
    if not pickup:
        return
    known = stored.terms.room_types
    entries = []
    for allocation in pickup:
        room_type = map_room_type(stored.room_type_codes, known, allocation.room_type_code)
        if room_type not in known:
            raise _fail(
                422,
                EWT_BUSINESS_RULE,
                ERR_INVALID_ROOM_TYPE,
                f"room type {allocation.room_type_code} is not in the block ({', '.join(known)})",
                message.block_code,
            )
        entries += [
            {
                "night": night.isoformat(),
                "room_type": room_type,
                "room_nights": allocation.units,
                "source": PickupSource.IN_BLOCK,
            }
            for night in allocation.nights()
        ]
    report = actuals_service.parse_pickup_report(stored, {"as_of": day.isoformat(), "entries": entries})
    actuals_service.save_pickup(session, stored, report, principal.label)


def _cancel(session: Session, principal: Principal, record: ContractRecord, day: date) -> list[Issue]:
    """Mark the contract cancelled and, where its terms have a cancellation clause, record the notice."""
    assert record.id is not None
    version = repo.contract_version(session, record.id, record.current_version)
    terms = {} if version is None else dict(version.terms)
    terms.pop("property", None)
    contract_service.update_contract(
        session,
        principal,
        record.id,
        record.revision,
        {"status": ContractStatus.CANCELLED, "account_id": record.account_id, "contract": terms},
    )
    stored = contract_service.load_contract(session, principal, record.id)
    if stored.terms.cancellation is None:
        return [
            Issue(
                EWT_ADVISORY,
                None,
                "the block is cancelled; its contract has no cancellation clause, so no cancellation "
                "notice was recorded",
                record.block_code,
            )
        ]
    if day > stored.terms.arrival_date:
        return [
            Issue(
                EWT_ADVISORY,
                None,
                f"the block is cancelled after arrival ({day}): no notice recorded",
                record.block_code,
            )
        ]
    actuals_service.record_actuals(
        session, principal, record.id, {"as_of": day.isoformat(), "cancellation_notice_date": day.isoformat()}
    )
    return []


# --- reading a block ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockRequest:
    hotel_code: str
    block_code: str


def read_block_requests(root: ET.Element) -> list[BlockRequest]:
    check_root(root, "OTA_HotelInvBlockRQ")
    container = _child(root, "HotelInvBlockRequests")
    requests = [] if container is None else _children(container, "HotelInvBlockRequest")
    if not requests:
        raise _fail(
            422,
            EWT_REQUIRED_FIELD,
            ERR_REQUIRED,
            "the message holds no HotelInvBlockRequests/HotelInvBlockRequest",
        )
    if len(requests) > MAX_REQUESTS:
        raise _fail(422, EWT_BUSINESS_RULE, ERR_UNABLE, f"at most {MAX_REQUESTS} block requests per message")
    read = []
    for request in requests:
        block = _child(request, "InvBlock")
        if block is None or not block.get("InvBlockCode"):
            raise _fail(
                422,
                EWT_NO_IMPLEMENTATION,
                ERR_REQUIRED,
                "name the block (InvBlock InvBlockCode): searching by dates is not offered",
            )
        block_code = _code(block.get("InvBlockCode", ""), "InvBlockCode", None)
        hotel = _child(request, "HotelRef")
        hotel_code = _code(_required(hotel, "HotelCode", "HotelRef", block_code), "HotelCode", block_code)
        read.append(BlockRequest(hotel_code, block_code))
    return read


@dataclass(frozen=True, slots=True)
class BlockView:
    """A stored block as the response shows it: codes, dates, the grid and the pickup, with room types
    written as the hotel's booking-system codes where it has one for them."""

    hotel_code: str
    block_code: str
    name: str
    cancelled: bool
    arrival: date
    departure: date
    cutoff: date | None
    currency: str
    grid: dict[str, list[tuple[date, int, Decimal]]]
    pickup: dict[str, list[tuple[date, int]]]


def load_block(session: Session, principal: Principal, request: BlockRequest, now: datetime) -> BlockView:
    """The block ``request`` names, with its pickup as of ``now`` at the hotel."""
    try:
        prop = property_by_hotel_code(session, principal, request.hotel_code)
    except ServiceError:
        raise _fail(
            404,
            EWT_BUSINESS_RULE,
            ERR_INVALID_HOTEL_CODE,
            f"no hotel has the code {request.hotel_code}",
            request.block_code,
        ) from None
    assert prop.id is not None
    record = repo.contract_by_block_code(session, prop.id, request.block_code)
    if record is None or record.id is None:
        raise _fail(
            404,
            EWT_BUSINESS_RULE,
            ERR_INVALID_VALUE,
            f"hotel {request.hotel_code} has no block {request.block_code}",
            request.block_code,
        )
    try:
        stored = contract_service.load_contract(session, principal, record.id)
    except ServiceError as error:
        raise from_service_error(error, request.block_code) from None
    terms = stored.terms
    names = _code_names(stored.room_type_codes)
    grid: dict[str, list[tuple[date, int, Decimal]]] = defaultdict(list)
    for cell in sorted(terms.block, key=lambda cell: (cell.room_type, cell.night)):
        grid[names.get(cell.room_type, cell.room_type)].append((cell.night, cell.rooms, cell.rate.amount))
    as_of = local_date(now, prop.timezone)
    rooms: dict[tuple[str, date], int] = defaultdict(int)
    for row in repo.pickup_as_of(session, record.id, as_of)[0]:
        if row.source == PickupSource.IN_BLOCK:
            rooms[(names.get(row.room_type, row.room_type), row.night)] += row.room_nights
    pickup: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for (code, night), count in sorted(rooms.items()):
        pickup[code].append((night, count))
    return BlockView(
        request.hotel_code,
        request.block_code,
        terms.name,
        record.status == ContractStatus.CANCELLED,
        terms.arrival_date,
        terms.departure_date,
        terms.cutoff_date,
        terms.currency,
        dict(grid),
        dict(pickup),
    )


def _code_names(codes: dict[str, str] | Any) -> dict[str, str]:
    """Room type -> the one code that names it (a room type with several codes keeps its own name)."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for code, room_type in dict(codes).items():
        by_type[room_type].append(code)
    return {room_type: found[0] for room_type, found in by_type.items() if len(found) == 1}


# --- writing responses --------------------------------------------------------------------------------


def _element(parent: ET.Element, name: str, **attributes: str | None) -> ET.Element:
    return ET.SubElement(
        parent, _q(name), {key: value for key, value in attributes.items() if value is not None}
    )


def _root(name: str, echo: Envelope, now: datetime) -> ET.Element:
    attributes = {"TimeStamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": echo.version}
    if echo.echo_token is not None:
        attributes = {"EchoToken": echo.echo_token, **attributes}
    return ET.Element(_q(name), attributes)


def _issues(parent: ET.Element, container: str, name: str, issues: Iterable[Issue]) -> None:
    holder = _element(parent, container)
    for issue in issues:
        item = _element(
            holder,
            name,
            Type=str(issue.type),
            Code=None if issue.code is None else str(issue.code),
            RecordID=issue.record_id,
        )
        item.text = issue.text


def _serialise(root: ET.Element) -> bytes:
    ET.register_namespace("", NS)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def error_response(name: str, echo: Envelope, issues: Sequence[Issue], now: datetime) -> bytes:
    root = _root(name, echo, now)
    _issues(root, "Errors", "Error", issues)
    return _serialise(root)


def notif_response(echo: Envelope, outcome: NotifOutcome, now: datetime) -> bytes:
    root = _root("OTA_HotelInvBlockNotifRS", echo, now)
    _element(root, "Success")
    if outcome.warnings:
        _issues(root, "Warnings", "Warning", outcome.warnings)
    refs = _element(root, "InvBlockCodeRefs")
    _element(
        refs, "InvBlockCodeRef", InvBlockCode=outcome.block_code, InvSystemInvBlockCode=outcome.reference
    )
    return _serialise(root)


def _runs(cells: Sequence[tuple[date, Any]]) -> list[tuple[date, date, Any]]:
    """Consecutive nights with the same value as (first night, last night, value)."""
    runs: list[tuple[date, date, Any]] = []
    for night, value in cells:
        if runs and runs[-1][1] + timedelta(days=1) == night and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], night, value)
        else:
            runs.append((night, night, value))
    return runs


def block_response(echo: Envelope, views: Sequence[BlockView], now: datetime) -> bytes:
    root = _root("OTA_HotelInvBlockRS", echo, now)
    _element(root, "Success")
    blocks = _element(root, "InvBlocks")
    for view in views:
        block = _element(
            blocks,
            "InvBlock",
            InvBlockCode=view.block_code,
            InvBlockLongName=view.name or None,
            BookingStatus="Closed" if view.cancelled else "Open",
        )
        _element(block, "HotelRef", HotelCode=view.hotel_code)
        _element(
            block,
            "InvBlockDates",
            Start=view.arrival.isoformat(),
            End=view.departure.isoformat(),
            AbsoluteCutoff=None if view.cutoff is None else view.cutoff.isoformat(),
        )
        room_types = _element(block, "RoomTypes")
        for code in sorted(set(view.grid) | set(view.pickup)):
            room_type = _element(room_types, "RoomType", RoomTypeCode=code)
            cells = view.grid.get(code, [])
            allocated = _element(room_type, "RoomTypeAllocations", RoomTypePickUpStatus=min(BLOCK_STATUSES))
            for first, last, units in _runs([(night, rooms) for night, rooms, _ in cells]):
                _element(
                    allocated,
                    "RoomTypeAllocation",
                    Start=first.isoformat(),
                    End=last.isoformat(),
                    NumberOfUnits=str(units),
                )
            if code in view.pickup:
                picked = _element(room_type, "RoomTypeAllocations", RoomTypePickUpStatus=min(PICKUP_STATUSES))
                for first, last, units in _runs(view.pickup[code]):
                    _element(
                        picked,
                        "RoomTypeAllocation",
                        Start=first.isoformat(),
                        End=last.isoformat(),
                        NumberOfUnits=str(units),
                    )
            if cells:
                plans = _element(room_type, "RatePlans")
                for first, last, amount in _runs([(night, rate) for night, _, rate in cells]):
                    plan = _element(
                        plans,
                        "RatePlan",
                        CurrencyCode=view.currency,
                        Start=first.isoformat(),
                        End=last.isoformat(),
                    )
                    amounts = _element(plan, "BaseByGuestAmts")
                    _element(amounts, "BaseByGuestAmt", AmountBeforeTax=str(amount))
    return _serialise(root)
