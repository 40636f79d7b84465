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
    RoomTypeCodeRecord,
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
    session: Session, visible: frozenset[int] | None, page: Page, updated_since: datetime | None = None
) -> tuple[Sequence[PropertyRecord], int]:
    statement = select(PropertyRecord)
    if visible is not None:
        statement = statement.where(col(PropertyRecord.id).in_(visible))
    if updated_since is not None:
        statement = statement.where(col(PropertyRecord.updated_at) >= updated_since)
    statement = statement.order_by(col(PropertyRecord.id))
    return session.exec(_page(statement, page)).all(), _count(session, statement)


def list_accounts(
    session: Session,
    visible: frozenset[int] | None,
    property_id: int | None,
    page: Page,
    updated_since: datetime | None = None,
) -> tuple[Sequence[AccountRecord], int]:
    statement = select(AccountRecord)
    if visible is not None:
        statement = statement.where(col(AccountRecord.property_id).in_(visible))
    if updated_since is not None:
        statement = statement.where(col(AccountRecord.updated_at) >= updated_since)
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
    updated_since: datetime | None = None


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
    if where.updated_since is not None:
        statement = statement.where(col(ContractRecord.updated_at) >= where.updated_since)
    statement = statement.order_by(col(ContractRecord.arrival_date), col(ContractRecord.id))
    return session.exec(_page(statement, page)).all(), _count(session, statement)


# --- external codes ------------------------------------------------------------------------------


def property_by_hotel_code(session: Session, hotel_code: str) -> PropertyRecord | None:
    return session.exec(select(PropertyRecord).where(PropertyRecord.hotel_code == hotel_code)).first()


def contract_by_block_code(session: Session, property_id: int, block_code: str) -> ContractRecord | None:
    return session.exec(
        select(ContractRecord).where(
            _equals(ContractRecord.property_id, property_id), ContractRecord.block_code == block_code
        )
    ).first()


def contract_by_reference(session: Session, property_id: int, reference: str) -> ContractRecord | None:
    return session.exec(
        select(ContractRecord).where(
            _equals(ContractRecord.property_id, property_id), ContractRecord.reference == reference
        )
    ).first()


def room_type_codes(session: Session, property_id: int) -> dict[str, str]:
    rows = session.exec(
        select(RoomTypeCodeRecord)
        .where(_equals(RoomTypeCodeRecord.property_id, property_id))
        .order_by(col(RoomTypeCodeRecord.code))
    ).all()
    return {row.code: row.room_type for row in rows}


def replace_room_type_codes(session: Session, property_id: int, codes: dict[str, str]) -> None:
    session.execute(sa.delete(RoomTypeCodeRecord).where(col(RoomTypeCodeRecord.property_id) == property_id))
    add_all(
        session,
        (
            RoomTypeCodeRecord(property_id=property_id, code=code, room_type=room_type)
            for code, room_type in codes.items()
        ),
    )


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


# Built once: constructing a SELECT costs more than running it on a small table, and these run on
# every assessment of a stored contract.
def _up_to(table: Any) -> Any:
    return (
        select(table)
        .where(table.contract_id == sa.bindparam("contract_id"), table.as_of <= sa.bindparam("as_of"))
        .order_by(table.as_of, table.id)
    )


_PICKUP_UP_TO = _up_to(PickupSnapshotRecord)
_FNB_UP_TO = _up_to(FnbActualRecord)
_INVENTORY_UP_TO = _up_to(InventoryReportRecord)
_NOTICES_UP_TO = _up_to(NoticeRecord)


def _rows_up_to(session: Session, statement: Any, contract_id: int, as_of: date) -> Sequence[Any]:
    rows: Sequence[Any] = session.exec(statement, params={"contract_id": contract_id, "as_of": as_of}).all()
    return rows


def pickup_as_of(session: Session, contract_id: int, *days: date) -> list[list[PickupSnapshotRecord]]:
    """For each of ``days``, the latest snapshot on or before it for each night × room type × source
    (one query for all the days: the rows up to the last of them, read in the order written)."""
    rows: Sequence[PickupSnapshotRecord] = _rows_up_to(session, _PICKUP_UP_TO, contract_id, max(days))
    views = []
    for day in days:
        latest = {(row.night, row.room_type, row.source): row for row in rows if row.as_of <= day}
        views.append([latest[key] for key in sorted(latest)])
    return views


def pickup_history(session: Session, contract_id: int) -> Sequence[PickupSnapshotRecord]:
    return session.exec(
        select(PickupSnapshotRecord)
        .where(PickupSnapshotRecord.contract_id == contract_id)
        .order_by(col(PickupSnapshotRecord.as_of), col(PickupSnapshotRecord.id))
    ).all()


def fnb_as_of(session: Session, contract_id: int, as_of: date) -> list[FnbActualRecord]:
    rows: Sequence[FnbActualRecord] = _rows_up_to(session, _FNB_UP_TO, contract_id, as_of)
    return list({row.category: row for row in rows}.values())


def inventory_as_of(session: Session, contract_id: int, as_of: date) -> list[InventoryReportRecord]:
    rows: Sequence[InventoryReportRecord] = _rows_up_to(session, _INVENTORY_UP_TO, contract_id, as_of)
    return sorted({row.night: row for row in rows}.values(), key=lambda row: row.night)


def notices_as_of(session: Session, contract_id: int, as_of: date) -> dict[str, NoticeRecord]:
    rows: Sequence[NoticeRecord] = _rows_up_to(session, _NOTICES_UP_TO, contract_id, as_of)
    return {row.kind: row for row in rows}


def actuals_history(
    session: Session, contract_id: int
) -> tuple[Sequence[FnbActualRecord], Sequence[InventoryReportRecord], Sequence[NoticeRecord]]:
    """Every F&B, inventory and notice row of a contract, in the order written (pickup has its own)."""
    return tuple(  # type: ignore[return-value]
        session.exec(
            select(table)
            .where(table.contract_id == contract_id)
            .order_by(col(table.recorded_at), col(table.id))
        ).all()
        for table in (FnbActualRecord, InventoryReportRecord, NoticeRecord)
    )


def staff_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in ids if i in _INTEGER_RANGE}
    if not wanted:
        return {}
    rows = session.exec(select(StaffUserRecord).where(col(StaffUserRecord.id).in_(wanted))).all()
    return {row.id: row.name or row.email for row in rows if row.id is not None}


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
