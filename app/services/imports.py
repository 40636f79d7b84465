"""Contract files into the database: the hotel, the account, the contract and its actuals.

Each file's hotel becomes a property (found by name, else created with the file's currency, locale,
timezone and tax profile), so an imported contract assesses exactly as the file does. The file's
actuals are recorded as of the file's ``as_of``; its pickup on the cut-off date becomes a snapshot as of
the cut-off date.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.documents import ContractDocument
from app.engine.contract import PickupSource
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, PropertyRecord
from app.services import actuals as actuals_service
from app.services import auth, contracts
from app.services.auth import Access, Principal
from app.services.errors import InvalidInputError, Problem

IMPORTER = Principal("import", None, can_write=True, is_admin=True)


@dataclass(frozen=True, slots=True)
class Imported:
    contract_id: int
    property_id: int
    reference: str


def _property_for(session: Session, document: ContractDocument, currency: str) -> PropertyRecord:
    info = document.contract.property
    found = session.exec(select(PropertyRecord).where(PropertyRecord.name == info.name)).first()
    if found is not None:
        return found
    return repo.add(
        session,
        PropertyRecord(
            name=info.name,
            address=info.address,
            currency=currency,
            locale=info.locale,
            timezone=info.timezone,
            tax_profile=None
            if info.tax_profile is None
            else info.tax_profile.model_dump(mode="json", exclude_unset=True),
        ),
    )


def _account_for(session: Session, property_id: int, document: ContractDocument) -> int | None:
    group = document.contract.group
    if not group.account:
        return None
    found = session.exec(
        select(AccountRecord).where(
            AccountRecord.property_id == property_id, AccountRecord.name == group.account
        )
    ).first()
    record = found or repo.add(
        session, AccountRecord(property_id=property_id, name=group.account, segment=group.segment)
    )
    assert record.id is not None
    return record.id


def import_document(session: Session, document: ContractDocument, as_of: date | None = None) -> Imported:
    """Store a contract file's contract and actuals; the caller commits."""
    contract = document.contract
    prop = _property_for(session, document, contract.currency)
    assert prop.id is not None
    terms: dict[str, Any] = contract.model_dump(mode="json", exclude={"property"}, exclude_unset=True)
    stored = contracts.create_contract(
        session,
        IMPORTER,
        {"property_id": prop.id, "account_id": _account_for(session, prop.id, document), "contract": terms},
    )
    contract_id = stored.record.id
    assert contract_id is not None
    actuals = document.actuals
    day = as_of or document.as_of
    if actuals is not None and day is not None:
        _import_actuals(session, contract_id, actuals.model_dump(mode="json"), day, contract.cutoff_date)
    return Imported(contract_id, prop.id, contract.id)


def _import_actuals(
    session: Session, contract_id: int, actuals: dict[str, Any], day: date, cutoff: date | None
) -> None:
    if actuals.get("manual_damages"):
        raise InvalidInputError(
            "manual damages cannot be stored yet",
            [Problem("actuals.manual_damages", "leave them out to import")],
        )
    final = actuals["pickup"]
    if actuals["cutoff_pickup"] and cutoff is not None:
        entries = [
            {"night": row["night"], "room_type": row["room_type"], "room_nights": row["rooms"]}
            for row in actuals["cutoff_pickup"]
        ]
        actuals_service.record_pickup(
            session, IMPORTER, contract_id, {"as_of": cutoff.isoformat(), "entries": entries}
        )
        # A cell picked up by the cut-off but absent from the final report has none left by then.
        named = {(row["night"], row["room_type"]) for row in final if row["source"] == PickupSource.IN_BLOCK}
        final = final + [
            {"night": night, "room_type": room_type, "room_nights": 0}
            for night, room_type in sorted({(row["night"], row["room_type"]) for row in entries} - named)
        ]
    if final:
        actuals_service.record_pickup(
            session, IMPORTER, contract_id, {"as_of": day.isoformat(), "entries": final}
        )
    other = {
        key: actuals[key]
        for key in (
            "fnb_spend",
            "inventory",
            "fnb_notice_date",
            "cancellation_notice_date",
            "cancellation_resold_revenue",
        )
        if actuals[key]
    }
    if other:
        actuals_service.record_actuals(session, IMPORTER, contract_id, {"as_of": day.isoformat(), **other})


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    email: str
    password: str
    api_key: str


def load_demo(session: Session, documents: list[tuple[Path, ContractDocument]]) -> DemoCredentials:
    """Sample contracts, a demo administrator and an API key for every demo property."""
    for _, document in documents:
        import_document(session, document)
    password = secrets.token_urlsafe(12)
    user = auth.create_staff_user(session, "demo@attrition.example", password, name="Demo", is_admin=True)
    assert user.id is not None
    properties, _ = repo.list_properties(session, None, repo.Page(limit=10_000))
    ids = frozenset(record.id for record in properties if record.id is not None)
    _, key = auth.create_api_key(session, "demo", Access.READ_WRITE, ids)
    return DemoCredentials(user.email, password, key)


def is_empty(session: Session) -> bool:
    return repo.count_rows(session, PropertyRecord) == 0
