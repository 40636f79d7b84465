"""Webhook endpoints of a property, their delivery log, and the property's alert levels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import JsonBody, Limit, Offset, OnceDep, PrincipalDep, SessionDep, body_schema
from app.api.schemas import Page
from app.persistence import repositories as repo
from app.persistence.records import WebhookEndpointRecord
from app.services import properties
from app.services import webhooks as service
from app.services.changes import EVENT_TYPES
from app.services.idempotency import Outcome
from app.services.inputs import parse_input

router = APIRouter(tags=["webhooks"])

_BASE = "/properties/{property_id}/webhook-endpoints"


class WebhookEndpointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    property_id: int
    url: str
    events: list[str] = Field(description=f"Any of: {', '.join(EVENT_TYPES)}")
    description: str
    created_at: datetime
    revoked_at: datetime | None
    is_active: bool


class WebhookEndpointCreated(WebhookEndpointPublic):
    secret: str = Field(
        description="whsec_… (Standard Webhooks): verify each message with it. Shown only now; a rotation "
        "makes a new one"
    )


class WebhookAttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None = Field(description="The endpoint's answer; null when none came")
    error: str
    duration_ms: int


class WebhookDeliveryPublic(BaseModel):
    id: int
    event_id: int
    webhook_id: str = Field(description="The webhook-id header: the same on every try of the event")
    event_type: str
    status: str = Field(description="pending, sending, delivered, failed or cancelled")
    attempts: int
    next_attempt_at: datetime | None = Field(description="When it is tried again (pending only)")
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]
    attempt_log: list[WebhookAttemptPublic]


class AlertLevelsPublic(BaseModel):
    property_id: int
    days_before_cutoff: int | None
    damages_probability_pct: Decimal | None


def _public(record: WebhookEndpointRecord) -> WebhookEndpointPublic:
    return WebhookEndpointPublic.model_validate(
        {**record.model_dump(exclude={"secret"}), "is_active": record.revoked_at is None}
    )


def _created(record: WebhookEndpointRecord) -> WebhookEndpointCreated:
    return WebhookEndpointCreated.model_validate(
        {**record.model_dump(), "is_active": record.revoked_at is None}
    )


def _with_secret(status: int, created: WebhookEndpointCreated) -> Outcome:
    """The answer with the secret; an Idempotency-Key replay answers it without (secret empty): the
    secret is shown once and not copied into the replay store."""
    kept = created.model_copy(update={"secret": ""})
    return Outcome(status, created.model_dump(mode="json"), kept=kept.model_dump(mode="json"))


def _location(property_id: int) -> Callable[[dict[str, Any]], dict[str, str]]:
    return lambda body: {
        "Location": f"/api/v1/properties/{property_id}/webhook-endpoints/{body['id']}",
        "Cache-Control": "no-store",
    }


def _delivery(view: service.DeliveryView) -> WebhookDeliveryPublic:
    delivery, event = view.delivery, view.event
    assert delivery.id is not None
    return WebhookDeliveryPublic(
        id=delivery.id,
        event_id=delivery.event_id,
        webhook_id=service.message_id(event),
        event_type=event.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        payload=event.payload,
        attempt_log=[
            WebhookAttemptPublic(
                attempted_at=attempt.attempted_at,
                status_code=attempt.status_code,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
            )
            for attempt in view.attempts
        ],
    )


@router.post(
    _BASE,
    status_code=201,
    response_model=WebhookEndpointCreated,
    openapi_extra=body_schema(service.WebhookEndpointCreate, "WebhookEndpointCreate"),
    summary="Register a webhook endpoint (administrators); its secret is shown once",
)
def register_endpoint(
    property_id: int, session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    properties.get_property(session, principal, property_id)
    principal.require_admin()  # 404 for an unseen property, then 403, before any 422
    data = parse_input(service.WebhookEndpointCreate, body)

    def write() -> Outcome:
        created = _created(service.register_endpoint(session, principal, property_id, data))
        return _with_secret(201, created)

    return once.answer(session, principal, write, _location(property_id))


@router.get(_BASE, response_model=Page[WebhookEndpointPublic], summary="The property's webhook endpoints")
def list_endpoints(
    property_id: int, session: SessionDep, principal: PrincipalDep, limit: Limit = 50, offset: Offset = 0
) -> Page[WebhookEndpointPublic]:
    items, total = service.list_endpoints(session, principal, property_id, repo.Page(limit, offset))
    return Page[WebhookEndpointPublic](
        items=[_public(item) for item in items], total=total, limit=limit, offset=offset
    )


@router.get(_BASE + "/{endpoint_id}", response_model=WebhookEndpointPublic)
def read_endpoint(
    property_id: int, endpoint_id: int, session: SessionDep, principal: PrincipalDep
) -> WebhookEndpointPublic:
    return _public(service.get_endpoint(session, principal, property_id, endpoint_id))


@router.post(
    _BASE + "/{endpoint_id}/revoke",
    response_model=WebhookEndpointPublic,
    summary="Revoke an endpoint: nothing more is sent to it; its delivery log stays",
)
def revoke_endpoint(
    property_id: int, endpoint_id: int, session: SessionDep, principal: PrincipalDep, once: OnceDep
) -> JSONResponse:
    def write() -> Outcome:
        record = service.revoke_endpoint(session, principal, property_id, endpoint_id)
        return Outcome(200, _public(record).model_dump(mode="json"))

    return once.answer(session, principal, write)


@router.post(
    _BASE + "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointCreated,
    summary="Give the endpoint a new secret, shown once; messages are signed with it from now on",
)
def rotate_secret(
    property_id: int, endpoint_id: int, session: SessionDep, principal: PrincipalDep, once: OnceDep
) -> JSONResponse:
    def write() -> Outcome:
        return _with_secret(
            200, _created(service.rotate_secret(session, principal, property_id, endpoint_id))
        )

    return once.answer(session, principal, write)


@router.get(
    _BASE + "/{endpoint_id}/deliveries",
    response_model=Page[WebhookDeliveryPublic],
    summary="The endpoint's delivery log, newest first, with each try",
)
def list_deliveries(
    property_id: int,
    endpoint_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(max_length=20, description="pending, delivered, failed…")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[WebhookDeliveryPublic]:
    views, total = service.list_deliveries(
        session, principal, property_id, endpoint_id, repo.Page(limit, offset), status
    )
    return Page[WebhookDeliveryPublic](
        items=[_delivery(view) for view in views], total=total, limit=limit, offset=offset
    )


@router.post(
    _BASE + "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=WebhookDeliveryPublic,
    summary="Send a failed delivery again, from the start of the retry schedule",
)
def redeliver(
    property_id: int,
    endpoint_id: int,
    delivery_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    once: OnceDep,
) -> JSONResponse:
    def write() -> Outcome:
        view = service.redeliver(session, principal, property_id, endpoint_id, delivery_id)
        return Outcome(200, _delivery(view).model_dump(mode="json"))

    return once.answer(session, principal, write)


@router.get(
    "/properties/{property_id}/alert-levels",
    response_model=AlertLevelsPublic,
    summary="When threshold.crossed is sent for the property's contracts",
)
def read_alert_levels(property_id: int, session: SessionDep, principal: PrincipalDep) -> AlertLevelsPublic:
    levels = service.read_alert_levels(session, principal, property_id)
    return AlertLevelsPublic(property_id=property_id, **levels.model_dump())


@router.put(
    "/properties/{property_id}/alert-levels",
    response_model=AlertLevelsPublic,
    openapi_extra=body_schema(service.AlertLevels, "AlertLevels"),
    summary="Set the property's alert levels (null: never)",
)
def set_alert_levels(
    property_id: int, session: SessionDep, principal: PrincipalDep, body: JsonBody
) -> AlertLevelsPublic:
    properties.get_property(session, principal, property_id)
    principal.require_write(property_id, f"property {property_id}")
    data = parse_input(service.AlertLevels, body)
    levels = service.set_alert_levels(session, principal, property_id, data)
    session.commit()
    return AlertLevelsPublic(property_id=property_id, **levels.model_dump())
