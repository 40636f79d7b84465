"""Calendar feeds and what a feed reads (all their SQL). Nothing commits; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.persistence.records import CalendarFeedRecord, ContractRecord, ContractVersionRecord, InvoiceRecord

_INTEGER_RANGE = range(-(2**31), 2**31)
# A feed reads an invoice's number, due date and total: never its PDF bytes or render model.
_INVOICE_COLUMNS = (defer(cast(Any, InvoiceRecord.pdf)), defer(cast(Any, InvoiceRecord.document)))


def add_feed(session: Session, record: CalendarFeedRecord) -> CalendarFeedRecord:
    session.add(record)
    session.flush()
    return record


def feed_by_hash(session: Session, token_hash: str) -> CalendarFeedRecord | None:
    return session.exec(select(CalendarFeedRecord).where(CalendarFeedRecord.token_hash == token_hash)).first()


def feeds(
    session: Session,
    property_id: int,
    contract_id: int | None,
    *,
    limit: int,
    offset: int,
    active_only: bool = False,
) -> tuple[Sequence[CalendarFeedRecord], int]:
    """A page of the feeds of a property (``contract_id`` None: the property-wide ones) or of one of its
    contracts, newest first, and how many there are in all (not revoked only, with ``active_only``)."""
    where = [
        CalendarFeedRecord.property_id == property_id,
        col(CalendarFeedRecord.contract_id).is_(None)
        if contract_id is None
        else CalendarFeedRecord.contract_id == contract_id,
    ]
    if active_only:
        where.append(col(CalendarFeedRecord.revoked_at).is_(None))
    total = session.exec(select(sa.func.count()).select_from(CalendarFeedRecord).where(*where)).one()
    records = session.exec(
        select(CalendarFeedRecord)
        .where(*where)
        .order_by(col(CalendarFeedRecord.created_at).desc(), col(CalendarFeedRecord.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return records, int(total)


def feed(
    session: Session, property_id: int, contract_id: int | None, feed_id: int
) -> CalendarFeedRecord | None:
    """The feed ``feed_id`` if it belongs to that property (property-wide) or contract."""
    if feed_id not in _INTEGER_RANGE:
        return None
    found = session.exec(
        select(CalendarFeedRecord).where(
            CalendarFeedRecord.id == feed_id, CalendarFeedRecord.property_id == property_id
        )
    ).first()
    if found is None or found.contract_id != contract_id:
        return None
    return found


def revoke_feed(session: Session, feed_id: int, at: datetime) -> None:
    """Revoke once: a feed already revoked keeps its first revocation time."""
    session.execute(
        sa.update(CalendarFeedRecord)
        .where(col(CalendarFeedRecord.id) == feed_id, col(CalendarFeedRecord.revoked_at).is_(None))
        .values(revoked_at=at)
    )
    session.expire_all()


def open_contracts(
    session: Session, property_id: int, closed: Collection[str], departed_since: date, limit: int
) -> Sequence[ContractRecord]:
    """The property's contracts whose status is not in ``closed`` and that depart on or after
    ``departed_since``, by arrival, at most ``limit`` of them."""
    return session.exec(
        select(ContractRecord)
        .where(
            ContractRecord.property_id == property_id,
            col(ContractRecord.status).not_in(list(closed)),
            ContractRecord.departure_date >= departed_since,
        )
        .order_by(col(ContractRecord.arrival_date), col(ContractRecord.id))
        .limit(limit)
    ).all()


def current_versions(
    session: Session, contracts: Sequence[ContractRecord]
) -> dict[int, ContractVersionRecord]:
    """The version in force of each contract, by contract id, in one query."""
    ids = [record.id for record in contracts if record.id is not None]
    if not ids:
        return {}
    rows = session.exec(
        select(ContractVersionRecord)
        .join(
            ContractRecord,
            sa.and_(
                col(ContractRecord.id) == col(ContractVersionRecord.contract_id),
                col(ContractRecord.current_version) == col(ContractVersionRecord.version),
            ),
        )
        .where(col(ContractRecord.id).in_(ids))
    ).all()
    return {row.contract_id: row for row in rows}


def invoices_of_contracts(session: Session, contract_ids: Collection[int]) -> dict[int, list[InvoiceRecord]]:
    """The invoices and credit notes of each contract (every id is a key), in issue order, in one query."""
    found: dict[int, list[InvoiceRecord]] = {contract_id: [] for contract_id in contract_ids}
    if not found:
        return found
    rows = session.exec(
        select(InvoiceRecord)
        .where(col(InvoiceRecord.contract_id).in_(list(found)))
        .options(*_INVOICE_COLUMNS)
        .order_by(col(InvoiceRecord.sequence_number))
    ).all()
    for row in rows:
        found[row.contract_id].append(row)
    return found
