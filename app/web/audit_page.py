"""The outside-block audit page of a contract: upload the group's registration list and the hotel's
reservation export, review the matches the audit proposes, confirm or reject each.

A refused upload comes back as the same page (422) with each problem's file, line and column; a
successful one, and each decision, redirects to the page (Post/Redirect/Get) showing that audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.api.deps import SessionDep
from app.persistence import repositories as repo
from app.persistence.records import AuditMatchRecord, AuditRunRecord
from app.services import audit as service
from app.services.audit_files import (
    MAX_REGISTRANTS,
    MAX_REGISTRATION_BYTES,
    MAX_RESERVATION_BYTES,
    MAX_RESERVATIONS,
    AuditFile,
)
from app.services.auth import Principal
from app.services.contracts import load_contract
from app.services.errors import ConflictError, InvalidInputError, Problem
from app.web.actuals_page import _who
from app.web.deps import CheckedStaffDep, StaffDep
from app.web.templating import page_context, templates
from app.web.views import Formats

router = APIRouter(include_in_schema=False)

#: The earlier audits a page links to.
LISTED_AUDITS = 20
_FILE_NAMES = {"registrations": "Registration list", "reservations": "Hotel reservation export"}


def confidence_words(permille: int) -> str:
    """How sure the matcher is, in words (its percentage follows on the page)."""
    if permille >= 950:
        return "Very likely"
    if permille >= 900:
        return "Likely"
    return "Possible"


@dataclass(frozen=True, slots=True)
class MatchRow:
    id: int
    registrant: str
    registrant_stay: str
    registrant_contact: str
    reservation: str
    reservation_stay: str
    reservation_ref: str
    confidence: str
    evidence: str
    credit: str
    status: str
    status_class: str
    decided: str
    can_confirm: bool
    can_reject: bool


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    heading: str
    summary: str
    matches: tuple[MatchRow, ...]
    counts: str


@dataclass(frozen=True, slots=True)
class AuditLink:
    url: str
    text: str
    is_current: bool


def _stay(fmt: Formats, arrival: Any, departure: Any) -> str:
    return f"{fmt.day(arrival)} to {fmt.day(departure)}"


def _evidence(record: AuditMatchRecord, fmt: Formats) -> str:
    parts = [
        f"name {fmt.pct(Decimal(record.name_permille) / 10)} alike",
        f"stays {fmt.pct(Decimal(record.dates_permille) / 10)} shared",
    ]
    if record.email_agrees is not None:
        parts.append("same email" if record.email_agrees else "different emails")
    if record.company_agrees is not None:
        parts.append("same company" if record.company_agrees else "different companies")
    return ", ".join(parts)


def _row(
    record: AuditMatchRecord, fmt: Formats, names: dict[int, str], zone: tzinfo, can_write: bool
) -> MatchRow:
    assert record.id is not None
    status = service.MatchStatus(record.status)
    decided = ""
    if record.decided_at is not None and record.decided_by is not None:
        when = record.decided_at.astimezone(zone)
        decided = f"{_who(record.decided_by, names)}, {fmt.day(when.date())} {when:%H:%M}"
    nights = record.credited_nights
    contact = ", ".join(part for part in (record.registrant_email, record.registrant_company) if part)
    reference = f"confirmation {record.confirmation}" if record.confirmation else "no confirmation number"
    return MatchRow(
        id=record.id,
        registrant=record.registrant_name,
        registrant_stay=_stay(fmt, record.registrant_arrival, record.registrant_departure),
        registrant_contact=contact,
        reservation=record.reservation_name,
        reservation_stay=_stay(fmt, record.reservation_arrival, record.reservation_departure),
        reservation_ref=f"{reference}, line {record.reservation_line}",
        confidence=f"{confidence_words(record.confidence_permille)}, "
        f"{fmt.pct(Decimal(record.confidence_permille) / 10)}",
        evidence=_evidence(record, fmt),
        credit=f"{fmt.number(nights)} room night{'s' if nights != 1 else ''}, {record.credited_room_type}, "
        f"from {fmt.day(record.credited_from)}",
        status=service.STATUS_LABELS[status],
        status_class={"pending": "tentative", "confirmed": "definite", "rejected": "cancelled"}[status.value],
        decided=decided,
        can_confirm=can_write and status is not service.MatchStatus.CONFIRMED,
        can_reject=can_write and status is not service.MatchStatus.REJECTED,
    )


def _audit_view(
    detail: service.AuditDetail, fmt: Formats, names: dict[int, str], zone: tzinfo, can_write: bool
) -> AuditView:
    run = detail.run
    assert run.id is not None
    when = run.created_at.astimezone(zone)
    counts = dict.fromkeys(service.MatchStatus, 0)
    for record in detail.matches:
        counts[service.MatchStatus(record.status)] += 1
    return AuditView(
        id=run.id,
        heading=f"Audit of {fmt.day(when.date())} {when:%H:%M}",
        summary=(
            f"{_who(run.created_by, names)} matched {run.registrations_file} "
            f"({fmt.number(run.registrant_count)} registrants) against {run.reservations_file} "
            f"({fmt.number(run.reservation_count)} reservations, "
            f"{fmt.number(run.candidate_count)} outside the block during the stay"
            + (
                f"; reservations with block code {run.block_code} were taken as in the block"
                if run.block_code
                else ""
            )
            + f"). Pairs at {fmt.pct(Decimal(run.threshold_permille) / 10)} confidence or more are proposed."
        ),
        matches=tuple(_row(record, fmt, names, zone, can_write) for record in detail.matches),
        counts=(
            f"{fmt.number(len(detail.matches))} proposed: "
            f"{fmt.number(counts[service.MatchStatus.CONFIRMED])} confirmed, "
            f"{fmt.number(counts[service.MatchStatus.REJECTED])} rejected, "
            f"{fmt.number(counts[service.MatchStatus.PENDING])} waiting for review"
        ),
    )


def _zone(timezone: str) -> tzinfo:
    try:
        return ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return UTC


def _names(session: Session, labels: list[str]) -> dict[int, str]:
    return repo.staff_names(
        session, (int(label[5:]) for label in labels if label.startswith("user:") and label[5:].isdigit())
    )


def _render(
    request: Request,
    session: Session,
    staff: Any,
    contract_id: int,
    audit_id: int | None,
    *,
    errors: tuple[str, ...] = (),
    block_code: str | None = None,
    status: int = 200,
) -> Response:
    principal: Principal = staff.principal
    stored = load_contract(session, principal, contract_id)
    record = stored.record
    prop = stored.terms.property
    fmt = Formats.of(prop.locale)
    zone = _zone(prop.timezone)
    can_write = principal.can_write and principal.can_see(record.property_id)
    runs, total = service.list_audits(session, principal, contract_id, repo.Page(LISTED_AUDITS, 0))
    chosen: AuditRunRecord | None = None
    if runs:
        chosen = next((run for run in runs if run.id == audit_id), None) if audit_id is not None else runs[0]
    view = None
    if chosen is not None and chosen.id is not None:
        detail = service.get_audit(session, principal, contract_id, chosen.id)
        labels = [chosen.created_by, *(m.decided_by for m in detail.matches if m.decided_by)]
        view = _audit_view(detail, fmt, _names(session, labels), zone, can_write)
    creators = _names(session, [run.created_by for run in runs])
    links = tuple(
        AuditLink(
            f"/contracts/{contract_id}/audit?audit={run.id}",
            f"{fmt.day(run.created_at.astimezone(zone).date())} {run.created_at.astimezone(zone):%H:%M}, "
            f"{_who(run.created_by, creators)}: {fmt.number(run.match_count)} proposed",
            chosen is not None and run.id == chosen.id,
        )
        for run in runs
    )
    name = record.name or stored.terms.group.name
    context = page_context(
        title=f"Outside-block audit · {name}",
        staff=staff,
        locale=prop.locale,
        csrf_token=staff.csrf_token,
        contract_id=contract_id,
        contract_name=name,
        can_write=can_write,
        block_code=block_code if block_code is not None else (record.block_code or ""),
        errors=errors,
        audit=view,
        links=links,
        total=total,
        limits=(
            "CSV or Excel (.xlsx), a header row first. The registration list: at most "
            f"{fmt.number(MAX_REGISTRANTS)} rows and "
            f"{fmt.number(Decimal(MAX_REGISTRATION_BYTES) / 1_000_000)} MB; the "
            f"reservation export: at most {fmt.number(MAX_RESERVATIONS)} rows and "
            f"{fmt.number(Decimal(MAX_RESERVATION_BYTES) / 1_000_000)} MB."
        ),
    )
    return templates.TemplateResponse(request, "audit.html", context, status_code=status)


@router.get("/contracts/{contract_id:int}/audit", response_class=HTMLResponse)
def audit_page(contract_id: int, request: Request, session: SessionDep, staff: StaffDep) -> Response:
    chosen = request.query_params.get("audit", "")
    return _render(
        request, session, staff, contract_id, int(chosen) if chosen.isdigit() and len(chosen) < 10 else None
    )


def _problem_text(problem: Problem) -> str:
    file, _, field = problem.field.partition(".")
    where = _FILE_NAMES.get(file, "")
    line = f"line {problem.line}" if problem.line is not None else ""
    place = ", ".join(part for part in (where, line) if part)
    message = problem.message if field or file in _FILE_NAMES else f"{problem.field}: {problem.message}"
    return f"{place}: {message}" if place else message


@router.post("/contracts/{contract_id:int}/audit", response_class=HTMLResponse)
async def upload_audit(
    contract_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep
) -> Response:
    form = await request.form(max_files=2, max_fields=5)
    block_code = form.get("block_code")
    code = block_code if isinstance(block_code, str) else None
    files = []
    missing = []
    try:
        for field in ("registrations", "reservations"):
            upload = form.get(field)
            if isinstance(upload, UploadFile) and upload.filename:
                files.append(AuditFile(field, upload.filename, await upload.read()))
            else:
                missing.append(f"{_FILE_NAMES[field]}: choose the file")
    finally:
        await form.close()
    if missing:
        return _render(
            request, session, staff, contract_id, None, errors=tuple(missing), block_code=code, status=422
        )
    try:
        detail = service.run_audit(session, staff.principal, contract_id, files[0], files[1], code)
    except InvalidInputError as error:
        session.rollback()
        texts = tuple(_problem_text(problem) for problem in error.problems[:100]) or (error.detail,)
        return _render(request, session, staff, contract_id, None, errors=texts, block_code=code, status=422)
    session.commit()
    return RedirectResponse(f"/contracts/{contract_id}/audit?audit={detail.run.id}", status_code=303)


@router.post(
    "/contracts/{contract_id:int}/audit/{audit_id:int}/matches/{match_id:int}", response_class=HTMLResponse
)
async def decide_audit_match(
    contract_id: int,
    audit_id: int,
    match_id: int,
    request: Request,
    session: SessionDep,
    staff: CheckedStaffDep,
) -> Response:
    form = await request.form()
    action = form.get("action")
    decision = {"confirm": service.Decision.CONFIRM, "reject": service.Decision.REJECT}.get(
        action if isinstance(action, str) else ""
    )
    if decision is None:
        return _render(
            request, session, staff, contract_id, audit_id, errors=("Choose confirm or reject",), status=422
        )
    try:
        service.decide_match(session, staff.principal, contract_id, audit_id, match_id, decision)
    except ConflictError as error:
        session.rollback()
        return _render(request, session, staff, contract_id, audit_id, errors=(error.detail,), status=409)
    session.commit()
    return RedirectResponse(
        f"/contracts/{contract_id}/audit?audit={audit_id}#match-{match_id}", status_code=303
    )
