"""Outside-block audits and their matches (all their SQL). Nothing commits: the caller does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.persistence.records import AuditMatchRecord, AuditRunRecord, ContractRecord

# Ids are INTEGER columns (32-bit on PostgreSQL): a number outside that range names no row, and binding
# it would be a database error instead of "not found".
_INTEGER_RANGE = range(-(2**31), 2**31)


def add_audit(session: Session, run: AuditRunRecord, matches: Iterable[AuditMatchRecord]) -> AuditRunRecord:
    """Store an audit and its matches (the matches get the audit's id)."""
    session.add(run)
    session.flush()
    assert run.id is not None
    rows = list(matches)
    for row in rows:
        row.audit_id = run.id
    session.add_all(rows)
    session.flush()
    return run


def audits(
    session: Session, contract_id: int, *, limit: int, offset: int
) -> tuple[Sequence[AuditRunRecord], int]:
    """A page of a contract's audits, newest first, and how many there are."""
    where = AuditRunRecord.contract_id == contract_id
    total = session.exec(select(sa.func.count()).select_from(AuditRunRecord).where(where)).one()
    records = session.exec(
        select(AuditRunRecord)
        .where(where)
        .order_by(col(AuditRunRecord.created_at).desc(), col(AuditRunRecord.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return records, int(total)


def audit(session: Session, contract_id: int, audit_id: int) -> AuditRunRecord | None:
    if audit_id not in _INTEGER_RANGE:
        return None
    return session.exec(
        select(AuditRunRecord).where(AuditRunRecord.id == audit_id, AuditRunRecord.contract_id == contract_id)
    ).first()


def matches(session: Session, audit_id: int) -> Sequence[AuditMatchRecord]:
    """An audit's matches, highest confidence first."""
    return session.exec(
        select(AuditMatchRecord)
        .where(AuditMatchRecord.audit_id == audit_id)
        .order_by(col(AuditMatchRecord.confidence_permille).desc(), col(AuditMatchRecord.id))
    ).all()


def lock_contract(session: Session, contract_id: int) -> None:
    """Hold the contract's row until the transaction ends, so that decisions on its matches run one after
    the other: each reads the outside-block figure of a night and writes it plus or minus one, and two
    at once would lose one. ``SELECT ... FOR UPDATE`` on PostgreSQL (the second waits, then reads what
    the first committed); on SQLite the write transaction already serialises writers."""
    session.execute(
        sa.select(ContractRecord.__table__.c.id)  # type: ignore[attr-defined]
        .where(ContractRecord.__table__.c.id == contract_id)  # type: ignore[attr-defined]
        .with_for_update()
    ).scalar_one()


def match_for_update(session: Session, audit_id: int, match_id: int) -> AuditMatchRecord | None:
    """A match, locked on PostgreSQL until the transaction ends, so that two decisions on it queue."""
    if match_id not in _INTEGER_RANGE:
        return None
    return session.exec(
        select(AuditMatchRecord)
        .where(AuditMatchRecord.id == match_id, AuditMatchRecord.audit_id == audit_id)
        .with_for_update()
    ).first()


def confirmed_elsewhere(session: Session, match: AuditMatchRecord) -> AuditMatchRecord | None:
    """Another confirmed match of the same contract for the same reservation (its confirmation number,
    or, without one, the same guest name and dates): confirming both would credit the room twice."""
    same = (
        col(AuditMatchRecord.confirmation) == match.confirmation
        if match.confirmation
        else sa.and_(
            col(AuditMatchRecord.reservation_name) == match.reservation_name,
            col(AuditMatchRecord.reservation_arrival) == match.reservation_arrival,
            col(AuditMatchRecord.reservation_departure) == match.reservation_departure,
        )
    )
    return session.exec(
        select(AuditMatchRecord).where(
            AuditMatchRecord.contract_id == match.contract_id,
            AuditMatchRecord.status == "confirmed",
            AuditMatchRecord.id != match.id,
            same,
        )
    ).first()


def decision_counts(session: Session, audit_id: int) -> dict[str, int]:
    """How many of an audit's matches are pending, confirmed and rejected."""
    rows = session.exec(
        select(AuditMatchRecord.status, sa.func.count())
        .where(AuditMatchRecord.audit_id == audit_id)
        .group_by(AuditMatchRecord.status)
    ).all()
    return {status: int(count) for status, count in rows}
