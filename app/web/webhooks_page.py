"""The hotel's Webhooks page: its alert levels, its webhook endpoints (register, revoke, new secret) and
each endpoint's delivery log with a "send again" for a failed delivery.

The same services as the API (``app.services.webhooks``). Staff who may change the property see the
page and set the alert levels; only administrators register, revoke or re-key endpoints. A secret
exists in one answer only, so registering and re-keying render the page with it (201/200) instead of
redirecting; every other change redirects (Post/Redirect/Get). A refused form is the same page with
status 422, the input kept and each message beside its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.api.deps import SessionDep
from app.persistence import repositories as repo
from app.persistence.records import ContractRecord, PropertyRecord
from app.services import properties
from app.services import webhooks as service
from app.services.changes import EVENT_TYPES
from app.services.errors import ServiceError
from app.services.inputs import parse_input
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.numbers import read_number
from app.web.parties_page import FormDep, _text
from app.web.templating import babel_locale, page_context, templates

router = APIRouter(include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

#: What each event means, for people choosing what an endpoint receives.
EVENT_WORDS: dict[str, str] = {
    "pickup.recorded": "Pickup recorded (any way: API, booking system, grid, file)",
    "assessment.changed": "What the group owes changed",
    "threshold.crossed": "An alert level was crossed",
    "deadline.approaching": "A deadline is within 7 days",
    "invoice.issued": "Invoice issued",
    "invoice.credited": "Invoice credited",
}
STATUS_WORDS = {
    "pending": "waiting to be sent",
    "sending": "being sent",
    "delivered": "delivered",
    "failed": "failed (gave up)",
    "cancelled": "cancelled (endpoint revoked)",
}


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: int
    url: str
    description: str
    events: tuple[str, ...]
    created: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class WebhooksPage:
    property_id: int
    property_name: str
    is_admin: bool
    endpoints: tuple[EndpointRow, ...]
    events: tuple[tuple[str, str], ...]
    values: Mapping[str, str] = field(default_factory=dict)
    chosen: frozenset[str] = frozenset()
    errors: Mapping[str, str] = field(default_factory=dict)
    secret: str = ""
    secret_for: str = ""
    saved: bool = False


def _zone(timezone: str) -> tzinfo:
    try:
        return ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return UTC


def _when(moment: datetime | None, prop: PropertyRecord) -> str:
    """A moment as the hotel reads it: its date in the hotel's locale, the time in its time zone."""
    if moment is None:
        return "—"
    local = moment.astimezone(_zone(prop.timezone))
    day = format_date(local.date(), "medium", locale=babel_locale(prop.locale))
    return f"{day} {local:%H:%M} {local.tzname() or ''}".rstrip()


def _levels_values(session: Session, staff: Staff, prop: PropertyRecord) -> dict[str, str]:
    assert prop.id is not None
    levels = service.read_alert_levels(session, staff.principal, prop.id)
    pct = levels.damages_probability_pct
    return {
        "days_before_cutoff": "" if levels.days_before_cutoff is None else str(levels.days_before_cutoff),
        "damages_probability_pct": ""
        if pct is None
        else format_decimal(pct, "0.#", locale=babel_locale(prop.locale)),
    }


def _page(
    session: Session,
    staff: Staff,
    property_id: int,
    *,
    values: Mapping[str, str] | None = None,
    chosen: frozenset[str] = frozenset(),
    errors: Mapping[str, str] | None = None,
    secret: str = "",
    secret_for: str = "",
    saved: bool = False,
) -> tuple[WebhooksPage, PropertyRecord]:
    prop = properties.get_property(session, staff.principal, property_id)
    staff.principal.require_write(property_id, f"property {property_id}")
    records, _ = service.list_endpoints(
        session, staff.principal, property_id, repo.Page(service.MAX_ENDPOINTS_PER_PROPERTY * 5, 0)
    )
    rows = tuple(
        EndpointRow(
            record.id or 0,
            record.url,
            record.description,
            tuple(EVENT_WORDS.get(kind, kind) for kind in record.events),
            _when(record.created_at, prop),
            record.revoked_at is None,
        )
        for record in sorted(records, key=lambda record: (record.revoked_at is not None, record.id or 0))
    )
    shown = {**_levels_values(session, staff, prop), "url": "", "description": "", **(values or {})}
    page = WebhooksPage(
        property_id,
        prop.name,
        staff.principal.is_admin,
        rows,
        tuple((kind, EVENT_WORDS[kind]) for kind in EVENT_TYPES),
        shown,
        chosen,
        errors or {},
        secret,
        secret_for,
        saved,
    )
    return page, prop


def _render(
    request: Request, staff: Staff, page: WebhooksPage, prop: PropertyRecord, status: int
) -> Response:
    context = page_context(
        title=f"Webhooks and alerts: {page.property_name}", staff=staff, page=page, locale=prop.locale
    )
    return templates.TemplateResponse(
        request, "webhooks.html", context, status_code=status, headers=_NO_STORE
    )


def _form_field(field_path: str) -> str:
    return "events" if field_path.startswith("events") else field_path or "form"


@router.get("/properties/{property_id:int}/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, session: SessionDep, staff: StaffDep, property_id: int) -> Response:
    page, prop = _page(session, staff, property_id, saved=request.query_params.get("saved") == "1")
    return _render(request, staff, page, prop, 200)


@router.post("/properties/{property_id:int}/webhooks", response_class=HTMLResponse)
def change_endpoints(
    request: Request, session: SessionDep, staff: CheckedStaffDep, form: FormDep, property_id: int
) -> Response:
    action = _text(form, "action")
    endpoint_text = _text(form, "endpoint_id")
    endpoint_id = int(endpoint_text) if endpoint_text.isdigit() and len(endpoint_text) < 10 else -1
    if action == "revoke":
        service.revoke_endpoint(session, staff.principal, property_id, endpoint_id)
        session.commit()
        return RedirectResponse(f"/properties/{property_id}/webhooks", status_code=303)
    if action == "rotate":
        record = service.rotate_secret(session, staff.principal, property_id, endpoint_id)
        session.commit()
        page, prop = _page(session, staff, property_id, secret=record.secret, secret_for=record.url)
        return _render(request, staff, page, prop, 200)
    values = {"url": _text(form, "url")[:3000], "description": _text(form, "description")[:1000]}
    chosen = [value for value in form.getlist("events") if isinstance(value, str)][: len(EVENT_TYPES) * 2]
    body = {"url": values["url"], "events": chosen, "description": values["description"]}
    try:
        properties.get_property(session, staff.principal, property_id)
        staff.principal.require_admin()
        data = parse_input(service.WebhookEndpointCreate, body)
        record = service.register_endpoint(session, staff.principal, property_id, data)
    except ServiceError as error:
        if error.status != 422 and error.status != 409:
            raise
        session.rollback()
        errors: dict[str, str] = {}
        for problem in error.problems or ():
            name = _form_field(problem.field)
            errors[name] = "; ".join(filter(None, (errors.get(name), _event_message(name, problem.message))))
        if not errors:
            errors["form"] = error.detail
        page, prop = _page(
            session, staff, property_id, values=values, chosen=frozenset(chosen), errors=errors
        )
        return _render(request, staff, page, prop, 422 if error.status == 422 else 409)
    session.commit()
    page, prop = _page(session, staff, property_id, secret=record.secret, secret_for=record.url)
    return _render(request, staff, page, prop, 201)


def _event_message(name: str, message: str) -> str:
    if name == "events" and "at least 1" in message:
        return "choose at least one event"
    return message


@router.post("/properties/{property_id:int}/webhooks/alert-levels", response_class=HTMLResponse)
def save_alert_levels(
    request: Request, session: SessionDep, staff: CheckedStaffDep, form: FormDep, property_id: int
) -> Response:
    prop = properties.get_property(session, staff.principal, property_id)
    staff.principal.require_write(property_id, f"property {property_id}")
    values = {name: _text(form, name)[:40] for name in ("days_before_cutoff", "damages_probability_pct")}
    errors: dict[str, str] = {}
    days: int | None = None
    pct: Decimal | None = None
    if values["days_before_cutoff"]:
        if values["days_before_cutoff"].isdigit() and int(values["days_before_cutoff"]) <= 365:
            days = int(values["days_before_cutoff"])
        else:
            errors["days_before_cutoff"] = "write a whole number of days from 0 to 365, or leave it empty"
    if values["damages_probability_pct"]:
        pct = read_number(
            values["damages_probability_pct"].removesuffix("%").strip(), babel_locale(prop.locale)
        )
        if pct is None or not 0 <= pct <= 100 or pct != pct.quantize(Decimal("0.1")):
            errors["damages_probability_pct"] = (
                "write a percentage from 0 to 100 (one decimal at most), or leave it empty"
            )
    if errors:
        page, prop = _page(session, staff, property_id, values=values, errors=errors)
        return _render(request, staff, page, prop, 422)
    service.set_alert_levels(
        session,
        staff.principal,
        property_id,
        service.AlertLevels(days_before_cutoff=days, damages_probability_pct=pct),
    )
    session.commit()
    return RedirectResponse(f"/properties/{property_id}/webhooks?saved=1", status_code=303)


# --- the delivery log ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptLine:
    when: str
    outcome: str


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    event: str
    summary: str
    status: str
    is_failed: bool
    created: str
    next_try: str
    attempts: tuple[AttemptLine, ...]


@dataclass(frozen=True, slots=True)
class DeliveryLogPage:
    property_id: int
    property_name: str
    endpoint: EndpointRow
    is_admin: bool
    rows: tuple[DeliveryRow, ...]
    page: int
    pages: int


LOG_PAGE_SIZE = 50


def _summary(payload: Mapping[str, object], contract_name: str) -> str:
    data = payload.get("data")
    if not isinstance(data, dict):
        return contract_name
    parts = [contract_name]
    for name in ("invoice_number", "title", "as_of"):
        if data.get(name):
            parts.append(str(data[name]))
            break
    return " · ".join(part for part in parts if part)


def _outcome(status_code: int | None, error: str, duration_ms: int) -> str:
    answer = f"answered {status_code}" if status_code is not None else error or "no answer"
    return f"{answer} in {duration_ms} ms" if status_code is not None else answer


@router.get("/properties/{property_id:int}/webhooks/{endpoint_id:int}", response_class=HTMLResponse)
def delivery_log(
    request: Request, session: SessionDep, staff: StaffDep, property_id: int, endpoint_id: int
) -> Response:
    prop = properties.get_property(session, staff.principal, property_id)
    staff.principal.require_write(property_id, f"property {property_id}")
    endpoint = service.get_endpoint(session, staff.principal, property_id, endpoint_id)
    page_text = request.query_params.get("page", "1")
    number = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 6 else 1
    views, total = service.list_deliveries(
        session,
        staff.principal,
        property_id,
        endpoint_id,
        repo.Page(LOG_PAGE_SIZE, (number - 1) * LOG_PAGE_SIZE),
    )
    names = {
        contract_id: record.name or record.reference
        for contract_id in {view.event.contract_id for view in views if view.event.contract_id}
        if (record := repo.get(session, ContractRecord, contract_id)) is not None
    }
    rows = tuple(
        DeliveryRow(
            view.delivery.id or 0,
            EVENT_WORDS.get(view.event.event_type, view.event.event_type),
            _summary(view.event.payload, names.get(view.event.contract_id or 0, "")),
            STATUS_WORDS.get(view.delivery.status, view.delivery.status),
            view.delivery.status == "failed",
            _when(view.delivery.created_at, prop),
            _when(view.delivery.next_attempt_at, prop) if view.delivery.status == "pending" else "—",
            tuple(
                AttemptLine(
                    _when(attempt.attempted_at, prop),
                    _outcome(attempt.status_code, attempt.error, attempt.duration_ms),
                )
                for attempt in view.attempts
            ),
        )
        for view in views
    )
    row = EndpointRow(
        endpoint.id or 0,
        endpoint.url,
        endpoint.description,
        tuple(EVENT_WORDS.get(kind, kind) for kind in endpoint.events),
        _when(endpoint.created_at, prop),
        endpoint.revoked_at is None,
    )
    log = DeliveryLogPage(
        property_id,
        prop.name,
        row,
        staff.principal.is_admin,
        rows,
        number,
        max(1, -(-total // LOG_PAGE_SIZE)),
    )
    context = page_context(title=f"Delivery log: {endpoint.url}", staff=staff, log=log, locale=prop.locale)
    return templates.TemplateResponse(request, "webhook_deliveries.html", context)


@router.post(
    "/properties/{property_id:int}/webhooks/{endpoint_id:int}/deliveries/{delivery_id:int}/redeliver",
    response_class=HTMLResponse,
)
def redeliver(
    session: SessionDep, staff: CheckedStaffDep, property_id: int, endpoint_id: int, delivery_id: int
) -> Response:
    service.redeliver(session, staff.principal, property_id, endpoint_id, delivery_id)
    session.commit()
    return RedirectResponse(f"/properties/{property_id}/webhooks/{endpoint_id}", status_code=303)
