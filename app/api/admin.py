"""API keys (administrators only) and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import text

from app.api.deps import JsonBody, PrincipalDep, SessionDep, body_schema
from app.api.schemas import ApiKeyCreate, ApiKeyCreated
from app.services import auth
from app.services.inputs import parse_input

router = APIRouter(tags=["administration"])
health = APIRouter(tags=["health"])


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    openapi_extra=body_schema(ApiKeyCreate, "ApiKeyCreate"),
    summary="Create an API key (administrators); the key is shown once",
)
def create_api_key(session: SessionDep, principal: PrincipalDep, body: JsonBody) -> ApiKeyCreated:
    principal.require_admin()
    data = parse_input(ApiKeyCreate, body)
    key, raw = auth.create_api_key(session, data.name, data.access, frozenset(data.property_ids))
    session.commit()
    assert key.id is not None
    return ApiKeyCreated(
        id=key.id,
        name=data.name,
        access=data.access,
        property_ids=sorted(data.property_ids),
        key=raw,
    )


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key (administrators)")
def revoke_api_key(key_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    principal.require_admin()
    auth.revoke_api_key(session, key_id)
    session.commit()
    return Response(status_code=204)


@health.get("/healthz", summary="Liveness and database reachability (no credentials)")
def healthz(session: SessionDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}
