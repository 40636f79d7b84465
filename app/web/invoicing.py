"""Invoicing as a workflow in the staff pages: preview, confirm (with an explicit interim choice before
the stay is over), issue, credit from the page, and the hotel's invoices with their status.

Our practice (README, "Invoicing"): attrition damages are settled after departure, when pickup is
final; before that (and before any cancellation notice) an assessment takes pickup to date as final,
so an invoice issued then is an *interim* invoice and the page asks for that choice explicitly. A
correction is a credit note for the whole invoice, then a new invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import SessionDep, reads_first
from app.pdf import LANGUAGES
from app.persistence import repositories as repo
from app.services import invoices
from app.services.contracts import get_contract
from app.services.errors import NotFoundError, ServiceError
from app.services.properties import list_properties
from app.web.contract_page import contract_context, invoice_views
from app.web.deps import CheckedStaffDep, StaffDep
from app.web.templating import page_context, templates
from app.web.views import FieldError, Formats, parse_day, parse_id

router = APIRouter(include_in_schema=False)

INVOICES_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class HotelInvoice:
    contract_id: int
    contract_url: str
    view: Any


def _contract_page_with(
    request: Request, session: Any, staff: Any, contract_id: int, **errors: Any
) -> Response:
    context = contract_context(request, session, staff, contract_id, None, **errors)
    status = 409 if any(e.field == "conflict" for e in errors.get("invoice_errors", ())) else 422
    return templates.TemplateResponse(request, "contract.html", context, status_code=status)


def _read_inputs(as_of: str, language: str, errors: list[FieldError]) -> date | None:
    """The date to assess as of (None: today at the hotel) and a check of the language, adding to
    ``errors`` what is wrong with either."""
    day = parse_day(as_of, "as_of", errors)
    if language and language not in LANGUAGES:
        errors.append(FieldError("language", "choose one of the languages listed"))
    return day


def _preview_context(
    request: Request,
    session: Any,
    staff: Any,
    contract_id: int,
    as_of: str,
    language: str,
    errors: list[FieldError],
) -> dict[str, Any] | None:
    """The preview page's context, or None after adding to ``errors`` what refuses an invoice."""
    day = _read_inputs(as_of, language, errors)
    if errors:
        return None
    try:
        preview = invoices.preview_invoice(
            session, staff.principal, contract_id, as_of=day, language=language or None
        )
    except ServiceError as error:
        if error.status not in (409, 422):
            raise
        errors.append(FieldError("invoice", error.detail))
        errors.extend(
            FieldError(problem.field, problem.message)
            for problem in error.problems
            if problem.field in ("language", "as_of")
        )
        return None
    query = urlencode({"as_of": as_of, "language": language})
    record = get_contract(session, staff.principal, contract_id)
    here = f"/contracts/{contract_id}/invoices/preview?{query}"
    fixes = {
        "seller": f"/properties/{record.property_id}/details?{urlencode({'back': here})}",
        "buyer": f"/accounts/{record.account_id}/details?{urlencode({'back': here})}"
        if record.account_id is not None
        else "",
    }
    return page_context(
        title=f"Invoice preview: {preview.document.event}",
        gaps=[(gap.message, fixes[gap.party], gap.party) for gap in preview.gaps],
        staff=staff,
        locale=preview.document.locale,
        contract_id=contract_id,
        document=preview.document,
        is_final=preview.is_final,
        outstanding=preview.outstanding,
        form={"as_of": as_of, "language": language},
        pdf_url=f"/contracts/{contract_id}/invoices/preview.pdf?{query}",
        errors={},
    )


@router.get("/contracts/{contract_id:int}/invoices/preview", response_model=None)
def invoice_preview(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    contract_id: int,
    as_of: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The invoice as it would be issued: its lines, totals and dates, a draft PDF, and the confirmation."""
    errors: list[FieldError] = []
    context = _preview_context(request, session, staff, contract_id, as_of, language, errors)
    if context is None:
        return _contract_page_with(
            request,
            session,
            staff,
            contract_id,
            invoice_errors=errors,
            invoice_form={"language": language, "as_of": as_of},
        )
    return templates.TemplateResponse(request, "invoice_preview.html", context)


@router.get("/contracts/{contract_id:int}/invoices/preview.pdf", response_model=None)
def invoice_preview_pdf(
    session: SessionDep,
    staff: StaffDep,
    contract_id: int,
    as_of: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The draft invoice as a PDF, numbered as a draft; nothing is stored."""
    errors: list[FieldError] = []
    day = _read_inputs(as_of, language, errors)
    if errors:
        return Response("Choose a date and one of the languages listed.", status_code=422)
    preview = invoices.preview_invoice(
        session, staff.principal, contract_id, as_of=day, language=language or None
    )
    return Response(
        preview.pdf(),
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="draft-invoice.pdf"', "Cache-Control": "no-store"},
    )


@router.post("/contracts/{contract_id:int}/invoices", response_model=None)
@reads_first
def issue_invoice_form(
    request: Request,
    session: SessionDep,
    staff: CheckedStaffDep,
    contract_id: int,
    language: Annotated[str, Form(max_length=10)] = "",
    as_of: Annotated[str, Form(max_length=20)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
    interim: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Issue the invoice the preview showed. Without the preview's confirmation, show the preview first."""
    get_contract(session, staff.principal, contract_id)  # another hotel's contract is not found
    if confirm != "yes":
        query = urlencode({"as_of": as_of, "language": language})
        return RedirectResponse(f"/contracts/{contract_id}/invoices/preview?{query}", status_code=303)
    errors: list[FieldError] = []
    day = _read_inputs(as_of, language, errors)
    if not errors:
        try:
            invoice = invoices.issue_invoice(
                session,
                staff.principal,
                contract_id,
                as_of=day,
                language=language or None,
                interim_confirmed=interim == "yes",
            )
        except ServiceError as error:
            if error.status not in (409, 422):
                raise
            session.rollback()
            problems = {problem.field: problem.message for problem in error.problems}
            if "interim" in problems:
                context = _preview_context(request, session, staff, contract_id, as_of, language, [])
                if context is not None:
                    context["errors"] = {"interim": problems["interim"]}
                    return templates.TemplateResponse(
                        request, "invoice_preview.html", context, status_code=422
                    )
            errors = [FieldError("conflict" if error.status == 409 else "invoice", error.detail)] + [
                FieldError(field, message)
                for field, message in problems.items()
                if field in ("language", "as_of")
            ]
        else:
            session.commit()
            return RedirectResponse(
                f"/contracts/{contract_id}?issued={invoice.number}#invoices", status_code=303
            )
    return _contract_page_with(
        request,
        session,
        staff,
        contract_id,
        invoice_errors=errors,
        invoice_form={"language": language, "as_of": as_of},
    )


@router.post("/contracts/{contract_id:int}/invoices/{number}/credit-note", response_model=None)
@reads_first
def credit_invoice_form(
    request: Request,
    session: SessionDep,
    staff: CheckedStaffDep,
    contract_id: int,
    number: str,
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Credit a whole invoice of this contract, with the reason; then it can be issued again."""
    try:
        original = invoices.get_invoice(session, staff.principal, number, with_pdf=False)
        if original.contract_id != contract_id:
            raise NotFoundError(f"invoice {number} not found")
        note = invoices.credit_invoice(session, staff.principal, number, reason=reason)
    except ServiceError as error:
        if error.status not in (404, 409, 422):
            raise
        session.rollback()
        message = error.problems[0].message if error.problems else error.detail
        context = contract_context(
            request, session, staff, contract_id, None, credit_errors=[FieldError(number, message)]
        )
        return templates.TemplateResponse(request, "contract.html", context, status_code=error.status)
    session.commit()
    return RedirectResponse(f"/contracts/{contract_id}?credited={note.number}#invoices", status_code=303)


@router.get("/invoices", response_model=None)
def hotel_invoices(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    property_id: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The invoices and credit notes of the hotels the user may see, newest first, with their status."""
    errors: list[FieldError] = []
    chosen = parse_id(property_id, "property_id", errors) if property_id else None
    records, total = invoices.invoices_of_hotels(
        session,
        staff.principal,
        chosen,
        limit=INVOICES_PER_PAGE,
        offset=(page - 1) * INVOICES_PER_PAGE,
    )
    hotels, _ = list_properties(session, staff.principal, repo.Page(limit=500, offset=0))
    formats = {hotel.id: Formats.of(hotel.locale) for hotel in hotels}
    rows = [
        HotelInvoice(
            record.contract_id,
            f"/contracts/{record.contract_id}#invoices",
            invoice_views(session, [record], formats.get(record.property_id, Formats.of("en")))[0],
        )
        for record in records
    ]
    context = page_context(
        title="Invoices",
        staff=staff,
        rows=rows,
        hotels=hotels,
        property_id=chosen,
        page=page,
        pages=max(1, -(-total // INVOICES_PER_PAGE)),
        total=total,
        errors={error.field: error.message for error in errors},
    )
    return templates.TemplateResponse(request, "invoices.html", context, status_code=422 if errors else 200)
