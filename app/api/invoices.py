"""Issued invoices and credit notes: issue, read (JSON and the PDF as issued), credit, and the payments
received against an invoice. Nothing updates or deletes one (there is no PUT, PATCH or DELETE route)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.conventions import LOCATION, conflict, responses
from app.api.deps import (
    JsonBody,
    Limit,
    Offset,
    OnceDep,
    PrincipalDep,
    SessionDep,
    UpdatedSince,
    body_schema,
    read_json,
    reads_first,
)
from app.api.schemas import Amount, Page, amount_of
from app.engine.limits import IsoDate
from app.persistence.records import InvoiceRecord, PaymentRecord
from app.services import einvoices
from app.services import invoices as service
from app.services import payments as payment_service
from app.services.errors import NotFoundError
from app.services.idempotency import Outcome
from app.services.inputs import parse_input

router = APIRouter(tags=["invoices"])

_PREFIX = "/api/v1"


class PaymentPublic(BaseModel):
    id: int
    invoice: str = Field(description="The number of the invoice it pays")
    paid_on: date = Field(description="The day the money was received (at the hotel)")
    amount: Amount
    reference: str = Field(description="The bank's or payer's reference; may be empty")
    recorded_by: str = Field(description="Who recorded it (a staff user or an API key)")
    recorded_at: datetime
    link: str


class PaymentRecorded(PaymentPublic):
    balance_outstanding: Amount = Field(description="What is left to pay on the invoice after this payment")
    status: payment_service.PaymentStatus = Field(description="The invoice's status after this payment")


def _payment(number: str, record: PaymentRecord) -> PaymentPublic:
    assert record.id is not None
    return PaymentPublic(
        id=record.id,
        invoice=number,
        paid_on=record.paid_on,
        amount=amount_of(payment_service.rounded_amount(record)),
        reference=record.reference,
        recorded_by=record.recorded_by,
        recorded_at=record.recorded_at,
        link=f"{_PREFIX}/invoices/{number}/payments/{record.id}",
    )


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
    status: payment_service.PaymentStatus | None = Field(
        description="An invoice: issued (nothing paid), partly_paid, paid, or credited (by a credit note); "
        "a credit note: null"
    )
    paid: Amount | None = Field(description="An invoice: the sum of its payments; a credit note: null")
    balance_outstanding: Amount | None = Field(
        description="An invoice: its total less the credit notes against it and its payments (negative "
        "when a paid invoice was credited: a refund is due); a credit note: null"
    )
    payments: list[PaymentPublic] = Field(description="An invoice's payments, in the order recorded")
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


def _public(
    record: InvoiceRecord, related: service.Related, balance: payment_service.Balance | None
) -> InvoicePublic:
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
        status=None if balance is None else balance.status,
        paid=None if balance is None else amount_of(balance.paid),
        balance_outstanding=None if balance is None else amount_of(balance.outstanding),
        payments=[] if balance is None else [_payment(record.number, row) for row in balance.payments],
        pdf_sha256=record.pdf_sha256,
        created_by=record.created_by,
        created_at=record.created_at,
        links=InvoiceLinks(self=url, pdf=f"{url}.pdf", contract=f"{_PREFIX}/contracts/{record.contract_id}"),
        warnings=_warnings(record.document.get("warnings")),
    )


def _publics(session: SessionDep, records: Sequence[InvoiceRecord]) -> list[InvoicePublic]:
    related = service.related(session, records)
    balances = payment_service.balances(session, records)
    return [
        _public(record, related[record.id], balances.get(record.id))
        for record in records
        if record.id is not None
    ]


async def read_optional_json(request: Request) -> Any:
    """The JSON body, or an empty object when the request has none."""
    if not (await request.body()).strip():
        return {}
    return await read_json(request)


_ISSUE_BODY = body_schema(service.InvoiceIssue, "InvoiceIssue")
_ISSUE_BODY["requestBody"]["required"] = False


def _located(body: dict[str, Any]) -> dict[str, str]:
    """An issued document's headers, made from its body so that an Idempotency-Key replay has them."""
    return {"Location": body["links"]["self"]}


@router.post(
    "/contracts/{contract_id}/invoices",
    status_code=201,
    response_model=InvoicePublic,
    responses=responses(201, LOCATION)
    | conflict("an outstanding invoice of the contract (credit it first), or a number already used"),
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
    session: SessionDep,
    principal: PrincipalDep,
    body: Annotated[Any, Depends(read_optional_json)],
    once: OnceDep,
) -> JSONResponse:
    request = parse_input(service.InvoiceIssue, body)

    def write() -> Outcome:
        record = service.issue_invoice(
            session,
            principal,
            contract_id,
            as_of=request.as_of,
            language=request.language,
            issue_date=request.issue_date,
        )
        return Outcome(201, _publics(session, [record])[0].model_dump(mode="json"))

    return once.answer(session, principal, write, _located)


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
    response_model=Page[InvoicePublic],
    summary="The contract's invoices and credit notes, in the order issued",
    description=(
        "`updated_since`: those issued or paid since (a payment changes its invoice; a credit note is new)."
    ),
)
def list_invoices(
    contract_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    updated_since: UpdatedSince = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InvoicePublic]:
    items = _publics(session, service.list_invoices(session, principal, contract_id))
    if updated_since is not None:
        items = [item for item in items if _changed_at(item) >= updated_since]
    return Page[InvoicePublic](
        items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
    )


def _changed_at(invoice: InvoicePublic) -> datetime:
    """When an invoice last changed as the API shows it: issued, or a payment recorded against it."""
    return max([invoice.created_at, *(payment.recorded_at for payment in invoice.payments)])


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


# Registered before GET /invoices/{number} too.
@router.get(
    "/invoices/{number}.xml",
    response_class=Response,
    responses={
        200: {
            "description": (
                "The UBL 2.1 e-invoice (EN 16931): an Invoice, or a CreditNote that names the invoice "
                "it credits. It says what the Factur-X XML embedded in the issued PDF says."
            ),
            "content": {"application/xml": {"schema": {"type": "string"}}},
        },
        404: {"description": "No such invoice, or one issued before e-invoices"},
    },
    summary="The invoice's EN 16931 e-invoice in UBL 2.1",
)
def read_invoice_ubl(number: str, session: SessionDep, principal: PrincipalDep) -> Response:
    record = service.get_invoice(session, principal, number)
    xml = einvoices.ubl_of(record)
    kind = "credit-note" if record.kind == service.InvoiceKind.CREDIT_NOTE else "invoice"
    headers = {
        "Cache-Control": "private, no-cache",
        "Content-Disposition": f'inline; filename="{kind}-{number}.xml"',
    }
    return Response(xml, media_type="application/xml", headers=headers)


@router.get("/invoices/{number}", response_model=InvoicePublic, summary="An invoice or credit note")
def read_invoice(number: str, session: SessionDep, principal: PrincipalDep) -> InvoicePublic:
    return _publics(session, [service.get_invoice(session, principal, number, with_pdf=False)])[0]


@router.post(
    "/invoices/{number}/credit-note",
    status_code=201,
    response_model=InvoicePublic,
    responses=responses(201, LOCATION) | conflict("the invoice is credited already, or is a credit note"),
    openapi_extra=body_schema(service.CreditNoteIssue, "CreditNoteIssue"),
    summary="Credit the whole of an invoice (once); the credit note references it",
)
@reads_first
def credit_invoice(
    number: str, session: SessionDep, principal: PrincipalDep, body: JsonBody, once: OnceDep
) -> JSONResponse:
    request = parse_input(service.CreditNoteIssue, body)

    def write() -> Outcome:
        record = service.credit_invoice(
            session, principal, number, reason=request.reason, issue_date=request.issue_date
        )
        return Outcome(201, _public(record, service.Related(credits=number), None).model_dump(mode="json"))

    return once.answer(session, principal, write, _located)


# --- payments ---------------------------------------------------------------------------------------

_PAYMENT_BODY = body_schema(payment_service.PaymentCreate, "PaymentCreate")
_PAYMENT_BODY["requestBody"]["content"]["application/json"]["examples"] = {
    "transfer": {
        "summary": "A bank transfer received",
        "value": {"paid_on": "2027-02-20", "amount": "1000.00", "reference": "BACS 4471-0093"},
    },
    "today": {"summary": "Received today at the hotel, no reference", "value": {"amount": "616.80"}},
}
_OVERPAID = {
    "type": "about:blank",
    "title": "Invalid input",
    "status": 422,
    "detail": "the payment is more than the balance outstanding",
    "errors": [
        {
            "field": "amount",
            "message": (
                "the balance outstanding on invoice 3-000042 is $616.80: a payment may be at most that"
            ),
        }
    ],
}


@router.post(
    "/invoices/{number}/payments",
    status_code=201,
    response_model=PaymentRecorded,
    openapi_extra=_PAYMENT_BODY,
    responses={
        201: {
            "description": "Recorded; `Location` names the payment. A retry with the same Idempotency-Key "
            "gets this answer again with `Idempotent-Replayed: true`, and records nothing.",
            "headers": LOCATION,
        },
        409: {"description": "A credit note, a credited invoice, or an invoice with the most payments"},
        422: {
            "description": "Invalid input, naming the field: `amount` (not more than zero, another "
            "currency, too many decimal places, or more than the balance outstanding, which the message "
            "states), `paid_on` (before the issue date or after today at the hotel), `reference`",
            "content": {"application/problem+json": {"example": _OVERPAID}},
        },
    },
    summary="Record a payment received against an invoice (never beyond its balance outstanding)",
    description=(
        "The amount is in the invoice's currency. Two payments sent at once are checked one after the "
        "other, so together they cannot pay more than the balance outstanding."
    ),
)
def record_payment(
    number: str,
    session: SessionDep,
    principal: PrincipalDep,
    body: JsonBody,
    once: OnceDep,
) -> JSONResponse:
    invoice = service.get_invoice(session, principal, number, with_pdf=False)
    principal.require_write(invoice.property_id, f"invoice {number}")
    request = parse_input(payment_service.PaymentCreate, body, currency=invoice.currency)

    def write() -> Outcome:
        record = payment_service.record_payment(
            session,
            principal,
            number,
            amount=request.amount,
            paid_on=request.paid_on,
            reference=request.reference,
        )
        balance = payment_service.balance_of(session, invoice)
        assert balance is not None
        recorded = PaymentRecorded(
            **_payment(number, record).model_dump(),
            balance_outstanding=amount_of(balance.outstanding),
            status=balance.status,
        )
        return Outcome(201, recorded.model_dump(mode="json"))

    return once.answer(session, principal, write, lambda body: {"Location": body["link"]})


@router.get(
    "/invoices/{number}/payments/{payment_id}",
    response_model=PaymentPublic,
    summary="A payment recorded against an invoice",
)
def read_payment(number: str, payment_id: int, session: SessionDep, principal: PrincipalDep) -> PaymentPublic:
    invoice = service.get_invoice(session, principal, number, with_pdf=False)
    balance = payment_service.balance_of(session, invoice)
    for record in () if balance is None else balance.payments:
        if record.id == payment_id:
            return _payment(number, record)
    raise NotFoundError(f"invoice {number} has no payment {payment_id}")
