"""Share links (all their SQL). Nothing commits; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.persistence.records import ShareLinkRecord


def add_link(session: Session, record: ShareLinkRecord) -> ShareLinkRecord:
    session.add(record)
    session.flush()
    return record


def link_by_hash(session: Session, token_hash: str) -> ShareLinkRecord | None:
    return session.exec(select(ShareLinkRecord).where(ShareLinkRecord.token_hash == token_hash)).first()


def links_for_contract(session: Session, contract_id: int) -> Sequence[ShareLinkRecord]:
    return session.exec(
        select(ShareLinkRecord)
        .where(ShareLinkRecord.contract_id == contract_id)
        .order_by(col(ShareLinkRecord.created_at).desc(), col(ShareLinkRecord.id).desc())
    ).all()


def link_of_contract(session: Session, contract_id: int, link_id: int) -> ShareLinkRecord | None:
    if link_id not in range(-(2**31), 2**31):
        return None
    return session.exec(
        select(ShareLinkRecord).where(
            ShareLinkRecord.id == link_id, ShareLinkRecord.contract_id == contract_id
        )
    ).first()


def revoke_link(session: Session, link_id: int, at: datetime) -> None:
    """Revoke once: a link already revoked keeps its first revocation time."""
    session.execute(
        sa.update(ShareLinkRecord)
        .where(col(ShareLinkRecord.id) == link_id, col(ShareLinkRecord.revoked_at).is_(None))
        .values(revoked_at=at)
    )
    session.expire_all()
