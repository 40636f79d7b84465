"""Outside-block audit (issue 17, point 3): match the group's registration list against the hotel's
reservation export, store the proposed pairs, and credit the ones staff confirm.

A confirmed match becomes outside-block pickup through the pickup path every other report takes
(``app.services.actuals``: checked against the block, stored as a snapshot, ``contract_changed`` for the
portfolio snapshot and the webhooks), so the assessment credits it like any other outside-block room
night. The snapshot is written as of today at the hotel, for each credited night, with the cell's
outside-block figure on that day plus one room; rejecting a confirmed match writes the figure less
one as of its day. Nothing is deleted: the pickup history shows each change, and the match keeps which
reservation it was (line, confirmation number, name, dates), who decided and when.

**What a match credits**: one room for each night the reservation shares with the contract's stay
that the block holds; of the reservation's room type when the block holds it (a booking-system code is
read through the hotel's room-type codes), else of the type with the lowest group rate on the first
credited night (the earliest in the block on a tie). The lowest rate is the cautious choice: the
credit never lowers the damages by more than the room night was worth to the block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlmodel import Session

from app.audit_matching import DEFAULT_THRESHOLD, Match, Registrant, Reservation, Stay, is_candidate, match
from app.engine.contract import PickupSource
from app.persistence import audit_repository as audit_repo
from app.persistence import repositories as repo
from app.persistence.records import AuditMatchRecord, AuditRunRecord, utc_now
from app.services.actuals import _save_pickup, parse_pickup_report
from app.services.assessments import hotel_today
from app.services.audit_files import AuditFile, read_registrations, read_reservations
from app.services.auth import Principal
from app.services.contracts import StoredContract, load_contract
from app.services.errors import ConflictError, InvalidInputError, NotFoundError, Problem
from app.services.external_codes import map_room_type


class MatchStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Decision(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


STATUS_LABELS = {
    MatchStatus.PENDING: "Waiting for review",
    MatchStatus.CONFIRMED: "Confirmed: credited",
    MatchStatus.REJECTED: "Rejected",
}
#: The largest block code an audit may name (as the hotel export writes it).
MAX_BLOCK_CODE_CHARS = 64


@dataclass(frozen=True, slots=True)
class AuditDetail:
    run: AuditRunRecord
    matches: Sequence[AuditMatchRecord]


def _permille(value: float) -> int:
    return round(value * 1000)


def credited_room_type(stored: StoredContract, reservation_type: str, first_night: date) -> str:
    """The block room type a match credits (see the module docstring)."""
    known = stored.terms.room_types
    if reservation_type:
        mapped = map_room_type(stored.room_type_codes, known, reservation_type)
        if mapped in known:
            return mapped
    cells = [cell for cell in stored.terms.block if cell.night == first_night] or list(stored.terms.block)
    cheapest = min(cells, key=lambda cell: cell.rate.amount)  # min keeps the first of equal rates
    return cheapest.room_type


def _writable(session: Session, principal: Principal, contract_id: int) -> StoredContract:
    stored = load_contract(session, principal, contract_id)
    principal.require_write(stored.record.property_id, f"contract {contract_id}")
    return stored


def _block_code(stored: StoredContract, given: str | None) -> str | None:
    if given is not None and given.strip():
        code = given.strip()
        if len(code) > MAX_BLOCK_CODE_CHARS or not code.isprintable():
            raise InvalidInputError(
                "the block code cannot be used",
                [Problem("block_code", f"one line of at most {MAX_BLOCK_CODE_CHARS} characters")],
            )
        return code
    return stored.record.block_code


def run_audit(
    session: Session,
    principal: Principal,
    contract_id: int,
    registrations: AuditFile,
    reservations: AuditFile,
    block_code: str | None = None,
) -> AuditDetail:
    """Read both files (refusing either whole on any bad row, before anything is stored), match them
    and store the audit with its proposed pairs, all pending. ``block_code`` defaults to the
    contract's: reservations with that code are already in the block and are not candidates."""
    stored = _writable(session, principal, contract_id)
    code = _block_code(stored, block_code)
    problems: list[Problem] = []
    registrants: list[Registrant] = []
    rows: list[Reservation] = []
    # Both files are read before either is refused, so that one answer names every problem.
    try:
        registrants = read_registrations(registrations)
    except InvalidInputError as error:
        problems.extend(error.problems)
    try:
        rows = read_reservations(reservations)
    except InvalidInputError as error:
        problems.extend(error.problems)
    if problems:
        raise InvalidInputError("the files have problems; nothing was saved", problems)
    terms = stored.terms
    stay = Stay(terms.arrival_date, terms.departure_date)
    block_nights = set(terms.nights)
    found = [
        pair
        for pair in match(registrants, rows, stay, code, DEFAULT_THRESHOLD)
        if any(night in block_nights for night in pair.credited_nights)
    ]
    assert stored.record.id is not None
    run = AuditRunRecord(
        contract_id=stored.record.id,
        created_by=principal.label,
        registrations_file=registrations.filename[:200],
        reservations_file=reservations.filename[:200],
        block_code=code,
        registrant_count=len(registrants),
        reservation_count=len(rows),
        candidate_count=sum(is_candidate(row, stay, code) for row in rows),
        match_count=len(found),
        threshold_permille=_permille(DEFAULT_THRESHOLD),
    )
    records = [_match_record(stored, pair, registrants, rows, block_nights) for pair in found]
    audit_repo.add_audit(session, run, records)
    return AuditDetail(run, records)


def _match_record(
    stored: StoredContract,
    pair: Match,
    registrants: Sequence[Registrant],
    rows: Sequence[Reservation],
    block_nights: set[date],
) -> AuditMatchRecord:
    reg, res = registrants[pair.registrant], rows[pair.reservation]
    nights = [night for night in pair.credited_nights if night in block_nights]
    assert stored.record.id is not None
    return AuditMatchRecord(
        contract_id=stored.record.id,
        audit_id=0,
        registrant_line=reg.line,
        registrant_name=reg.name,
        registrant_arrival=reg.arrival,
        registrant_departure=reg.departure,
        registrant_email=reg.email,
        registrant_company=reg.company,
        reservation_line=res.line,
        confirmation=res.confirmation,
        reservation_name=res.name,
        reservation_arrival=res.arrival,
        reservation_departure=res.departure,
        reservation_email=res.email,
        reservation_company=res.company,
        reservation_room_type=res.room_type,
        reservation_block_code=res.block_code,
        credited_room_type=credited_room_type(stored, res.room_type, nights[0]),
        credited_from=nights[0],
        credited_nights=len(nights),
        confidence_permille=_permille(pair.score.confidence),
        name_permille=_permille(pair.score.name),
        dates_permille=_permille(pair.score.dates),
        email_agrees=pair.score.email,
        company_agrees=pair.score.company,
    )


def list_audits(
    session: Session, principal: Principal, contract_id: int, page: repo.Page
) -> tuple[Sequence[AuditRunRecord], int]:
    load_contract(session, principal, contract_id)
    return audit_repo.audits(session, contract_id, limit=page.limit, offset=page.offset)


def get_audit(session: Session, principal: Principal, contract_id: int, audit_id: int) -> AuditDetail:
    load_contract(session, principal, contract_id)
    run = audit_repo.audit(session, contract_id, audit_id)
    if run is None or run.id is None:
        raise NotFoundError(f"audit {audit_id} of contract {contract_id} not found")
    return AuditDetail(run, audit_repo.matches(session, run.id))


def credited_nights(stored: StoredContract, record: AuditMatchRecord) -> list[date]:
    """The block nights a match credits: from its first, as many as it counted."""
    nights = [night for night in stored.terms.nights if night >= record.credited_from]
    return nights[: record.credited_nights]


def decide_match(
    session: Session,
    principal: Principal,
    contract_id: int,
    audit_id: int,
    match_id: int,
    decision: Decision,
) -> AuditMatchRecord:
    """Confirm (credit) or reject a match. Rejecting a confirmed match takes its credit back in a new
    pickup entry; confirming a rejected one credits it. Refused (409): the decision it already has, and
    confirming a reservation another confirmed match of the contract already credits."""
    stored = _writable(session, principal, contract_id)
    audit_repo.lock_contract(session, contract_id)
    if audit_repo.audit(session, contract_id, audit_id) is None:
        raise NotFoundError(f"audit {audit_id} of contract {contract_id} not found")
    record = audit_repo.match_for_update(session, audit_id, match_id)
    if record is None:
        raise NotFoundError(f"match {match_id} of audit {audit_id} not found")
    target = MatchStatus.CONFIRMED if decision is Decision.CONFIRM else MatchStatus.REJECTED
    if record.status == target:
        raise ConflictError(f"match {match_id} is already {target.value}")
    if target is MatchStatus.CONFIRMED:
        other = audit_repo.confirmed_elsewhere(session, record)
        if other is not None:
            raise ConflictError(
                f"reservation {record.confirmation or record.reservation_name} is already credited "
                f"by match {other.id} of audit {other.audit_id}"
            )
    today = hotel_today(stored.terms.property.timezone)
    if target is MatchStatus.CONFIRMED:
        _credit(session, stored, record, today, principal.label, +1)
        record.credited_as_of = today
    elif record.status == MatchStatus.CONFIRMED:
        _credit(session, stored, record, today, principal.label, -1)
        record.credited_as_of = today
    record.status = target.value
    record.decided_by = principal.label
    record.decided_at = utc_now()
    session.add(record)
    session.flush()
    return record


def _credit(
    session: Session, stored: StoredContract, record: AuditMatchRecord, as_of: date, by: str, rooms: int
) -> None:
    """Add ``rooms`` (1 or -1) to the outside-block pickup of each night the match credits, as of
    ``as_of``, through the pickup path."""
    assert stored.record.id is not None
    current: dict[tuple[date, str], int] = defaultdict(int)
    for row in repo.pickup_as_of(session, stored.record.id, as_of)[0]:
        if row.source == PickupSource.OUTSIDE_BLOCK:
            current[(row.night, row.room_type)] = row.room_nights
    entries = [
        {
            "night": night.isoformat(),
            "room_type": record.credited_room_type,
            "source": PickupSource.OUTSIDE_BLOCK.value,
            "room_nights": max(0, current[(night, record.credited_room_type)] + rooms),
        }
        for night in credited_nights(stored, record)
    ]
    if not entries:
        return
    report = parse_pickup_report(stored, {"as_of": as_of.isoformat(), "entries": entries})
    _save_pickup(session, stored, report, by)
