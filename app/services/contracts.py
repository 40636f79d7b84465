"""Contracts and their immutable versions: an amendment adds a version, nothing is overwritten."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.engine.contract import Contract
from app.engine.limits import Note
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, ContractRecord, ContractVersionRecord, PropertyRecord
from app.services.auth import Principal
from app.services.changes import Change, contract_changed
from app.services.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
    Problem,
    StoredDataError,
)
from app.services.external_codes import ExternalCode
from app.services.inputs import parse_input
from app.services.properties import get_property, property_info
from app.validation import error_message, field_text


class ContractStatus(StrEnum):
    TENTATIVE = "tentative"
    DEFINITE = "definite"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class ContractEnvelope(BaseModel):
    """What a create or update carries besides the terms (the terms are validated separately, so that
    ``contract.property`` can be filled from the stored property first)."""

    model_config = ConfigDict(extra="forbid")

    property_id: int | None = Field(default=None, ge=1)
    account_id: int | None = Field(default=None, ge=1)
    status: ContractStatus = ContractStatus.DEFINITE
    note: Note = Field(default="", description="Why this version was made")
    block_code: ExternalCode | None = Field(
        default=None,
        description="The block's code in booking systems (OpenTravel InvBlockCode), unique within the "
        "property; left out of an amendment it is kept, null removes it",
    )
    contract: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredContract:
    record: ContractRecord
    version: ContractVersionRecord
    terms: Contract
    #: The property's booking-system room-type codes (``KNG`` -> ``king``), applied to pickup.
    room_type_codes: Mapping[str, str] = field(default_factory=dict)


def _terms(session: Session, property_id: int, raw: dict[str, Any]) -> Contract:
    """Validate the terms; the stored property's identity and tax profile fill ``contract.property``."""
    prop = repo.get(session, PropertyRecord, property_id)
    assert prop is not None  # the caller has checked the principal may see it
    data = {**raw, "property": property_info(prop).model_dump(mode="json", exclude_unset=True)}
    return parse_input(Contract, data, prefix=("contract",))


def _check_account(session: Session, account_id: int | None, property_id: int) -> None:
    if account_id is None:
        return
    account = repo.get(session, AccountRecord, account_id)
    if account is None or account.property_id != property_id:
        raise InvalidInputError(
            "unknown account",
            [Problem("account_id", f"account {account_id} does not belong to this property")],
        )


def stored_terms(terms: Contract) -> dict[str, Any]:
    """The terms as stored: only what was written, so that a term left to its default is still reported
    as an assumption when the version is read back (a full dump would make every default look chosen)."""
    dumped: dict[str, Any] = terms.model_dump(mode="json", exclude_unset=True)
    return dumped


def _check_block_code(
    session: Session, property_id: int, block_code: str | None, contract_id: int | None = None
) -> None:
    if block_code is None:
        return
    other = repo.contract_by_block_code(session, property_id, block_code)
    if other is not None and other.id != contract_id:
        raise _block_code_taken(block_code)


def _block_code_taken(block_code: str | None) -> ConflictError:
    return ConflictError(
        f"the property already has a contract with the block code {block_code}",
        [Problem("block_code", "already used by another contract of this property")],
    )


def _columns(envelope: ContractEnvelope, terms: Contract) -> dict[str, Any]:
    """The contract row's columns that follow the envelope and the terms in force (for lists and filters)."""
    codes = {"block_code": envelope.block_code} if "block_code" in envelope.model_fields_set else {}
    return {
        **codes,
        "account_id": envelope.account_id,
        "status": envelope.status,
        "name": terms.name,
        "currency": terms.currency,
        "arrival_date": terms.arrival_date,
        "departure_date": terms.departure_date,
    }


def _add_version(
    session: Session,
    principal: Principal,
    contract_id: int,
    number: int,
    envelope: ContractEnvelope,
    terms: Contract,
) -> ContractVersionRecord:
    return repo.add(
        session,
        ContractVersionRecord(
            contract_id=contract_id,
            version=number,
            terms=stored_terms(terms),
            note=envelope.note,
            created_by=principal.label,
        ),
    )


def create_contract(session: Session, principal: Principal, raw: Any) -> StoredContract:
    envelope = parse_input(ContractEnvelope, raw)
    if envelope.property_id is None:
        raise InvalidInputError("property_id is required", [Problem("property_id", "Field required")])
    property_id = envelope.property_id
    get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")
    _check_account(session, envelope.account_id, property_id)
    terms = _terms(session, property_id, envelope.contract)
    _check_block_code(session, property_id, envelope.block_code)
    try:
        with session.begin_nested():
            record = repo.add(
                session,
                ContractRecord(property_id=property_id, reference=terms.id, **_columns(envelope, terms)),
            )
    except IntegrityError:
        if envelope.block_code is not None and repo.contract_by_block_code(
            session, property_id, envelope.block_code
        ):
            raise _block_code_taken(envelope.block_code) from None
        raise ConflictError(
            f"the property already has a contract with id {terms.id!r}",
            [Problem("contract.id", "already used by another contract of this property")],
        ) from None
    assert record.id is not None
    version = _add_version(session, principal, record.id, 1, envelope, terms)
    stored = StoredContract(record, version, terms, repo.room_type_codes(session, property_id))
    contract_changed(session, stored, Change.TERMS, principal.label)
    return stored


def get_contract(session: Session, principal: Principal, contract_id: int) -> ContractRecord:
    record = repo.get(session, ContractRecord, contract_id)
    if record is None or not principal.can_see(record.property_id):
        raise NotFoundError(f"contract {contract_id} not found")
    return record


def load_contract(
    session: Session, principal: Principal, contract_id: int, version: int | None = None
) -> StoredContract:
    record, version_record = load_version(session, principal, contract_id, version)
    terms = read_terms(contract_id, version_record.version, version_record.terms)
    codes = repo.room_type_codes(session, record.property_id)
    return StoredContract(record, version_record, terms, codes)


def load_version(
    session: Session, principal: Principal, contract_id: int, version: int | None = None
) -> tuple[ContractRecord, ContractVersionRecord]:
    """The contract row and a version's row (default: the current one) as stored, terms unread: what
    the contract and version resources show, even when the terms no longer validate."""
    record = get_contract(session, principal, contract_id)
    number = record.current_version if version is None else version
    version_record = repo.contract_version(session, contract_id, number)
    if version_record is None:
        raise NotFoundError(f"contract {contract_id} has no version {number}")
    return record, version_record


def read_terms(contract_id: int, version: int, stored: Any) -> Contract:
    """The stored terms of a contract version as a Contract. Terms that no longer validate (stored by an
    older version of the service, or edited in the database) are a :class:`StoredDataError` naming the
    contract, the version and each problem, so that only this contract's pages and reads report it."""
    try:
        return Contract.model_validate(stored, strict=False)
    except (ValidationError, ValueError, TypeError, ArithmeticError, RecursionError) as error:
        problems = (
            [
                Problem(f"contract.{field_text(detail['loc'])}", error_message(detail))
                for detail in error.errors()
            ]
            if isinstance(error, ValidationError)
            else [Problem("contract", str(error) or type(error).__name__)]
        )
        raise StoredDataError(
            f"the stored terms of contract {contract_id} (version {version}) cannot be read; "
            "amend the contract to correct them",
            problems,
        ) from None


def list_contracts(
    session: Session, principal: Principal, where: repo.ContractFilter, page: repo.Page
) -> tuple[Sequence[ContractRecord], int]:
    return repo.list_contracts(session, principal.property_ids, where, page)


def list_versions(
    session: Session, principal: Principal, contract_id: int
) -> Sequence[ContractVersionRecord]:
    get_contract(session, principal, contract_id)
    return repo.contract_versions(session, contract_id)


def update_contract(
    session: Session, principal: Principal, contract_id: int, revision: int, raw: Any
) -> StoredContract:
    """Amend a contract. New terms add a version; status and account changes alone do not."""
    # The stored terms are compared, not read: an amendment is how terms that no longer validate are fixed.
    record = get_contract(session, principal, contract_id)
    current = repo.contract_version(session, contract_id, record.current_version)
    principal.require_write(record.property_id, f"contract {contract_id}")
    envelope = parse_input(ContractEnvelope, raw)
    if envelope.property_id is not None and envelope.property_id != record.property_id:
        raise InvalidInputError(
            "a contract cannot move", [Problem("property_id", "a contract stays with its property")]
        )
    _check_account(session, envelope.account_id, record.property_id)
    terms = _terms(session, record.property_id, envelope.contract)
    if terms.id != record.reference:
        raise InvalidInputError(
            "the contract id cannot change", [Problem("contract.id", "keep the contract's id")]
        )
    if "block_code" in envelope.model_fields_set:
        _check_block_code(session, record.property_id, envelope.block_code, contract_id)
    changed_terms = current is None or stored_terms(terms) != current.terms
    new_version = record.current_version + 1 if changed_terms else record.current_version
    try:
        with session.begin_nested():
            changed = repo.bump_revision(
                session,
                ContractRecord,
                contract_id,
                revision,
                current_version=new_version,
                **_columns(envelope, terms),
            )
    except IntegrityError:  # another contract took the block code at the same moment
        raise _block_code_taken(envelope.block_code) from None
    if not changed:
        raise PreconditionFailedError("the contract has changed since you read it: fetch it again")
    if changed_terms:
        _add_version(session, principal, contract_id, new_version, envelope, terms)
    if envelope.status is ContractStatus.COMPLETED:
        # Imported here: the forecasts service itself reads contracts through this module.
        from app.services.forecasts import record_block_history

        record_block_history(session, contract_id)
    stored = load_contract(session, principal, contract_id)
    contract_changed(session, stored, Change.TERMS, principal.label)
    return stored


def reference_for_block_code(block_code: str) -> str:
    """A contract id made from a block code, for a block created by its code alone (``GRP1`` -> ``grp1``,
    ``EU.CONG_25`` -> ``eu-cong-25``)."""
    return re.sub(r"[^a-z0-9]+", "-", block_code.lower()).strip("-") or "block"


def _free_reference(session: Session, property_id: int, reference: str) -> str:
    """``reference``, or the first of ``reference-2``, ``reference-3``… the property has not used (``GRP1``
    and ``grp1`` are two block codes, and their contracts need two ids)."""
    for number in range(1, 1000):
        candidate = reference if number == 1 else f"{reference[:75]}-{number}"
        if repo.contract_by_reference(session, property_id, candidate) is None:
            return candidate
    return reference  # refused as a duplicate id, naming contract.id


def upsert_contract_by_code(
    session: Session,
    principal: Principal,
    property_id: int,
    block_code: str,
    revision: int | None,
    raw: Any,
) -> tuple[StoredContract, bool]:
    """Create the property's contract with ``block_code``, or amend it (``revision`` from If-Match);
    True when it was created. The body is a contract write without ``property_id`` and ``block_code``
    (both come from the codes); ``contract.id`` may be left out: a new contract's is made from the
    block code, an existing one keeps its own."""
    if isinstance(raw, dict):
        for name in ("property_id", "block_code"):
            if name in raw:
                raise InvalidInputError(
                    f"{name} comes from the address", [Problem(name, "leave it out: the address names it")]
                )
    envelope = parse_input(ContractEnvelope, raw)
    existing = repo.contract_by_block_code(session, property_id, block_code)
    terms = dict(envelope.contract)
    body = {**envelope.model_dump(mode="json", exclude_unset=True), "block_code": block_code}
    if existing is None:
        terms.setdefault("id", _free_reference(session, property_id, reference_for_block_code(block_code)))
        body.update(property_id=property_id, contract=terms)
        return create_contract(session, principal, body), True
    assert existing.id is not None
    principal.require_write(property_id, f"block {block_code}")  # 403 before 428
    if revision is None:
        raise PreconditionRequiredError("send If-Match with the ETag you read, so that no change is lost")
    terms.setdefault("id", existing.reference)
    body["contract"] = terms
    return update_contract(session, principal, existing.id, revision, body), False
