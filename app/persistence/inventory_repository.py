"""The SQL of the hotel's inventory per night (``hotel_inventory``): reports appended, then read as they
stood on a date. Like every repository, it adds and queries and never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlmodel import Session, col, select

from app.persistence.records import HotelInventoryRecord


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
