"""Outside-block audits of a contract: upload the registration list and the reservation export, read the
proposed matches, confirm or reject each (a confirmed match is credited as outside-block pickup)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from app.api.conventions import LOCATION, conflict, responses
from app.api.deps import Limit, Offset, Once, OnceDep, PrincipalDep, SessionDep, UnsupportedMediaTypeError
from app.api.schemas import Page
from app.persistence import repositories as repo
from app.persistence.records import AuditMatchRecord, AuditRunRecord
from app.services import audit as service
from app.services.audit import Decision, MatchStatus
from app.services.audit_files import (
    MAX_REGISTRATION_BYTES,
    MAX_RESERVATION_BYTES,
    AuditFile,
)
from app.services.auth import Principal
from app.services.errors import InvalidInputError, MalformedInputError, Problem
from app.services.idempotency import Outcome

router = APIRouter(tags=["outside-block audits"])


class AuditSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contract_id: int
    created_by: str = Field(description="Who uploaded the files")
    created_at: datetime
    registrations_file: str
    reservations_file: str
    block_code: str | None = Field(description="Reservations with this code were taken as in the block")
    registrant_count: int
    reservation_count: int
    candidate_count: int = Field(description="Reservations not in the block that share a night with the stay")
    match_count: int
    threshold: float = Field(description="The confidence at or above which a pair was proposed (0-1)")


class AuditMatchPublic(BaseModel):
    id: int
    audit_id: int
    status: MatchStatus
    confidence: float = Field(
        description="0-1: how sure the matcher is that the reservation is the registrant's"
    )
    name_similarity: float = Field(description="0-1")
    dates_overlap: float = Field(description="0-1: nights both stays share over the nights either covers")
    email_agrees: bool | None = Field(description="Empty where either side gave no email")
    company_agrees: bool | None = Field(description="Empty where either side gave no company")
    registrant: dict[str, Any] = Field(
        description="The registration list's row: line, name, dates, email, company"
    )
    reservation: dict[str, Any] = Field(
        description="The export's row: line, confirmation, name, dates, email, company, room type, block code"
    )
    credited_room_type: str
    credited_from: date
    credited_room_nights: int = Field(
        description="One room for each block night the reservation shares with the stay"
    )
    decided_by: str | None
    decided_at: datetime | None
    credited_as_of: date | None = Field(
        description="The as-of date of the pickup entry the last decision wrote"
    )


class AuditPublic(AuditSummary):
    matches: list[AuditMatchPublic]


def _summary(run: AuditRunRecord) -> AuditSummary:
    return AuditSummary.model_validate({**run.model_dump(), "threshold": run.threshold_permille / 1000})


def _match(record: AuditMatchRecord) -> AuditMatchPublic:
    assert record.id is not None
    return AuditMatchPublic(
        id=record.id,
        audit_id=record.audit_id,
        status=MatchStatus(record.status),
        confidence=record.confidence_permille / 1000,
        name_similarity=record.name_permille / 1000,
        dates_overlap=record.dates_permille / 1000,
        email_agrees=record.email_agrees,
        company_agrees=record.company_agrees,
        registrant={
            "line": record.registrant_line,
            "name": record.registrant_name,
            "arrival": record.registrant_arrival.isoformat(),
            "departure": record.registrant_departure.isoformat(),
            "email": record.registrant_email,
            "company": record.registrant_company,
        },
        reservation={
            "line": record.reservation_line,
            "confirmation": record.confirmation,
            "name": record.reservation_name,
            "arrival": record.reservation_arrival.isoformat(),
            "departure": record.reservation_departure.isoformat(),
            "email": record.reservation_email,
            "company": record.reservation_company,
            "room_type": record.reservation_room_type,
            "block_code": record.reservation_block_code,
        },
        credited_room_type=record.credited_room_type,
        credited_from=record.credited_from,
        credited_room_nights=record.credited_nights,
        decided_by=record.decided_by,
        decided_at=record.decided_at,
        credited_as_of=record.credited_as_of,
    )


def _detail(detail: service.AuditDetail) -> AuditPublic:
    return AuditPublic.model_validate(
        {**_summary(detail.run).model_dump(), "matches": [_match(record) for record in detail.matches]}
    )


_FIELDS = {"registrations", "reservations", "block_code"}


async def read_audit_upload(request: Request) -> tuple[AuditFile, AuditFile, str | None, bytes]:
    """The two files (and an optional block code) of a multipart upload."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMediaTypeError("send the two files as multipart/form-data")
    try:
        # Read whole first: the Idempotency-Key's fingerprint reads the kept bytes too.
        await request.body()
        form = await request.form(max_files=2, max_fields=5)
    except HTTPException:  # the upload passed its size limit (app.api.middleware): 413
        raise
    except Exception as error:  # python-multipart's parse errors have no common base
        raise MalformedInputError(f"the upload cannot be read: {error}") from None
    try:
        extra = sorted(set(form) - _FIELDS)
        if extra:
            raise InvalidInputError(
                "the upload has fields it does not take",
                [
                    Problem(name, "send registrations, reservations and optionally block_code")
                    for name in extra
                ],
            )
        files: list[AuditFile] = []
        problems = []
        for name in ("registrations", "reservations"):
            upload = form.get(name)
            if not isinstance(upload, UploadFile):
                problems.append(Problem(name, f"attach the file in a form field named {name!r}"))
                continue
            files.append(AuditFile(name, upload.filename or name, await upload.read()))
        if problems:
            raise InvalidInputError("the upload lacks a file", problems)
        code = form.get("block_code")
        if code is not None and not isinstance(code, str):
            raise InvalidInputError(
                "block_code is text", [Problem("block_code", "send the block code as text")]
            )
    finally:
        await form.close()
    return files[0], files[1], code, files[0].data + b"\0" + files[1].data + b"\0" + (code or "").encode()


def _file(what: str, limit: int) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "binary",
        "description": f"{what}, CSV or .xlsx, at most {limit:,} bytes",
    }


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "registrations": _file("The group's registration list", MAX_REGISTRATION_BYTES),
                        "reservations": _file("The hotel's reservation export", MAX_RESERVATION_BYTES),
                        "block_code": {
                            "type": "string",
                            "maxLength": service.MAX_BLOCK_CODE_CHARS,
                            "description": "The code of the block's own bookings (default: the contract's)",
                        },
                    },
                    "required": ["registrations", "reservations"],
                    "additionalProperties": False,
                }
            }
        },
    }
}


@router.post(
    "/contracts/{contract_id}/audits",
    status_code=201,
    response_model=AuditPublic,
    responses=responses(201, LOCATION),
    openapi_extra=UPLOAD_BODY,
    summary="Run an outside-block audit: match the registration list against the reservation export",
    description=(
        "Columns (header names matched case-insensitively; README, Outside-block audit): name (or first_name "
        "and last_name), arrival, departure, optionally email and company; the export also confirmation, "
        "room_type and block_code (rate, channel or block code). Dates YYYY-MM-DD or date cells. A file with "
        "any bad row stores nothing; each problem names its file, line and column. Matches start pending."
    ),
)
def create_audit(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    upload: Annotated[tuple[AuditFile, AuditFile, str | None, bytes], Depends(read_audit_upload)],
    once: OnceDep,
) -> JSONResponse:
    registrations, reservations, code, content = upload

    def write() -> Outcome:
        detail = service.run_audit(session, principal, contract_id, registrations, reservations, code)
        return Outcome(201, _detail(detail).model_dump(mode="json"))

    return once.answer(
        session,
        principal,
        write,
        lambda body: {"Location": f"/api/v1/contracts/{contract_id}/audits/{body['id']}"},
        content=(content,),
    )


@router.get(
    "/contracts/{contract_id}/audits",
    response_model=Page[AuditSummary],
    summary="List the contract's outside-block audits, newest first",
)
def list_audits(
    contract_id: int, session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[AuditSummary]:
    records, total = service.list_audits(session, principal, contract_id, repo.Page(limit, offset))
    return Page[AuditSummary](
        items=[_summary(run) for run in records], total=total, limit=limit, offset=offset
    )


@router.get(
    "/contracts/{contract_id}/audits/{audit_id}",
    response_model=AuditPublic,
    summary="An outside-block audit with its matches, highest confidence first",
)
def read_audit(contract_id: int, audit_id: int, session: SessionDep, principal: PrincipalDep) -> AuditPublic:
    return _detail(service.get_audit(session, principal, contract_id, audit_id))


_DECIDED = conflict(
    "the match already has that decision, or its reservation is credited by another confirmed match"
)


def _decide(
    contract_id: int,
    audit_id: int,
    match_id: int,
    decision: Decision,
    session: Session,
    principal: Principal,
    once: Once,
) -> JSONResponse:
    def write() -> Outcome:
        record = service.decide_match(session, principal, contract_id, audit_id, match_id, decision)
        return Outcome(200, _match(record).model_dump(mode="json"))

    return once.answer(session, principal, write)


@router.post(
    "/contracts/{contract_id}/audits/{audit_id}/matches/{match_id}/confirm",
    response_model=AuditMatchPublic,
    responses=_DECIDED,
    summary="Confirm a match: its nights are credited as outside-block pickup as of today at the hotel",
)
def confirm_audit_match(
    contract_id: int,
    audit_id: int,
    match_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    once: OnceDep,
) -> JSONResponse:
    return _decide(contract_id, audit_id, match_id, Decision.CONFIRM, session, principal, once)


@router.post(
    "/contracts/{contract_id}/audits/{audit_id}/matches/{match_id}/reject",
    response_model=AuditMatchPublic,
    responses=_DECIDED,
    summary="Reject a match; a confirmed one's credit is taken back in a new pickup entry",
)
def reject_audit_match(
    contract_id: int,
    audit_id: int,
    match_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    once: OnceDep,
) -> JSONResponse:
    return _decide(contract_id, audit_id, match_id, Decision.REJECT, session, principal, once)
