"""The SQL of the hotel's inventory per night (``hotel_inventory``): reports appended, then read as they
stood on a date. Like every repository, it adds and queries and never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlmodel import Session, col, func, select

from app.persistence.records import ContractRecord, HotelInventoryRecord, InvoiceRecord


def add_nights(session: Session, rows: Iterable[HotelInventoryRecord]) -> None:
    session.add_all(list(rows))
    session.flush()


def nights_as_of(
    session: Session, property_id: int, first: date, last: date, as_of: date
) -> list[HotelInventoryRecord]:
    """For each night from ``first`` to ``last`` (inclusive) that a report covers, the latest report of
    it dated on or before ``as_of`` (of two reports of one date, the one written last), by night."""
    rows = session.exec(
        select(HotelInventoryRecord)
        .where(
            HotelInventoryRecord.property_id == property_id,
            col(HotelInventoryRecord.night) >= first,
            col(HotelInventoryRecord.night) <= last,
            col(HotelInventoryRecord.as_of) <= as_of,
        )
        .order_by(col(HotelInventoryRecord.as_of), col(HotelInventoryRecord.id))
    ).all()
    latest = {row.night: row for row in rows}
    return [latest[night] for night in sorted(latest)]


def night_span(session: Session, property_id: int) -> tuple[date, date] | None:
    """The first and last night any report of the property covers, or None without reports."""
    first, last = session.exec(
        select(func.min(HotelInventoryRecord.night), func.max(HotelInventoryRecord.night)).where(
            HotelInventoryRecord.property_id == property_id
        )
    ).one()
    return None if first is None or last is None else (first, last)


def history(session: Session, property_id: int, first: date, last: date) -> Sequence[HotelInventoryRecord]:
    """Every report of the nights from ``first`` to ``last``, in the order written (who entered what)."""
    return session.exec(
        select(HotelInventoryRecord)
        .where(
            HotelInventoryRecord.property_id == property_id,
            col(HotelInventoryRecord.night) >= first,
            col(HotelInventoryRecord.night) <= last,
        )
        .order_by(
            col(HotelInventoryRecord.night),
            col(HotelInventoryRecord.recorded_at),
            col(HotelInventoryRecord.id),
        )
    ).all()


def contracts_on_nights(
    session: Session, property_id: int, first: date, last: date, limit: int
) -> Sequence[ContractRecord]:
    """The property's contracts (any status but cancelled) staying on some night from ``first`` to
    ``last``, by arrival, at most ``limit``."""
    return session.exec(
        select(ContractRecord)
        .where(
            ContractRecord.property_id == property_id,
            col(ContractRecord.arrival_date) <= last,
            col(ContractRecord.departure_date) > first,
            ContractRecord.status != "cancelled",
        )
        .order_by(col(ContractRecord.arrival_date), col(ContractRecord.id))
        .limit(limit)
    ).all()


def invoice_order(session: Session, contract_ids: Sequence[int]) -> dict[int, int]:
    """For each of ``contract_ids`` with an issued invoice no credit note credits, the position of its
    first such invoice in issue order (issue date, then the order written) among them."""
    if not contract_ids:
        return {}
    rows = session.exec(
        select(InvoiceRecord)
        .where(col(InvoiceRecord.contract_id).in_(list(contract_ids)))
        .order_by(col(InvoiceRecord.issue_date), col(InvoiceRecord.id))
    ).all()
    credited = {row.credits_invoice_id for row in rows if row.credits_invoice_id is not None}
    order: dict[int, int] = {}
    for row in rows:
        if row.kind == "invoice" and row.id not in credited and row.contract_id not in order:
            order[row.contract_id] = len(order)
    return order
