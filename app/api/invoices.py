"""Issued invoices and credit notes: issue, read (JSON and the PDF as issued), credit. Nothing updates or
deletes one (there is no PUT, PATCH or DELETE route)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.deps import JsonBody, PrincipalDep, SessionDep, body_schema, read_json, reads_first
from app.engine.limits import IsoDate
from app.persistence.records import InvoiceRecord
from app.services import invoices as service
from app.services.inputs import parse_input

router = APIRouter(tags=["invoices"])

_PREFIX = "/api/v1"


class Amount(BaseModel):
    amount: str = Field(description="Exact decimal text; negative on a credit note")
    currency: str


class InvoiceLinks(BaseModel):
    self: str
    pdf: str
    contract: str


class InvoiceWarning(BaseModel):
    code: str = Field(description="What is missing, as a machine code (seller_vat_id, buyer_address, …)")
    message: str = Field(description="The same in words")
    fix: str = Field(description="Whose details fill it: the property's (seller) or the account's (buyer)")


def _warnings(kept: Any) -> list[InvoiceWarning]:
    return [
        InvoiceWarning(code=item["code"], message=item["message"], fix=item["party"]) for item in kept or []
    ]


class InvoicePublic(BaseModel):
    number: str = Field(
        description=(
            "In the property's format (RWC-2027-000042), else {property_id}-{sequence:06d}: unique, "
            "gap-free per property (and per year when the format shows the year)"
        )
    )
    kind: service.InvoiceKind
    property_id: int
    contract_id: int
    contract_version: int = Field(description="The contract version the billed assessment used")
    assessment_id: int = Field(description="The stored assessment billed (a credit note: the invoice's)")
    language: str
    issue_date: date
    due_date: date
    as_of: date = Field(description="The date the billed assessment stands as of")
    total: Amount
    credits: str | None = Field(description="A credit note: the number of the invoice it credits")
    credited_by: str | None = Field(description="An invoice: the number of the credit note that credits it")
    reason: str | None = Field(description="A credit note: the reason given")
    pdf_sha256: str = Field(description="SHA-256 of the PDF bytes as issued (also the PDF's ETag)")
    created_by: str
    created_at: datetime
    links: InvoiceLinks
    warnings: list[InvoiceWarning] = Field(
        default=[],
        description=(
            "What the invoice lacked, when issued, of what an invoice needs in the hotel's country "
            "(docs/invoice-requirements.md); it was issued all the same"
        ),
    )


def _public(record: InvoiceRecord, related: service.Related) -> InvoicePublic:
    url = f"{_PREFIX}/invoices/{record.number}"
    return InvoicePublic(
        number=record.number,
        kind=service.InvoiceKind(record.kind),
        property_id=record.property_id,
        contract_id=record.contract_id,
        contract_version=record.contract_version,
        assessment_id=record.assessment_id,
        language=record.language,
        issue_date=record.issue_date,
        due_date=record.due_date,
        as_of=record.as_of,
        total=Amount(amount=record.total_amount, currency=record.currency),
        credits=related.credits,
        credited_by=related.credited_by,
        reason=record.document.get("reason") or None,
        pdf_sha256=record.pdf_sha256,
        created_by=record.created_by,
        created_at=record.created_at,
        links=InvoiceLinks(self=url, pdf=f"{url}.pdf", contract=f"{_PREFIX}/contracts/{record.contract_id}"),
        warnings=_warnings(record.document.get("warnings")),
    )


def _publics(session: SessionDep, records: Sequence[InvoiceRecord]) -> list[InvoicePublic]:
    related = service.related(session, records)
    return [_public(record, related[record.id]) for record in records if record.id is not None]


async def read_optional_json(request: Request) -> Any:
    """The JSON body, or an empty object when the request has none."""
    if not (await request.body()).strip():
        return {}
    return await read_json(request)


_ISSUE_BODY = body_schema(service.InvoiceIssue, "InvoiceIssue")
_ISSUE_BODY["requestBody"]["required"] = False


@router.post(
    "/contracts/{contract_id}/invoices",
    status_code=201,
    response_model=InvoicePublic,
    openapi_extra=_ISSUE_BODY,
    summary="Issue the damages invoice of a stored contract (its assessment is kept with it)",
    description=(
        "Assesses the contract as of `as_of` and issues the invoice under the property's next number. "
        "Refused: nothing owed (422), an issue date before `as_of` (422), an outstanding invoice for the "
        "contract (409: credit it first)."
    ),
)
@reads_first
def issue_invoice(
    contract_id: int,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    body: Annotated[Any, Depends(read_optional_json)],
) -> InvoicePublic:
    request = parse_input(service.InvoiceIssue, body)
    record = service.issue_invoice(
        session,
        principal,
        contract_id,
        as_of=request.as_of,
        language=request.language,
        issue_date=request.issue_date,
    )
    session.commit()
    response.headers["Location"] = f"{_PREFIX}/invoices/{record.number}"
    return _public(record, service.Related())


class InvoicePreviewPublic(BaseModel):
    total: str = Field(description="The total the invoice would bill, formatted in its language")
    language: str
    is_final: bool = Field(description="False: the stay is not over and no notice came (an interim invoice)")
    outstanding: str | None = Field(
        description="An outstanding invoice of the contract, which would refuse it"
    )
    warnings: list[InvoiceWarning] = Field(
        description="What the invoice would lack of what an invoice needs in the hotel's country"
    )


@router.get(
    "/contracts/{contract_id}/invoices/preview",
    response_model=InvoicePreviewPublic,
    summary="The invoice as it would be issued now (nothing is stored), with what it would lack",
)
def preview_invoice(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: Annotated[IsoDate | None, Query(description="default: today at the hotel")] = None,
    language: Annotated[str | None, Query(max_length=10)] = None,
    issue_date: Annotated[IsoDate | None, Query(description="default: today at the hotel")] = None,
) -> InvoicePreviewPublic:
    preview = service.preview_invoice(
        session, principal, contract_id, as_of=as_of, language=language, issue_date=issue_date
    )
    return InvoicePreviewPublic(
        total=preview.document.total_due,
        language=preview.document.language,
        is_final=preview.is_final,
        outstanding=preview.outstanding,
        warnings=[
            InvoiceWarning(code=str(gap.code), message=gap.message, fix=gap.party) for gap in preview.gaps
        ],
    )


@router.get(
    "/contracts/{contract_id}/invoices",
    response_model=list[InvoicePublic],
    summary="The contract's invoices and credit notes, in the order issued",
)
def list_invoices(contract_id: int, session: SessionDep, principal: PrincipalDep) -> list[InvoicePublic]:
    return _publics(session, service.list_invoices(session, principal, contract_id))


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` or any listed tag, compared weakly."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


# Registered before GET /invoices/{number}, which would otherwise take "N.pdf" as a number.
@router.get(
    "/invoices/{number}.pdf",
    response_class=Response,
    responses={
        200: {
            "description": "The PDF as issued",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "Not modified: the If-None-Match tag is the PDF's"},
    },
    summary="The invoice's PDF, byte for byte as issued (ETag: its SHA-256)",
)
def read_invoice_pdf(
    number: str,
    session: SessionDep,
    principal: PrincipalDep,
    if_none_match: Annotated[str | None, Header(description="An ETag you have: 304 if unchanged")] = None,
) -> Response:
    record = service.get_invoice(session, principal, number)
    etag = f'"{record.pdf_sha256}"'
    # private: the PDF is only for credentials that may read it; no-cache: revalidate (a 304 is cheap).
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    kind = "credit-note" if record.kind == service.InvoiceKind.CREDIT_NOTE else "invoice"
    headers["Content-Disposition"] = f'inline; filename="{kind}-{record.number}.pdf"'
    return Response(record.pdf, media_type="application/pdf", headers=headers)


@router.get("/invoices/{number}", response_model=InvoicePublic, summary="An invoice or credit note")
def read_invoice(number: str, session: SessionDep, principal: PrincipalDep) -> InvoicePublic:
    return _publics(session, [service.get_invoice(session, principal, number, with_pdf=False)])[0]


@router.post(
    "/invoices/{number}/credit-note",
    status_code=201,
    response_model=InvoicePublic,
    openapi_extra=body_schema(service.CreditNoteIssue, "CreditNoteIssue"),
    summary="Credit the whole of an invoice (once); the credit note references it",
)
@reads_first
def credit_invoice(
    number: str, response: Response, session: SessionDep, principal: PrincipalDep, body: JsonBody
) -> InvoicePublic:
    request = parse_input(service.CreditNoteIssue, body)
    record = service.credit_invoice(
        session, principal, number, reason=request.reason, issue_date=request.issue_date
    )
    session.commit()
    response.headers["Location"] = f"{_PREFIX}/invoices/{record.number}"
    return _public(record, service.Related(credits=number))
