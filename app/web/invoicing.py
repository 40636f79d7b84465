"""Invoicing as a workflow in the staff pages: preview, confirm (with an explicit interim choice before
the stay is over), issue, credit from the page, record the payments received, and the hotel's invoices
with their status and balance outstanding.

Our practice (README, "Invoicing"): attrition damages are settled after departure, when pickup is
final; before that (and before any cancellation notice) an assessment takes pickup to date as final,
so an invoice issued then is an *interim* invoice and the page asks for that choice explicitly. A
correction is a credit note for the whole invoice, then a new invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import SessionDep, reads_first
from app.engine.money import Money
from app.pdf import LANGUAGES
from app.persistence import repositories as repo
from app.persistence.records import PropertyRecord
from app.services import invoices, payments
from app.services.contracts import StoredContract, get_contract, load_contract
from app.services.errors import NotFoundError, ServiceError
from app.services.last_room_sold import has_last_room_sold
from app.services.properties import list_properties
from app.web.contract_page import InvoiceView, contract_context, invoice_views, paid_notice
from app.web.deps import CheckedStaffDep, StaffDep
from app.web.payments import read_amount
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


def _shared_contracts(session: Any, principal: Any, records: Sequence[Any]) -> dict[int, StoredContract]:
    """The contracts with a last-room-sold term among those of the page's uncredited invoices, whose
    invoices may bill shares of the hotel's unsold rooms that no longer hold (docs/rules.md §3.6)."""
    found: dict[int, StoredContract] = {}
    for contract_id in sorted({record.contract_id for record in records if record.kind == "invoice"}):
        try:
            stored = load_contract(session, principal, contract_id)
        except ServiceError:
            continue  # its own page says what is wrong with it
        if has_last_room_sold(stored.terms):
            found[contract_id] = stored
    return found


def _hotel_invoices_context(
    session: Any, staff: Any, property_id: str, page: int
) -> tuple[dict[str, Any], list[FieldError]]:
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
    zones = {hotel.id: hotel.timezone for hotel in hotels}
    # One batch of reads per hotel (its locale and time zone), not per row; the page keeps its order.
    by_hotel: dict[int, list[Any]] = {}
    for record in records:
        by_hotel.setdefault(record.property_id, []).append(record)
    views: dict[str, InvoiceView] = {}
    contracts = _shared_contracts(session, staff.principal, records)
    for hotel_id, of_hotel in by_hotel.items():
        fmt = formats.get(hotel_id, Formats.of("en"))
        for view in invoice_views(session, of_hotel, fmt, zones.get(hotel_id, "UTC"), contracts):
            views[view.number] = view
    rows = [
        HotelInvoice(record.contract_id, f"/contracts/{record.contract_id}#invoices", views[record.number])
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
        notice="",
        errors={error.field: error.message for error in errors},
    )
    return context, errors


@router.get("/invoices", response_model=None)
def hotel_invoices(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    property_id: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    paid: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The invoices and credit notes of the hotels the user may see, newest first, with their status,
    paid and outstanding amounts and the form that records a payment."""
    context, errors = _hotel_invoices_context(session, staff, property_id, page)
    context["notice"] = paid_notice([row.view for row in context["rows"]], paid)
    return templates.TemplateResponse(request, "invoices.html", context, status_code=422 if errors else 200)


def _with_payment_form(
    views: Any, number: str, form: dict[str, str], errors: list[FieldError]
) -> tuple[InvoiceView, ...]:
    """The invoice views with ``number``'s payment form showing the values entered and the errors."""
    shown = []
    for view in views:
        if view.number == number and view.payments is not None:
            placed = replace(view.payments, form=form, errors={e.field: e.message for e in errors})
            view = replace(view, payments=placed)
        shown.append(view)
    return tuple(shown)


@router.post("/invoices/{number}/payments", response_model=None)
def record_payment_form(
    request: Request,
    session: SessionDep,
    staff: CheckedStaffDep,
    number: str,
    paid_on: Annotated[str, Form(max_length=40)] = "",
    amount: Annotated[str, Form(max_length=60)] = "",
    reference: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=20)] = "contract",
    property_id: Annotated[str, Form(max_length=20)] = "",
    page: Annotated[int, Form(ge=1, le=10_000)] = 1,
) -> Response:
    """Record a payment received against an invoice: the date (today at the hotel by default), the
    amount as the hotel's locale writes it (``15,000.00``) and the reference. Then back to the page it
    came from, with a confirmation; on an error, that page again with the input kept."""
    invoice = invoices.get_invoice(session, staff.principal, number, with_pdf=False)
    prop = repo.get(session, PropertyRecord, invoice.property_id)
    assert prop is not None
    fmt = Formats.of(prop.locale)
    form = {"paid_on": paid_on, "amount": amount, "reference": reference}
    errors: list[FieldError] = []
    status = 422
    day = parse_day(paid_on, "paid_on", errors)
    if not paid_on.strip():
        errors.append(FieldError("paid_on", "enter the day the payment was received"))
    value = read_amount(amount, fmt.locale, errors)
    if not errors and value is not None:
        try:
            payments.record_payment(
                session,
                staff.principal,
                number,
                amount=Money(value, invoice.currency),
                paid_on=day,
                reference=reference,
            )
        except ServiceError as error:
            if error.status not in (409, 422):
                raise
            session.rollback()
            status = error.status
            fields = ("paid_on", "amount", "reference")
            errors = [
                FieldError(p.field if p.field in fields else "form", fmt.problem(p.message))
                for p in error.problems
            ] or [FieldError("form", fmt.problem(error.detail))]
        else:
            session.commit()
            if back == "list":
                kept = {"property_id": property_id} if property_id else {}
                query = urlencode({"paid": number, **kept, "page": page})
                return RedirectResponse(f"/invoices?{query}#payments-{number}", status_code=303)
            return RedirectResponse(
                f"/contracts/{invoice.contract_id}?paid={number}#payments-{number}", status_code=303
            )
    if back == "list":
        context, _ = _hotel_invoices_context(session, staff, property_id, page)
        context["rows"] = [
            replace(row, view=_with_payment_form([row.view], number, form, errors)[0])
            for row in context["rows"]
        ]
        return templates.TemplateResponse(request, "invoices.html", context, status_code=status)
    context = contract_context(request, session, staff, invoice.contract_id, None)
    context["invoices"] = _with_payment_form(context["invoices"], number, form, errors)
    return templates.TemplateResponse(request, "contract.html", context, status_code=status)
