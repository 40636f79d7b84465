"""API keys (administrators only), liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from app.api.deps import JsonBody, OnceDep, PrincipalDep, SessionDep, body_schema
from app.api.schemas import ApiKeyCreate, ApiKeyCreated
from app.observability import metrics_text
from app.persistence.db import readiness_problem
from app.services import auth
from app.services.idempotency import Outcome
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
def create_api_key(
    session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    principal.require_admin()
    data = parse_input(ApiKeyCreate, body)

    def write() -> Outcome:
        key, raw = auth.create_api_key(session, data.name, data.access, frozenset(data.property_ids))
        assert key.id is not None
        created = ApiKeyCreated(
            id=key.id, name=data.name, access=data.access, property_ids=sorted(data.property_ids), key=raw
        )
        # Only the key's hash is kept, so a replay cannot show it again (its key is empty).
        kept = created.model_copy(update={"key": ""})
        return Outcome(201, created.model_dump(mode="json"), kept=kept.model_dump(mode="json"))

    return once.answer(session, principal, write)


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key (administrators)")
def revoke_api_key(key_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    principal.require_admin()
    auth.revoke_api_key(session, key_id)
    session.commit()
    return Response(status_code=204)


@health.get("/healthz", summary="Liveness: the process answers (no credentials, no database)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at the latest migration (no credentials)",
    responses={503: {"description": "Not ready: the database is unreachable or not migrated"}},
)
def readyz(request: Request) -> Response:
    with request.app.state.sessions() as session:
        problem = readiness_problem(session)
    if problem is None:
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        {"status": "not ready", "detail": problem}, status_code=503, headers={"Retry-After": "5"}
    )


@health.get(
    "/metrics",
    summary="Prometheus metrics (no credentials: expose it only to the scraper)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    body, content_type = metrics_text()
    return Response(body, media_type=content_type)
