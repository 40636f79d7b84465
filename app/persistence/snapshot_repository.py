"""The SQL of the exposure snapshots (``exposure_snapshots``): storing one, finding the contracts whose
snapshot is missing or out of date, and the portfolio pages read from them, filtered, sorted and paged
in SQL so that a page costs the same whatever the size of the portfolio. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.persistence.history_repository import PortfolioContract
from app.persistence.records import (
    AccountRecord,
    ContractRecord,
    ContractVersionRecord,
    ExposureSnapshotRecord,
    PropertyRecord,
)
from app.persistence.repositories import Page

Snapshot = ExposureSnapshotRecord
_STORED = (
    "property_id",
    "contract_version",
    "as_of",
    "status",
    "currency",
    "expected_minor",
    "summary",
    "computed_at",
    "current_minor",
    "pickup_permille",
    "exposure_state",
    "arrival_date",
)


def store(session: Session, snapshot: ExposureSnapshotRecord) -> None:
    """Insert or replace the contract's snapshot, unless the stored one was computed later (a refresh
    that started earlier never overwrites a newer one). One statement: two writers cannot collide."""
    values = {"contract_id": snapshot.contract_id, **{name: getattr(snapshot, name) for name in _STORED}}
    table: Any = ExposureSnapshotRecord.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["contract_id"],
        set_={name: statement.excluded[name] for name in _STORED},
        where=table.c.computed_at <= statement.excluded.computed_at,
    )
    session.execute(statement)


def get(session: Session, contract_id: int) -> ExposureSnapshotRecord | None:
    return session.get(ExposureSnapshotRecord, contract_id)


def portfolio_contract(session: Session, contract_id: int) -> PortfolioContract | None:
    """The contract with its current version, account and hotel timezone (as the portfolio reads it)."""
    found = contracts_with_versions(session, [contract_id])
    return found[0] if found else None


def contracts_with_versions(session: Session, contract_ids: Sequence[int]) -> list[PortfolioContract]:
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
        .where(col(ContractRecord.id).in_(list(contract_ids)))
        .order_by(col(ContractRecord.id))
    )
    return [
        PortfolioContract(record, version, account, timezone)
        for record, version, account, timezone in session.exec(statement).all()
    ]


def contract_ids_after(
    session: Session, after_id: int, limit: int, property_id: int | None = None
) -> list[int]:
    """The next ``limit`` contract ids above ``after_id`` (keyset paging for the refresh job)."""
    statement = select(ContractRecord.id).where(col(ContractRecord.id) > after_id)
    if property_id is not None:
        statement = statement.where(ContractRecord.property_id == property_id)
    statement = statement.order_by(col(ContractRecord.id)).limit(limit)
    return [int(found) for found in session.exec(statement).all() if found is not None]


def timezones(session: Session) -> list[str]:
    return sorted(session.exec(select(PropertyRecord.timezone).distinct()).all())


@dataclass(frozen=True, slots=True)
class Selection:
    """Which contracts a portfolio page covers."""

    visible: frozenset[int] | None
    property_id: int | None = None
    arrival_from: date | None = None
    arrival_to: date | None = None
    #: Only these statuses (None: every status).
    statuses: tuple[str, ...] | None = None
    #: Only contracts departing after the earliest "today" of any hotel.
    departing_after: date | None = None


def _selected(statement: Any, where: Selection) -> Any:
    if where.visible is not None:
        statement = statement.where(col(ContractRecord.property_id).in_(sorted(where.visible)))
    if where.property_id is not None:
        statement = statement.where(ContractRecord.property_id == where.property_id)
    if where.arrival_from is not None:
        statement = statement.where(ContractRecord.arrival_date >= where.arrival_from)
    if where.arrival_to is not None:
        statement = statement.where(ContractRecord.arrival_date <= where.arrival_to)
    if where.statuses is not None:
        statement = statement.where(col(ContractRecord.status).in_(where.statuses))
    if where.departing_after is not None:
        statement = statement.where(ContractRecord.departure_date > where.departing_after)
    return statement


def stale_among(session: Session, contract_ids: Sequence[int], todays: dict[str, date]) -> list[int]:
    """Those of ``contract_ids`` whose snapshot is missing, is of an older version or status than the
    contract, or was computed before today at its hotel (``todays`` by timezone)."""
    snapshot = ExposureSnapshotRecord
    today = sa.case(
        *((col(PropertyRecord.timezone) == zone, day) for zone, day in todays.items()),
        else_=max(todays.values(), default=date.max),
    )
    statement = (
        select(ContractRecord.id)
        .join(PropertyRecord, PropertyRecord.id == ContractRecord.property_id)  # type: ignore[arg-type]
        .outerjoin(snapshot, col(snapshot.contract_id) == col(ContractRecord.id))
        .where(
            col(ContractRecord.id).in_(list(contract_ids)),
            sa.or_(
                col(snapshot.contract_id).is_(None),
                col(snapshot.contract_version) < col(ContractRecord.current_version),
                col(snapshot.status) != col(ContractRecord.status),
                col(snapshot.as_of) < today,
            ),
        )
        .order_by(col(ContractRecord.id))
    )
    return [int(found) for found in session.exec(statement).all() if found is not None]


def timezones_of(session: Session, property_ids: Iterable[int]) -> dict[int, str]:
    rows = session.exec(
        select(PropertyRecord.id, PropertyRecord.timezone).where(
            col(PropertyRecord.id).in_(sorted(set(property_ids)))
        )
    ).all()
    return {int(found): zone for found, zone in rows if found is not None}


#: The dashboard's sorts: the snapshot's column for each.
_SORT_COLUMNS = {
    "pickup": ExposureSnapshotRecord.pickup_permille,
    "exposure": ExposureSnapshotRecord.current_minor,
}


def dashboard_page(
    session: Session, where: Selection, sort: str, descending: bool, page: Page
) -> tuple[list[tuple[ContractRecord, ExposureSnapshotRecord | None]], int]:
    """A page of the selection's contracts with their snapshots: by arrival, or by a snapshot's figure
    (contracts without one last, whichever way), then arrival and id in the same direction."""
    snapshot = ExposureSnapshotRecord
    statement = select(ContractRecord, snapshot).outerjoin(
        snapshot, col(snapshot.contract_id) == col(ContractRecord.id)
    )
    statement = _selected(statement, where)
    arrival, ident = col(ContractRecord.arrival_date), col(ContractRecord.id)
    order: list[Any] = []
    if sort in _SORT_COLUMNS:
        figure = col(_SORT_COLUMNS[sort])
        order += [sa.case((figure.is_(None), 1), else_=0), figure.desc() if descending else figure]
    order += [arrival.desc(), ident.desc()] if descending else [arrival, ident]
    rows = session.exec(statement.order_by(*order).limit(page.limit).offset(page.offset)).all()
    counted = _selected(select(sa.func.count()).select_from(ContractRecord), where)
    total = int(session.execute(counted).scalar_one())
    return [(record, found) for record, found in rows], total


def _snapshot_selected(statement: Any, where: Selection) -> Any:
    """The selection on the snapshot's own columns (its status and arrival as of its refresh)."""
    snapshot = ExposureSnapshotRecord
    if where.visible is not None:
        statement = statement.where(col(snapshot.property_id).in_(sorted(where.visible)))
    if where.property_id is not None:
        statement = statement.where(snapshot.property_id == where.property_id)
    if where.arrival_from is not None:
        statement = statement.where(col(snapshot.arrival_date) >= where.arrival_from)
    if where.arrival_to is not None:
        statement = statement.where(col(snapshot.arrival_date) <= where.arrival_to)
    # The statuses are not read: a snapshot in the forecast or refused state is of an open contract
    # (as of its refresh; a later change of status makes it stale, and the page refreshes it).
    return statement


def exposure_page(
    session: Session, where: Selection, page: Page
) -> tuple[list[tuple[ContractRecord, ExposureSnapshotRecord]], int]:
    """The selection's forecast contracts, largest expected damages first, then arrival and id: read
    on the snapshots' index (state, expected, arrival, id), the page's contracts then by id."""
    snapshot = ExposureSnapshotRecord
    forecast = _snapshot_selected(select(snapshot), where).where(col(snapshot.exposure_state) == "forecast")
    ordered = forecast.order_by(
        col(snapshot.expected_minor).desc(), col(snapshot.arrival_date), col(snapshot.contract_id)
    )
    found = list(session.exec(ordered.limit(page.limit).offset(page.offset)).all())
    records = {
        record.id: record
        for record in session.exec(
            select(ContractRecord).where(col(ContractRecord.id).in_([row.contract_id for row in found]))
        ).all()
    }
    counted = _snapshot_selected(select(sa.func.count()).select_from(snapshot), where).where(
        col(snapshot.exposure_state) == "forecast"
    )
    rows = [(records[row.contract_id], row) for row in found if row.contract_id in records]
    return rows, int(session.execute(counted).scalar_one())


def not_forecast(
    session: Session, where: Selection, limit: int
) -> list[tuple[ContractRecord, ExposureSnapshotRecord | None]]:
    """Up to ``limit`` contracts of the selection that are open but not forecast, or not yet
    snapshotted, by arrival."""
    snapshot = ExposureSnapshotRecord
    refused = _snapshot_selected(select(snapshot), where).where(col(snapshot.exposure_state) == "refused")
    refused_rows = list(
        session.exec(
            refused.order_by(col(snapshot.arrival_date), col(snapshot.contract_id)).limit(limit)
        ).all()
    )
    records = {
        record.id: record
        for record in session.exec(
            select(ContractRecord).where(
                col(ContractRecord.id).in_([row.contract_id for row in refused_rows])
            )
        ).all()
    }
    rows_missing: list[ContractRecord] = []
    # Looking for contracts without a snapshot costs a pass over the portfolio: it is made only when
    # there are fewer snapshots than contracts (two index-only counts). Every write snapshots its
    # contract, and the hourly job any other (an upgraded database), so normally there are none.
    contracts = session.execute(select(sa.func.count()).select_from(ContractRecord)).scalar_one()
    snapshotted = session.execute(select(sa.func.count()).select_from(snapshot)).scalar_one()
    if snapshotted < contracts:
        has_snapshot = select(snapshot.contract_id).where(col(snapshot.contract_id) == col(ContractRecord.id))
        missing = _selected(select(ContractRecord), where).where(~has_snapshot.exists())
        missing = missing.order_by(col(ContractRecord.arrival_date), col(ContractRecord.id)).limit(limit)
        rows_missing = list(session.exec(missing).all())
    rows: list[tuple[ContractRecord, ExposureSnapshotRecord | None]] = [
        (records[row.contract_id], row) for row in refused_rows if row.contract_id in records
    ]
    rows += [(record, None) for record in rows_missing]
    rows.sort(key=lambda pair: (pair[0].arrival_date, pair[0].id or 0))
    return rows[:limit]
