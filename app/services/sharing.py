"""Share links: a read-only view of one contract for the group's planner, by an unguessable token.

The token (``secrets.token_urlsafe(32)``) is shown once, when the link is made; only its SHA-256 is
stored. Opening a link gives a principal that sees only the contract's property and may not write, and
the pages that take a token reach only that link's contract. A revoked or expired token is refused with
the same answer as one that never existed, so the answer does not tell which.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.engine.limits import OptionalName
from app.persistence import repositories as repo
from app.persistence import share_repository as share_repo
from app.persistence.records import ContractRecord, ShareLinkRecord, utc_now
from app.services.auth import Principal
from app.services.contracts import get_contract
from app.services.errors import NotFoundError, ServiceError
from app.services.inputs import parse_input

DEFAULT_DAYS = 30
MAX_DAYS = 365
SHARE_PATH = "/share/"


class LinkGoneError(ServiceError):
    """A token that is unknown, revoked or expired: one answer for all three."""

    status = 410
    title = "Gone"

    def __init__(self) -> None:
        super().__init__("This link is no longer valid. Ask the hotel for a new one.")


class LinkStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ShareLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: OptionalName = ""
    expires_in_days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS)


@dataclass(frozen=True, slots=True)
class ShareLink:
    record: ShareLinkRecord
    status: LinkStatus


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """An open link: the contract it shows and the read-only principal scoped to it."""

    link_id: int
    contract_id: int
    principal: Principal
    expires_at: datetime


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_status(record: ShareLinkRecord, now: datetime) -> LinkStatus:
    if record.revoked_at is not None:
        return LinkStatus.REVOKED
    if record.expires_at <= now:
        return LinkStatus.EXPIRED
    return LinkStatus.ACTIVE


def create_share_link(
    session: Session, principal: Principal, contract_id: int, data: Any, now: datetime | None = None
) -> tuple[ShareLinkRecord, str]:
    """Make a link; returns it with its token, which is not kept and so cannot be shown again."""
    record = get_contract(session, principal, contract_id)
    principal.require_write(record.property_id, f"contract {contract_id}")
    request = parse_input(ShareLinkCreate, data)
    made = now or utc_now()
    token = secrets.token_urlsafe(32)
    link = share_repo.add_link(
        session,
        ShareLinkRecord(
            contract_id=contract_id,
            token_hash=token_digest(token),
            label=request.label.strip(),
            created_by=principal.label,
            created_at=made,
            expires_at=made + timedelta(days=request.expires_in_days),
        ),
    )
    return link, token


def list_share_links(
    session: Session, principal: Principal, contract_id: int, now: datetime | None = None
) -> Sequence[ShareLink]:
    get_contract(session, principal, contract_id)
    at = now or utc_now()
    return [
        ShareLink(record, link_status(record, at))
        for record in share_repo.links_for_contract(session, contract_id)
    ]


def revoke_share_link(
    session: Session, principal: Principal, contract_id: int, link_id: int, now: datetime | None = None
) -> None:
    record = get_contract(session, principal, contract_id)
    principal.require_write(record.property_id, f"contract {contract_id}")
    link = share_repo.link_of_contract(session, contract_id, link_id)
    if link is None:
        raise NotFoundError(f"share link {link_id} not found")
    assert link.id is not None
    share_repo.revoke_link(session, link.id, now or utc_now())


def open_share_link(session: Session, token: str, now: datetime | None = None) -> OpenedLink:
    """The contract a token shows, with a read-only principal for its property alone."""
    if not token or len(token) > 200:
        raise LinkGoneError
    link = share_repo.link_by_hash(session, token_digest(token))
    if link is None or link_status(link, now or utc_now()) is not LinkStatus.ACTIVE:
        raise LinkGoneError
    contract = repo.get(session, ContractRecord, link.contract_id)
    if contract is None:
        raise LinkGoneError
    assert link.id is not None
    principal = Principal(
        f"share:{link.id}", frozenset({contract.property_id}), can_write=False, is_admin=False
    )
    return OpenedLink(link.id, link.contract_id, principal, link.expires_at)
