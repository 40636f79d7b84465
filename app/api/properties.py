"""Properties and accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import (
    IfMatch,
    JsonBody,
    Limit,
    Offset,
    PrincipalDep,
    SessionDep,
    body_schema,
    etag,
    expected_revision,
)
from app.api.schemas import AccountPublic, Page, PropertyPublic, RoomTypeCodesPublic
from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, PropertyRecord
from app.services import external_codes
from app.services import properties as service
from app.services.inputs import parse_input

router = APIRouter(tags=["properties and accounts"])


def _property(record: PropertyRecord, response: Response) -> PropertyPublic:
    response.headers["ETag"] = etag(record.revision)
    return PropertyPublic.model_validate(record)


def _account(record: AccountRecord, response: Response) -> AccountPublic:
    response.headers["ETag"] = etag(record.revision)
    return AccountPublic.model_validate(record)


@router.post(
    "/properties",
    status_code=201,
    response_model=PropertyPublic,
    openapi_extra=body_schema(service.PropertyCreate, "PropertyCreate"),
    summary="Create a property (administrators)",
)
def create_property(
    response: Response, session: SessionDep, principal: PrincipalDep, body: JsonBody
) -> PropertyPublic:
    principal.require_admin()  # 403 before any 422
    data = parse_input(service.PropertyCreate, body)
    record = service.create_property(session, principal, data)
    session.commit()
    response.headers["Location"] = f"/api/v1/properties/{record.id}"
    return _property(record, response)


@router.get("/properties", response_model=Page[PropertyPublic], summary="List the properties you may see")
def list_properties(
    session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[PropertyPublic]:
    items, total = service.list_properties(session, principal, repo.Page(limit, offset))
    return Page[PropertyPublic](
        items=[PropertyPublic.model_validate(item) for item in items], total=total, limit=limit, offset=offset
    )


@router.get("/properties/{property_id}", response_model=PropertyPublic)
def read_property(
    property_id: int, response: Response, session: SessionDep, principal: PrincipalDep
) -> PropertyPublic:
    return _property(service.get_property(session, principal, property_id), response)


@router.put(
    "/properties/{property_id}",
    response_model=PropertyPublic,
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
    openapi_extra=body_schema(service.AccountCreate, "AccountCreate"),
)
def create_account(
    response: Response, session: SessionDep, principal: PrincipalDep, body: JsonBody
) -> AccountPublic:
    data = parse_input(service.AccountCreate, body)
    record = service.create_account(session, principal, data)
    session.commit()
    response.headers["Location"] = f"/api/v1/accounts/{record.id}"
    return _account(record, response)


@router.get("/accounts", response_model=Page[AccountPublic])
def list_accounts(
    session: SessionDep,
    principal: PrincipalDep,
    property_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AccountPublic]:
    items, total = service.list_accounts(session, principal, property_id, repo.Page(limit, offset))
    return Page[AccountPublic](
        items=[AccountPublic.model_validate(item) for item in items], total=total, limit=limit, offset=offset
    )


@router.get("/accounts/{account_id}", response_model=AccountPublic)
def read_account(
    account_id: int, response: Response, session: SessionDep, principal: PrincipalDep
) -> AccountPublic:
    return _account(service.get_account(session, principal, account_id), response)


@router.put(
    "/accounts/{account_id}",
    response_model=AccountPublic,
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
