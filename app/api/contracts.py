"""Contracts, their versions, actuals (pickup as JSON or CSV) and assessments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from app.api.conventions import ETAG, LOCATION, conflict, not_found, responses
from app.api.deps import (
    IfMatch,
    JsonBody,
    Limit,
    Offset,
    Once,
    OnceDep,
    PrincipalDep,
    SessionDep,
    UnsupportedMediaTypeError,
    UpdatedSince,
    body_schema,
    etag,
    expected_revision,
    read_json,
    reads_first,
)
from app.api.middleware import CSV_LIMIT
from app.api.schemas import (
    BlockWrite,
    ContractAssessmentPublic,
    ContractPublic,
    ContractSummary,
    ContractWrite,
    Page,
    Saved,
    StoredAssessmentPublic,
    VersionPublic,
)
from app.documents import AssessmentRequest
from app.engine import Assessment
from app.engine.limits import IsoDate
from app.persistence import repositories as repo
from app.persistence.records import AssessmentRecord
from app.services import actuals as actuals_service
from app.services import assessments as assessment_service
from app.services import contracts as service
from app.services import external_codes, pickup_files
from app.services.auth import Principal
from app.services.errors import InvalidInputError, MalformedInputError, NotFoundError, Problem
from app.services.idempotency import Outcome

router = APIRouter(tags=["contracts"])

AsOf = Annotated[IsoDate | None, Query(description="Default: today at the hotel")]

ASSESSMENT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Assessment"}}}}
}
#: A stored contract (or its actuals) that no longer validates is a 409 naming what is wrong.
STORED = conflict("the stored contract or its actuals no longer validate; the problems say what is wrong")
TAKEN = conflict("the property already has a contract of that id or block code")


def _created(body: dict[str, Any]) -> dict[str, str]:
    """A new contract's headers, made from its body so that an Idempotency-Key replay has them too."""
    return {"Location": f"/api/v1/contracts/{body['id']}", "ETag": etag(body["revision"])}


def _public(stored: service.StoredContract) -> ContractPublic:
    return ContractPublic.model_validate(
        {**ContractSummary.model_validate(stored.record).model_dump(), "contract": stored.version.terms}
    )


def _contract(stored: service.StoredContract | tuple[Any, Any], response: Response) -> ContractPublic:
    record, version = (
        (stored.record, stored.version) if isinstance(stored, service.StoredContract) else stored
    )
    response.headers["ETag"] = etag(record.revision)
    return ContractPublic.model_validate(
        {**ContractSummary.model_validate(record).model_dump(), "contract": version.terms}
    )


@router.post(
    "/contracts",
    status_code=201,
    response_model=ContractPublic,
    responses=responses(201, LOCATION | ETAG) | TAKEN | not_found("the property the body names"),
    openapi_extra=body_schema(ContractWrite, "ContractWrite"),
    summary="Create a contract (its version 1)",
)
def create_contract(
    session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    def write() -> Outcome:
        stored = service.create_contract(session, principal, body)
        return Outcome(201, _public(stored).model_dump(mode="json"))

    return once.answer(session, principal, write, _created)


@router.get("/contracts", response_model=Page[ContractSummary], summary="List contracts by arrival date")
def list_contracts(
    session: SessionDep,
    principal: PrincipalDep,
    property_id: Annotated[int | None, Query(ge=1)] = None,
    account_id: Annotated[int | None, Query(ge=1)] = None,
    status: service.ContractStatus | None = None,
    arrival_from: IsoDate | None = None,
    arrival_to: IsoDate | None = None,
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ContractSummary]:
    where = repo.ContractFilter(property_id, account_id, status, arrival_from, arrival_to, updated_since)
    items, total = service.list_contracts(session, principal, where, repo.Page(limit, offset))
    return Page[ContractSummary](
        items=[ContractSummary.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/contracts/{contract_id}", response_model=ContractPublic, responses=responses(200, ETAG) | STORED
)
def read_contract(
    contract_id: int, response: Response, session: SessionDep, principal: PrincipalDep
) -> ContractPublic:
    return _contract(service.load_version(session, principal, contract_id), response)


@router.put(
    "/contracts/{contract_id}",
    response_model=ContractPublic,
    responses=responses(200, ETAG) | TAKEN,
    openapi_extra=body_schema(ContractWrite, "ContractWrite"),
    summary="Amend a contract (If-Match required; new terms add a version)",
)
def update_contract(
    contract_id: int,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    if_match: IfMatch = None,
) -> ContractPublic:
    record = service.get_contract(session, principal, contract_id)
    principal.require_write(record.property_id, f"contract {contract_id}")  # 403 before 428/412
    stored = service.update_contract(session, principal, contract_id, expected_revision(if_match), body)
    session.commit()
    return _contract(stored, response)


@router.get(
    "/contracts/{contract_id}/versions",
    response_model=Page[VersionPublic],
    summary="The contract's versions, oldest first",
)
def list_versions(
    contract_id: int, session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[VersionPublic]:
    rows = service.list_versions(session, principal, contract_id)
    return Page[VersionPublic](
        items=[VersionPublic.model_validate(row) for row in rows[offset : offset + limit]],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


@router.get("/contracts/{contract_id}/versions/{version}", response_model=VersionPublic)
def read_version(
    contract_id: int, version: Annotated[int, Path(ge=1)], session: SessionDep, principal: PrincipalDep
) -> VersionPublic:
    return VersionPublic.model_validate(service.load_version(session, principal, contract_id, version)[1])


# --- by booking-system codes ----------------------------------------------------------------------------

HotelCode = Annotated[
    str,
    Path(
        min_length=1,
        max_length=external_codes.MAX_CODE_CHARS,
        pattern=external_codes.CODE_PATTERN,
        description="The property's hotel code",
    ),
]
BlockCode = Annotated[
    str,
    Path(
        min_length=1,
        max_length=external_codes.MAX_CODE_CHARS,
        pattern=external_codes.CODE_PATTERN,
        description="The block code, unique within the property",
    ),
]
# ``:path``, because codes may hold "/" (``EU/25``): the hotel code runs to the last "/blocks/".
BY_CODE = "/properties/by-code/{hotel_code:path}/blocks/{block_code:path}"


@router.get(
    BY_CODE,
    response_model=ContractPublic,
    responses=responses(200, ETAG) | STORED,
    summary="Read a contract by hotel code and block code",
)
def read_contract_by_code(
    hotel_code: HotelCode,
    block_code: BlockCode,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> ContractPublic:
    prop = external_codes.property_by_hotel_code(session, principal, hotel_code)
    assert prop.id is not None
    record = repo.contract_by_block_code(session, prop.id, block_code)
    if record is None or record.id is None:
        raise NotFoundError(f"hotel {hotel_code} has no block {block_code}")
    return _contract(service.load_version(session, principal, record.id), response)


@router.put(
    BY_CODE,
    response_model=ContractPublic,
    responses=responses(200, ETAG, "Replaced")
    | {201: {"description": "Created", "model": ContractPublic, "headers": LOCATION | ETAG}}
    | TAKEN,
    openapi_extra=body_schema(BlockWrite, "BlockWrite"),
    summary="Create or replace the contract a block code names (If-Match to replace)",
)
def upsert_contract_by_code(
    hotel_code: HotelCode,
    block_code: BlockCode,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    if_match: IfMatch = None,
) -> ContractPublic:
    prop = external_codes.property_by_hotel_code(session, principal, hotel_code)
    assert prop.id is not None
    principal.require_write(prop.id, f"hotel {hotel_code}")  # 403 before any 428/412/422
    revision = None if if_match is None or not if_match.strip() else expected_revision(if_match)
    stored, created = service.upsert_contract_by_code(session, principal, prop.id, block_code, revision, body)
    session.commit()
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/contracts/{stored.record.id}"
    return _contract(stored, response)


# --- actuals -------------------------------------------------------------------------------------------


async def read_pickup(request: Request) -> tuple[str, Any, bytes]:
    """A pickup report as JSON, as a CSV body (text/csv) or as a CSV file upload (multipart)."""
    return await read_report(request, "pickup")


async def read_report(request: Request, what: str) -> tuple[str, Any, bytes]:
    """A report (``what``: "pickup", "inventory") as JSON, a CSV or .xlsx body, or a file upload."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        try:
            # Read whole first: the form is then parsed from the kept bytes, which the Idempotency-Key's
            # fingerprint (app.api.deps.once) reads too, whichever dependency runs first.
            await request.body()
            form = await request.form(max_files=1, max_fields=10)
        except HTTPException:  # the upload passed its size limit (app.api.middleware): 413
            raise
        except Exception as error:  # python-multipart's parse errors have no common base
            raise MalformedInputError(f"the upload cannot be read: {error}") from None
        extra = sorted({name for name in form if name != "file"})
        if extra:
            await form.close()
            raise InvalidInputError(
                "the upload has fields besides the file",
                [Problem(name, "send only the file, in a form field named 'file'") for name in extra],
            )
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise MalformedInputError("attach the CSV file in a form field named 'file'")
        raw = await upload.read()
        await form.close()
        if not raw.strip():
            raise InvalidInputError(
                "the uploaded file is empty", [Problem("file", f"the file is empty: attach the {what} CSV")]
            )
        if _is_workbook(raw, upload.content_type, upload.filename):
            return "xlsx", raw, raw
        return "csv", _csv_text(raw), raw
    if media == pickup_files.XLSX_MEDIA_TYPE:
        raw = await request.body()
        return "xlsx", raw, raw
    if media in {"text/csv", "text/plain", "application/csv"}:
        raw = await request.body()
        return "csv", _csv_text(raw), raw
    if media == "application/json" or media.endswith("+json"):
        raw = await request.body()
        return "json", await read_json(request), raw
    raise UnsupportedMediaTypeError(
        f"send a {what} report as application/json, text/csv, an .xlsx workbook or a multipart upload"
    )


def _is_workbook(raw: bytes, content_type: str | None, filename: str | None) -> bool:
    named = (filename or "").lower().endswith(".xlsx")
    typed = (content_type or "").split(";")[0].strip().lower() == pickup_files.XLSX_MEDIA_TYPE
    return named or typed or raw.startswith(b"PK\x03\x04")


def _csv_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet exports on Windows are often CP1252; every byte decodes, so say which we used.
        return raw.decode("cp1252", errors="replace")


PICKUP_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PickupReport"}},
            "text/csv": {"schema": {"type": "string", "pattern": r"\S", "maxLength": CSV_LIMIT.max_bytes}},
            pickup_files.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                    "additionalProperties": False,
                }
            },
        },
    }
}
body_schema(actuals_service.PickupReport, "PickupReport")


@router.post(
    "/contracts/{contract_id}/pickup",
    status_code=201,
    response_model=Saved,
    openapi_extra=PICKUP_BODY,
    summary="Record a pickup report (JSON, or CSV or .xlsx with ?as_of= or an as_of column)",
    description=(
        "CSV columns (header names are matched case-insensitively): night, room_type, room_nights, and "
        "optionally source, rate, as_of. Comma, semicolon, tab and bar delimiters are detected. An .xlsx "
        "workbook (its first sheet) takes the same columns. Dates are YYYY-MM-DD (or date cells). A report "
        "with any bad row saves nothing; each problem names its line (row)."
    ),
)
def record_pickup(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    upload: Annotated[tuple[str, Any, bytes], Depends(read_pickup)],
    once: OnceDep,
    as_of: Annotated[
        IsoDate | None, Query(description="The report date of a CSV without an as_of column")
    ] = None,
) -> JSONResponse:
    kind, data, raw = upload

    def save() -> actuals_service.Saved:
        if kind == "xlsx" and len(raw) > pickup_files.MAX_FILE_BYTES:
            raise MalformedInputError(f"the file is larger than {pickup_files.MAX_FILE_BYTES:,} bytes")
        if kind == "csv":
            return pickup_files.record_pickup_csv(session, principal, contract_id, data, as_of)
        if kind == "xlsx":
            return pickup_files.record_pickup_xlsx(session, principal, contract_id, data, as_of)
        return actuals_service.record_pickup(session, principal, contract_id, data)

    return _save_once(session, principal, contract_id, once, save, content=(kind, raw))


def _save_once(
    session: Session,
    principal: Principal,
    contract_id: int,
    once: Once,
    save: Callable[[], actuals_service.Saved],
    content: tuple[bytes | str, ...] | None = None,
) -> JSONResponse:
    """Record actuals once per Idempotency-Key and answer 201 with what was saved (or its replay)."""

    def write() -> Outcome:
        saved = save()
        body = Saved(contract_id=saved.contract_id, as_of=saved.as_of, rows=saved.rows)
        return Outcome(201, body.model_dump(mode="json"))

    service.get_contract(session, principal, contract_id)
    return once.answer(session, principal, write, content=content)


@router.get(
    "/contracts/{contract_id}/actuals", responses=STORED, summary="The actuals as they stood on a date"
)
def read_actuals(contract_id: int, session: SessionDep, principal: PrincipalDep, as_of: AsOf = None) -> Any:
    stored = service.load_contract(session, principal, contract_id)
    day = as_of or assessment_service.hotel_today(stored.terms.property.timezone)
    return actuals_service.actuals_as_of(session, stored, day).model_dump(mode="json")


@router.post(
    "/contracts/{contract_id}/actuals",
    status_code=201,
    response_model=Saved,
    openapi_extra=body_schema(actuals_service.ActualsReport, "ActualsReport"),
    summary="Record F&B spend, inventory reports and notices",
)
def record_actuals(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    once: OnceDep,
) -> JSONResponse:
    return _save_once(
        session,
        principal,
        contract_id,
        once,
        lambda: actuals_service.record_actuals(session, principal, contract_id, body),
    )


# --- assessments ---------------------------------------------------------------------------------------


def _dump(assessment: Assessment) -> dict[str, Any]:
    dumped: dict[str, Any] = assessment_service.ASSESSMENT.dump_python(assessment, mode="json")
    return dumped


@router.post(
    "/assessments",
    openapi_extra=body_schema(AssessmentRequest, "AssessmentRequest"),
    responses=ASSESSMENT_RESPONSE,
    summary="Assess a contract and actuals sent in the body (nothing is stored)",
    tags=["assessments"],
)
@reads_first
def assess_posted(
    session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    return once.answer(
        session, principal, lambda: Outcome(200, _dump(assessment_service.assess_request(body)))
    )


@router.post(
    "/validate",
    openapi_extra=body_schema(AssessmentRequest, "AssessmentRequest"),
    summary="Validate a contract and its actuals (the body of POST /assessments) without assessing them",
    tags=["assessments"],
)
@reads_first
def validate_posted(
    session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    def write() -> Outcome:
        assessment_service.validate_request(body)
        return Outcome(200, {"valid": True})

    return once.answer(session, principal, write)


@router.get(
    "/contracts/{contract_id}/assessment",
    response_model=ContractAssessmentPublic,
    responses=STORED,
    summary="Assess a stored contract as of a date (not stored)",
    tags=["assessments"],
)
def assess_stored(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOf = None,
    version: Annotated[int | None, Query(ge=1, description="Default: the current version")] = None,
) -> ContractAssessmentPublic:
    result = assessment_service.assess_contract(session, principal, contract_id, as_of, version)
    return ContractAssessmentPublic(
        contract_id=result.contract_id,
        contract_version=result.contract_version,
        as_of=result.as_of,
        assessment=_dump(result.assessment),
    )


def _stored(record: AssessmentRecord) -> StoredAssessmentPublic:
    assert record.id is not None
    return StoredAssessmentPublic(
        id=record.id,
        contract_id=record.contract_id,
        contract_version=record.contract_version,
        as_of=record.as_of,
        assessment=record.result,
        created_by=record.created_by,
        created_at=record.created_at,
    )


@router.post(
    "/contracts/{contract_id}/assessments",
    status_code=201,
    response_model=StoredAssessmentPublic,
    responses=responses(201, LOCATION) | STORED,
    summary="Assess a stored contract and keep the result with the version it used",
    tags=["assessments"],
)
def save_assessment(
    contract_id: int, session: SessionDep, principal: PrincipalDep, once: OnceDep, as_of: AsOf = None
) -> JSONResponse:
    def write() -> Outcome:
        record, _ = assessment_service.save_assessment(session, principal, contract_id, as_of)
        return Outcome(201, _stored(record).model_dump(mode="json"))

    def location(body: dict[str, Any]) -> dict[str, str]:
        return {"Location": f"/api/v1/contracts/{body['contract_id']}/assessments/{body['id']}"}

    return once.answer(session, principal, write, location)


@router.get(
    "/contracts/{contract_id}/assessments",
    response_model=Page[StoredAssessmentPublic],
    summary="The assessments kept of the contract, oldest first",
    tags=["assessments"],
)
def list_assessments(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[StoredAssessmentPublic]:
    rows = assessment_service.stored_assessments(session, principal, contract_id)
    if updated_since is not None:  # kept assessments never change: made since
        rows = [row for row in rows if row.created_at >= updated_since]
    return Page[StoredAssessmentPublic](
        items=[_stored(row) for row in rows[offset : offset + limit]],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/contracts/{contract_id}/assessments/{assessment_id}",
    response_model=StoredAssessmentPublic,
    tags=["assessments"],
)
def read_assessment(
    contract_id: int, assessment_id: int, session: SessionDep, principal: PrincipalDep
) -> StoredAssessmentPublic:
    return _stored(assessment_service.stored_assessment(session, principal, contract_id, assessment_id))
