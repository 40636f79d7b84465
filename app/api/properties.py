"""Properties and accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from app.api.conventions import ETAG, LOCATION, conflict, not_found, responses
from app.api.deps import (
    IfMatch,
    JsonBody,
    Limit,
    Offset,
    OnceDep,
    PrincipalDep,
    SessionDep,
    UpdatedSince,
    body_schema,
    etag,
    expected_revision,
)
from app.api.schemas import AccountPublic, Page, PropertyPublic, RoomTypeCodesPublic
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, PropertyRecord
from app.services import external_codes
from app.services import properties as service
from app.services.idempotency import Outcome
from app.services.inputs import parse_input

router = APIRouter(tags=["properties and accounts"])


def _property(record: PropertyRecord, response: Response) -> PropertyPublic:
    response.headers["ETag"] = etag(record.revision)
    return PropertyPublic.model_validate(record)


def _account(record: AccountRecord, response: Response) -> AccountPublic:
    response.headers["ETag"] = etag(record.revision)
    return AccountPublic.model_validate(record)


def _created(path: str) -> Callable[[dict[str, Any]], dict[str, str]]:
    """The headers of a 201 made from its body, so that an Idempotency-Key replay has them too."""
    return lambda body: {"Location": f"/api/v1/{path}/{body['id']}", "ETag": etag(body["revision"])}


@router.post(
    "/properties",
    status_code=201,
    response_model=PropertyPublic,
    responses=responses(201, LOCATION | ETAG) | conflict("the hotel code or invoice prefix is taken"),
    openapi_extra=body_schema(service.PropertyCreate, "PropertyCreate"),
    summary="Create a property (administrators)",
)
def create_property(
    session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    principal.require_admin()  # 403 before any 422
    data = parse_input(service.PropertyCreate, body)

    def write() -> Outcome:
        record = service.create_property(session, principal, data)
        return Outcome(201, PropertyPublic.model_validate(record).model_dump(mode="json"))

    return once.answer(session, principal, write, _created("properties"))


@router.get("/properties", response_model=Page[PropertyPublic], summary="List the properties you may see")
def list_properties(
    session: SessionDep,
    principal: PrincipalDep,
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PropertyPublic]:
    items, total = service.list_properties(session, principal, repo.Page(limit, offset), updated_since)
    return Page[PropertyPublic](
        items=[PropertyPublic.model_validate(item) for item in items], total=total, limit=limit, offset=offset
    )


@router.get("/properties/{property_id}", response_model=PropertyPublic, responses=responses(200, ETAG))
def read_property(
    property_id: int, response: Response, session: SessionDep, principal: PrincipalDep
) -> PropertyPublic:
    return _property(service.get_property(session, principal, property_id), response)


@router.put(
    "/properties/{property_id}",
    response_model=PropertyPublic,
    responses=responses(200, ETAG) | conflict("the hotel code or invoice prefix is taken"),
    openapi_extra=body_schema(service.PropertyCreate, "PropertyCreate"),
    summary="Replace a property's details (If-Match required)",
)
def update_property(
    property_id: int,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    if_match: IfMatch = None,
) -> PropertyPublic:
    service.get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")  # 403 before any 428/412
    revision = expected_revision(if_match)
    data = parse_input(service.PropertyCreate, body)
    record = service.update_property(session, principal, property_id, revision, data)
    session.commit()
    return _property(record, response)


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountPublic,
    responses=responses(201, LOCATION | ETAG)
    | conflict("the property has an account of that name")
    | not_found("the property the body names"),
    openapi_extra=body_schema(service.AccountCreate, "AccountCreate"),
)
def create_account(
    session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    data = parse_input(service.AccountCreate, body)

    def write() -> Outcome:
        record = service.create_account(session, principal, data)
        return Outcome(201, AccountPublic.model_validate(record).model_dump(mode="json"))

    return once.answer(session, principal, write, _created("accounts"))


@router.get("/accounts", response_model=Page[AccountPublic])
def list_accounts(
    session: SessionDep,
    principal: PrincipalDep,
    property_id: Annotated[int | None, Query(ge=1)] = None,
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AccountPublic]:
    items, total = service.list_accounts(
        session, principal, property_id, repo.Page(limit, offset), updated_since
    )
    return Page[AccountPublic](
        items=[AccountPublic.model_validate(item) for item in items], total=total, limit=limit, offset=offset
    )


@router.get("/accounts/{account_id}", response_model=AccountPublic, responses=responses(200, ETAG))
def read_account(
    account_id: int, response: Response, session: SessionDep, principal: PrincipalDep
) -> AccountPublic:
    return _account(service.get_account(session, principal, account_id), response)


@router.put(
    "/accounts/{account_id}",
    response_model=AccountPublic,
    responses=responses(200, ETAG) | conflict("the property has an account of that name"),
    openapi_extra=body_schema(service.AccountUpdate, "AccountUpdate"),
    summary="Replace an account's details (If-Match required)",
)
def update_account(
    account_id: int,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    if_match: IfMatch = None,
) -> AccountPublic:
    account = service.get_account(session, principal, account_id)
    principal.require_write(account.property_id, f"account {account_id}")  # 403 before any 428/412
    revision = expected_revision(if_match)
    data = parse_input(service.AccountUpdate, body)
    record = service.update_account(session, principal, account_id, revision, data)
    session.commit()
    return _account(record, response)


@router.get(
    "/properties/{property_id}/room-type-codes",
    response_model=RoomTypeCodesPublic,
    summary="The property's booking-system room-type codes (KNG -> king)",
)
def read_room_type_codes(
    property_id: int, session: SessionDep, principal: PrincipalDep
) -> RoomTypeCodesPublic:
    codes = external_codes.room_type_codes(session, principal, property_id)
    return RoomTypeCodesPublic(property_id=property_id, codes=codes)


@router.put(
    "/properties/{property_id}/room-type-codes",
    response_model=RoomTypeCodesPublic,
    openapi_extra=body_schema(external_codes.RoomTypeCodes, "RoomTypeCodes"),
    summary="Replace the property's room-type codes",
    description=(
        "Pickup that names a code (JSON, CSV, .xlsx, OpenTravel) is recorded against the room type it "
        "maps to; a room type the block itself holds wins over a code of the same spelling."
    ),
)
def replace_room_type_codes(
    property_id: int, session: SessionDep, principal: PrincipalDep, body: JsonBody
) -> RoomTypeCodesPublic:
    service.get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")  # 403 before any 422
    data = parse_input(external_codes.RoomTypeCodes, body)
    codes = external_codes.replace_room_type_codes(session, principal, property_id, data)
    session.commit()
    return RoomTypeCodesPublic(property_id=property_id, codes=codes)
