"""All SQL lives here. Repositories add and query; they never commit (the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from app.persistence.records import (
    AccountRecord,
    ApiKeyPropertyRecord,
    ApiKeyRecord,
    AssessmentRecord,
    ContractRecord,
    ContractVersionRecord,
    FnbActualRecord,
    IngestionRecord,
    InventoryReportRecord,
    NoticeRecord,
    PickupSnapshotRecord,
    PropertyRecord,
    StaffSessionRecord,
    StaffUserPropertyRecord,
    StaffUserRecord,
    utc_now,
)

Record = TypeVar("Record", bound=SQLModel)

# Ids and version numbers are INTEGER columns, 32-bit on PostgreSQL. A number outside that range names
# no row; binding it would be a database error (a 500) instead of "not found".
_INTEGER_RANGE = range(-(2**31), 2**31)


def _equals(column: Any, value: int) -> Any:
    return column == value if value in _INTEGER_RANGE else sa.false()


@dataclass(frozen=True, slots=True)
class Page:
    limit: int = 50
    offset: int = 0


def add(session: Session, record: Record) -> Record:
    """Insert ``record`` and flush, so that its id is set and constraint violations surface here."""
    session.add(record)
    session.flush()
    return record


def add_all(session: Session, records: Iterable[SQLModel]) -> None:
    session.add_all(list(records))
    session.flush()


def get(session: Session, table: type[Record], key: Any) -> Record | None:
    if isinstance(key, int) and key not in _INTEGER_RANGE:
        return None
    return session.get(table, key)


def bump_revision(session: Session, table: type[SQLModel], key: int, expected: int, **values: Any) -> bool:
    """Compare-and-set: update the row only if its revision is still ``expected`` (optimistic locking)."""
    if expected + 1 not in _INTEGER_RANGE:
        return False  # no row holds it (an If-Match we never issued)
    statement = (
        sa.update(table)
        .where(table.id == key, table.revision == expected)  # type: ignore[attr-defined]
        .values(revision=expected + 1, updated_at=utc_now(), **values)
    )
    result = session.execute(statement)
    session.expire_all()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _page(statement: Any, page: Page) -> Any:
    return statement.limit(page.limit).offset(page.offset)


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one())


# --- properties and accounts ---------------------------------------------------------------------


def list_properties(
    session: Session, visible: frozenset[int] | None, page: Page
) -> tuple[Sequence[PropertyRecord], int]:
    statement = select(PropertyRecord)
    if visible is not None:
        statement = statement.where(col(PropertyRecord.id).in_(visible))
    statement = statement.order_by(col(PropertyRecord.id))
    return session.exec(_page(statement, page)).all(), _count(session, statement)


def list_accounts(
    session: Session, visible: frozenset[int] | None, property_id: int | None, page: Page
) -> tuple[Sequence[AccountRecord], int]:
    statement = select(AccountRecord)
    if visible is not None:
        statement = statement.where(col(AccountRecord.property_id).in_(visible))
    if property_id is not None:
        statement = statement.where(_equals(AccountRecord.property_id, property_id))
    statement = statement.order_by(col(AccountRecord.id))
    return session.exec(_page(statement, page)).all(), _count(session, statement)


# --- contracts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractFilter:
    property_id: int | None = None
    account_id: int | None = None
    status: str | None = None
    arrival_from: date | None = None
    arrival_to: date | None = None


def list_contracts(
    session: Session, visible: frozenset[int] | None, where: ContractFilter, page: Page
) -> tuple[Sequence[ContractRecord], int]:
    statement = select(ContractRecord)
    if visible is not None:
        statement = statement.where(col(ContractRecord.property_id).in_(visible))
    if where.property_id is not None:
        statement = statement.where(_equals(ContractRecord.property_id, where.property_id))
    if where.account_id is not None:
        statement = statement.where(_equals(ContractRecord.account_id, where.account_id))
    if where.status is not None:
        statement = statement.where(ContractRecord.status == where.status)
    if where.arrival_from is not None:
        statement = statement.where(ContractRecord.arrival_date >= where.arrival_from)
    if where.arrival_to is not None:
        statement = statement.where(ContractRecord.arrival_date <= where.arrival_to)
    statement = statement.order_by(col(ContractRecord.arrival_date), col(ContractRecord.id))
    return session.exec(_page(statement, page)).all(), _count(session, statement)


def contract_version(session: Session, contract_id: int, version: int) -> ContractVersionRecord | None:
    return session.exec(
        select(ContractVersionRecord).where(
            ContractVersionRecord.contract_id == contract_id, _equals(ContractVersionRecord.version, version)
        )
    ).first()


def contract_versions(session: Session, contract_id: int) -> Sequence[ContractVersionRecord]:
    return session.exec(
        select(ContractVersionRecord)
        .where(ContractVersionRecord.contract_id == contract_id)
        .order_by(col(ContractVersionRecord.version))
    ).all()


# --- actuals (append-only; the latest row as of a date wins) ---------------------------------------


def pickup_as_of(session: Session, contract_id: int, as_of: date) -> Sequence[PickupSnapshotRecord]:
    """For each night × room type × source, the latest snapshot on or before ``as_of``."""
    ranked = (
        select(
            PickupSnapshotRecord,
            sa.func.row_number()
            .over(
                partition_by=(
                    col(PickupSnapshotRecord.night),
                    col(PickupSnapshotRecord.room_type),
                    col(PickupSnapshotRecord.source),
                ),
                order_by=(col(PickupSnapshotRecord.as_of).desc(), col(PickupSnapshotRecord.id).desc()),
            )
            .label("rank"),
        )
        .where(PickupSnapshotRecord.contract_id == contract_id, PickupSnapshotRecord.as_of <= as_of)
        .subquery()
    )
    latest = sa.orm.aliased(PickupSnapshotRecord, ranked)
    statement = (
        select(latest)
        .where(ranked.c.rank == 1)
        .order_by(col(latest.night), col(latest.room_type), col(latest.source))
    )
    return session.exec(statement).all()


def pickup_history(session: Session, contract_id: int) -> Sequence[PickupSnapshotRecord]:
    return session.exec(
        select(PickupSnapshotRecord)
        .where(PickupSnapshotRecord.contract_id == contract_id)
        .order_by(col(PickupSnapshotRecord.as_of), col(PickupSnapshotRecord.id))
    ).all()


def fnb_as_of(session: Session, contract_id: int, as_of: date) -> list[FnbActualRecord]:
    rows = session.exec(
        select(FnbActualRecord)
        .where(FnbActualRecord.contract_id == contract_id, FnbActualRecord.as_of <= as_of)
        .order_by(col(FnbActualRecord.as_of), col(FnbActualRecord.id))
    ).all()
    return list({row.category: row for row in rows}.values())


def inventory_as_of(session: Session, contract_id: int, as_of: date) -> list[InventoryReportRecord]:
    rows = session.exec(
        select(InventoryReportRecord)
        .where(InventoryReportRecord.contract_id == contract_id, InventoryReportRecord.as_of <= as_of)
        .order_by(col(InventoryReportRecord.as_of), col(InventoryReportRecord.id))
    ).all()
    return sorted({row.night: row for row in rows}.values(), key=lambda row: row.night)


def notices_as_of(session: Session, contract_id: int, as_of: date) -> dict[str, NoticeRecord]:
    rows = session.exec(
        select(NoticeRecord)
        .where(NoticeRecord.contract_id == contract_id, NoticeRecord.as_of <= as_of)
        .order_by(col(NoticeRecord.as_of), col(NoticeRecord.id))
    ).all()
    return {row.kind: row for row in rows}


# --- idempotency and assessments -------------------------------------------------------------------


def ingestion(session: Session, principal: str, key: str) -> IngestionRecord | None:
    return session.exec(
        select(IngestionRecord).where(
            IngestionRecord.principal == principal, IngestionRecord.idempotency_key == key
        )
    ).first()


def stored_assessments(session: Session, contract_id: int) -> Sequence[AssessmentRecord]:
    return session.exec(
        select(AssessmentRecord)
        .where(AssessmentRecord.contract_id == contract_id)
        .order_by(col(AssessmentRecord.id))
    ).all()


# --- who may do what -------------------------------------------------------------------------------


def api_key_by_prefix(session: Session, prefix: str) -> ApiKeyRecord | None:
    return session.exec(select(ApiKeyRecord).where(ApiKeyRecord.prefix == prefix)).first()


def api_key_properties(session: Session, key_id: int) -> frozenset[int]:
    rows = session.exec(select(ApiKeyPropertyRecord.property_id).where(ApiKeyPropertyRecord.key_id == key_id))
    return frozenset(rows.all())


def staff_user_by_email(session: Session, email: str) -> StaffUserRecord | None:
    return session.exec(select(StaffUserRecord).where(StaffUserRecord.email == email)).first()


def staff_user_properties(session: Session, user_id: int) -> frozenset[int]:
    rows = session.exec(
        select(StaffUserPropertyRecord.property_id).where(StaffUserPropertyRecord.user_id == user_id)
    )
    return frozenset(rows.all())


def staff_session(session: Session, token_hash: str, now: datetime) -> StaffSessionRecord | None:
    return session.exec(
        select(StaffSessionRecord).where(
            StaffSessionRecord.token_hash == token_hash, StaffSessionRecord.expires_at > now
        )
    ).first()


def delete_staff_session(session: Session, token_hash: str) -> None:
    session.execute(sa.delete(StaffSessionRecord).where(col(StaffSessionRecord.token_hash) == token_hash))


def count_rows(session: Session, table: type[SQLModel]) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
