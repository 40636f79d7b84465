"""The SQL of the forecast: finished blocks (``block_histories``) and the portfolio's contracts, their
pickup and their notices read in bulk. Like every repository, it adds and queries and never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.persistence.records import (
    AccountRecord,
    BlockHistoryRecord,
    ContractRecord,
    ContractVersionRecord,
    NoticeRecord,
    PickupSnapshotRecord,
    PropertyRecord,
)
from app.persistence.repositories import Page

# Ids bound in one IN (...) list at most: well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


# --- finished blocks -----------------------------------------------------------------------------


def history_blocks(
    session: Session, property_ids: Iterable[int], segment: str | None = None
) -> Sequence[BlockHistoryRecord]:
    """The finished blocks of ``property_ids`` (of one segment if given), oldest arrival first."""
    ids = sorted(set(property_ids))
    if not ids:
        return []
    statement = select(BlockHistoryRecord).where(col(BlockHistoryRecord.property_id).in_(ids))
    if segment is not None:
        statement = statement.where(BlockHistoryRecord.segment == segment)
    statement = statement.order_by(col(BlockHistoryRecord.arrival_date), col(BlockHistoryRecord.id))
    return session.exec(statement).all()


def list_history(
    session: Session, property_id: int, segment: str | None, page: Page
) -> tuple[Sequence[BlockHistoryRecord], int]:
    statement = select(BlockHistoryRecord).where(BlockHistoryRecord.property_id == property_id)
    if segment is not None:
        statement = statement.where(BlockHistoryRecord.segment == segment)
    counted = _count(session, statement)
    statement = statement.order_by(col(BlockHistoryRecord.arrival_date).desc(), col(BlockHistoryRecord.id))
    return session.exec(statement.limit(page.limit).offset(page.offset)).all(), counted


def history_of_contract(session: Session, contract_id: int) -> BlockHistoryRecord | None:
    return session.exec(
        select(BlockHistoryRecord).where(BlockHistoryRecord.contract_id == contract_id)
    ).first()


def references_taken(session: Session, property_id: int, references: Iterable[str]) -> set[str]:
    """Which of ``references`` the property's history already holds."""
    wanted = sorted(set(references))
    taken: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        taken.update(
            session.exec(
                select(BlockHistoryRecord.reference).where(
                    BlockHistoryRecord.property_id == property_id,
                    col(BlockHistoryRecord.reference).in_(wanted[start : start + _CHUNK]),
                )
            ).all()
        )
    return taken


def accounts_by_name(session: Session, property_id: int, names: Iterable[str]) -> dict[str, AccountRecord]:
    wanted = sorted(set(names))
    found: dict[str, AccountRecord] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.exec(
            select(AccountRecord).where(
                AccountRecord.property_id == property_id,
                col(AccountRecord.name).in_(wanted[start : start + _CHUNK]),
            )
        ).all()
        found.update((row.name, row) for row in rows)
    return found


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one())


# --- the portfolio -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortfolioFilter:
    statuses: tuple[str, ...]
    property_id: int | None = None
    arrival_from: date | None = None
    arrival_to: date | None = None
    #: No contract departing on or before this day is wanted.
    departing_after: date | None = None


@dataclass(frozen=True, slots=True)
class PortfolioContract:
    record: ContractRecord
    version: ContractVersionRecord
    account: AccountRecord | None
    timezone: str


def portfolio_contracts(
    session: Session, visible: frozenset[int] | None, where: PortfolioFilter
) -> list[PortfolioContract]:
    """The contracts of the portfolio with their current version, account and the hotel's timezone."""
    statement = (
        select(ContractRecord, ContractVersionRecord, AccountRecord, PropertyRecord.timezone)
        .join(
            ContractVersionRecord,
            sa.and_(
                col(ContractVersionRecord.contract_id) == col(ContractRecord.id),
                col(ContractVersionRecord.version) == col(ContractRecord.current_version),
            ),
        )
        .join(PropertyRecord, PropertyRecord.id == ContractRecord.property_id)  # type: ignore[arg-type]
        .outerjoin(AccountRecord, AccountRecord.id == ContractRecord.account_id)  # type: ignore[arg-type]
        .where(col(ContractRecord.status).in_(where.statuses))
    )
    if visible is not None:
        statement = statement.where(col(ContractRecord.property_id).in_(sorted(visible)))
    if where.property_id is not None:
        statement = statement.where(ContractRecord.property_id == where.property_id)
    if where.arrival_from is not None:
        statement = statement.where(ContractRecord.arrival_date >= where.arrival_from)
    if where.arrival_to is not None:
        statement = statement.where(ContractRecord.arrival_date <= where.arrival_to)
    if where.departing_after is not None:
        statement = statement.where(ContractRecord.departure_date > where.departing_after)
    statement = statement.order_by(col(ContractRecord.arrival_date), col(ContractRecord.id))
    return [
        PortfolioContract(record, version, account, timezone)
        for record, version, account, timezone in session.exec(statement).all()
    ]


def pickup_up_to(session: Session, contract_ids: Sequence[int], as_of: date) -> list[PickupSnapshotRecord]:
    """Every pickup row of ``contract_ids`` reported on or before ``as_of``, in the order written."""
    rows: list[PickupSnapshotRecord] = []
    for chunk in _chunks(sorted(set(contract_ids))):
        rows += session.exec(
            select(PickupSnapshotRecord).where(
                col(PickupSnapshotRecord.contract_id).in_(chunk), PickupSnapshotRecord.as_of <= as_of
            )
        ).all()
    rows.sort(key=lambda row: (row.as_of, row.id or 0))
    return rows


def cancellation_notices_up_to(
    session: Session, contract_ids: Sequence[int], as_of: date
) -> list[NoticeRecord]:
    """The cancellation notices of ``contract_ids`` reported on or before ``as_of``, in the order written
    (as with every report, the latest one as of a date is the one in force)."""
    rows: list[NoticeRecord] = []
    for chunk in _chunks(sorted(set(contract_ids))):
        rows += session.exec(
            select(NoticeRecord).where(
                col(NoticeRecord.contract_id).in_(chunk),
                NoticeRecord.kind == "cancellation",
                NoticeRecord.as_of <= as_of,
            )
        ).all()
    rows.sort(key=lambda row: (row.as_of, row.id or 0))
    return rows
