"""Assessments: of a posted contract (nothing stored), or of a stored contract as of a date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter
from sqlmodel import Session

from app.documents import AssessmentRequest
from app.engine import Actuals, Assessment, EngineError, assess
from app.observability import ASSESSMENTS
from app.persistence import repositories as repo
from app.persistence.records import AssessmentRecord, utc_now
from app.services.actuals import actuals_as_of
from app.services.auth import Principal
from app.services.contracts import StoredContract, get_contract, load_contract
from app.services.errors import InvalidInputError, NotFoundError, Problem
from app.services.inputs import parse_input

ASSESSMENT = TypeAdapter(Assessment)


def hotel_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date at the hotel: a stay's dates are hotel-local (docs/architecture.md, "Money and dates")."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(
            "unknown timezone",
            [
                Problem(
                    "contract.property.timezone",
                    f"unknown timezone {timezone!r}: give as_of, or an IANA name",
                )
            ],
        ) from None
    return (now or utc_now()).astimezone(zone).date()


def _assess(contract: Any, actuals: Actuals, as_of: date) -> Assessment:
    try:
        assessment = assess(contract, actuals, as_of)
    except EngineError as error:
        ASSESSMENTS.labels("refused").inc()
        raise InvalidInputError(str(error), [Problem(error.field or "", str(error))]) from None
    ASSESSMENTS.labels("computed").inc()
    return assessment


def validate_request(data: Any) -> AssessmentRequest:
    """Validate a stateless assessment's body without assessing it (for systems checking their data)."""
    return parse_input(AssessmentRequest, data)


def assess_request(data: Any) -> Assessment:
    """The stateless assessment: everything is in the request."""
    request = parse_input(AssessmentRequest, data)
    as_of = request.as_of or hotel_today(request.contract.property.timezone)
    actuals = request.actuals or Actuals(currency=request.contract.currency)
    return _assess(request.contract, actuals, as_of)


@dataclass(frozen=True, slots=True)
class ContractAssessment:
    contract_id: int
    contract_version: int
    as_of: date
    assessment: Assessment


def assess_contract(
    session: Session,
    principal: Principal,
    contract_id: int,
    as_of: date | None,
    version: int | None = None,
    *,
    as_invoiced: bool = False,
) -> ContractAssessment:
    """``as_invoiced``: under shared last room sold, as the contract will stand once invoiced (the
    invoice being prepared; app.services.last_room_sold)."""
    stored = load_contract(session, principal, contract_id, version)
    return assess_stored(session, stored, as_of, as_invoiced=as_invoiced)


def assess_stored(
    session: Session, stored: StoredContract, as_of: date | None, *, as_invoiced: bool = False
) -> ContractAssessment:
    day = as_of or hotel_today(stored.terms.property.timezone)
    actuals = actuals_as_of(session, stored, day, as_invoiced=as_invoiced)
    assert stored.record.id is not None
    return ContractAssessment(
        stored.record.id, stored.version.version, day, _assess(stored.terms, actuals, day)
    )


def save_assessment(
    session: Session, principal: Principal, contract_id: int, as_of: date | None
) -> tuple[AssessmentRecord, ContractAssessment]:
    """Assess and keep the result with the contract version it used."""
    stored = load_contract(session, principal, contract_id)
    principal.require_write(stored.record.property_id, f"contract {contract_id}")
    result = assess_stored(session, stored, as_of)
    return keep_assessment(session, principal, result), result


def keep_assessment(session: Session, principal: Principal, result: ContractAssessment) -> AssessmentRecord:
    """Store an assessment already made (the caller checked the principal may write the contract)."""
    return repo.add(
        session,
        AssessmentRecord(
            contract_id=result.contract_id,
            contract_version=result.contract_version,
            as_of=result.as_of,
            total_amount=str(result.assessment.total.amount),
            currency=result.assessment.total.currency,
            result=ASSESSMENT.dump_python(result.assessment, mode="json"),
            created_by=principal.label,
        ),
    )


def stored_assessments(
    session: Session, principal: Principal, contract_id: int
) -> Sequence[AssessmentRecord]:
    get_contract(session, principal, contract_id)
    return repo.stored_assessments(session, contract_id)


def stored_assessment(
    session: Session, principal: Principal, contract_id: int, assessment_id: int
) -> AssessmentRecord:
    get_contract(session, principal, contract_id)
    record = repo.get(session, AssessmentRecord, assessment_id)
    if record is None or record.contract_id != contract_id:
        raise NotFoundError(f"assessment {assessment_id} not found")
    return record
