"""The hotel details and account details pages: the legal identities invoices print (app/identity.py),
and the hotel's invoice numbering. For staff who may edit the property; the same service as the API
(``update_property``, ``update_account``), the same validation, and on an error the same page with
status 422, the input kept and the message beside the field (docs/architecture.md, "Pages and forms").
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.api.deps import SessionDep
from app.engine.sharing import SharingRule
from app.identity import DEFAULT_NUMBER_FORMAT, MAX_ADDRESS_LINES
from app.services import properties as service
from app.services.errors import ServiceError
from app.validation import error_message
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.templating import page_context, templates
from app.web.views import FieldError

router = APIRouter(include_in_schema=False)

_EN = Locale("en")
#: Countries for the select: ISO 3166-1 alpha-2 codes with their English names, by name.
COUNTRIES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ((code, str(name)) for code, name in _EN.territories.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )
)

ADDRESS_FIELDS = ("postcode", "city", "region", "country")
LINE_FIELDS = tuple(f"address_line{index + 1}" for index in range(MAX_ADDRESS_LINES))
SELLER_FIELDS = (
    *("legal_name", *LINE_FIELDS, *ADDRESS_FIELDS, "vat_id", "registration"),
    *("contact_name", "contact_email", "contact_phone"),
    *("iban", "bic", "account_number", "routing_number", "bank_name", "payment_reference"),
)
BUYER_FIELDS = (
    *("legal_name", *LINE_FIELDS, *ADDRESS_FIELDS, "tax_id", "reference"),
    *("contact_name", "contact_email"),
)
NUMBERING_FIELDS = ("invoice_prefix", "invoice_number_format")
#: The hotel's ways of sharing a night's unsold rooms among the groups short that night
#: (app.engine.sharing.SharingRule, docs/rules.md §3.6): the stored value, its words and what it does.
SHARING_CHOICES: tuple[tuple[str, str, str], ...] = (
    (
        SharingRule.INVOICE_ORDER.value,
        "In the order the groups were invoiced",
        "Groups already invoiced take their shortfall first, in the order invoiced; the others follow "
        "in the order their contracts were entered.",
    ),
    (
        SharingRule.PRO_RATA.value,
        "In proportion to each group's shortfall",
        "Each group takes a part of the unsold rooms matching its share of all the groups' shortfall, "
        "rounded to whole rooms.",
    ),
)


async def read_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# --- between the form's flat fields and the identity's nested shape ------------------------------


def identity_values(identity: dict[str, Any] | None) -> dict[str, str]:
    """The form's fields from a stored identity (seller or buyer)."""
    data = identity or {}
    address = data.get("address") or {}
    contact = data.get("contact") or {}
    bank = data.get("bank") or {}
    values = {name: str(data.get(name) or "") for name in ("legal_name", "vat_id", "registration")}
    values |= {name: str(data.get(name) or "") for name in ("tax_id", "reference", "payment_reference")}
    lines = list(address.get("lines") or [])
    values |= {field: (lines[index] if index < len(lines) else "") for index, field in enumerate(LINE_FIELDS)}
    values |= {name: str(address.get(name) or "") for name in ADDRESS_FIELDS}
    values |= {f"contact_{name}": str(contact.get(name) or "") for name in ("name", "email", "phone")}
    values |= {name: str(bank.get(name) or "") for name in ("iban", "bic", "account_number")}
    values |= {name: str(bank.get(name) or "") for name in ("routing_number", "bank_name")}
    return values


def identity_input(values: dict[str, str], *, seller: bool) -> dict[str, Any]:
    """The identity the form's fields describe, as the API takes it."""
    data: dict[str, Any] = {
        "legal_name": values["legal_name"],
        "address": {
            "lines": [values[field] for field in LINE_FIELDS if values[field]],
            **{name: values[name] for name in ADDRESS_FIELDS},
        },
        "contact": {"name": values["contact_name"], "email": values["contact_email"]},
    }
    if seller:
        data["contact"]["phone"] = values["contact_phone"]
        data |= {name: values[name] for name in ("vat_id", "registration", "payment_reference")}
        data["bank"] = {
            name: values[name] for name in ("iban", "bic", "account_number", "routing_number", "bank_name")
        }
    else:
        data |= {name: values[name] for name in ("tax_id", "reference")}
    return data


def form_field(loc: Sequence[Hashable]) -> str:
    """The form field an error's location names (``identity.bank.iban`` -> ``iban``)."""
    parts = [str(part) for part in loc]
    if parts and parts[0] == "identity":
        parts = parts[1:]
    match parts:
        case ["address", "lines", index, *_]:
            return f"address_line{int(index) + 1}"
        case ["address", name, *_]:
            return name
        case ["contact", name, *_]:
            return f"contact_{name}"
        case ["bank"]:
            return "bank"
        case ["bank", name, *_]:
            return name
        case [name, *_]:
            return name
    return "form"


def _errors(error: ValidationError) -> list[FieldError]:
    return [FieldError(form_field(detail["loc"]), error_message(detail)) for detail in error.errors()]


# --- the hotel --------------------------------------------------------------------------------------


def _render(
    request: Request,
    staff: Staff,
    kind: str,
    name: str,
    action: str,
    locale: str,
    values: dict[str, str],
    errors: Sequence[FieldError],
    status: int,
) -> Response:
    """The details form of a hotel or an account (``kind``), with the input kept beside its errors."""
    error_map = {error.field: error.message for error in errors}
    context = page_context(
        title=f"{'Hotel' if kind == 'hotel' else 'Account'} details: {name}",
        staff=staff,
        locale=locale,
        kind=kind,
        name=name,
        action=action,
        back=safe_back(values.get("back") or request.query_params.get("back", "")),
        values=values,
        errors=error_map,
        error_count=len(error_map),
        countries=COUNTRIES,
        max_lines=MAX_ADDRESS_LINES,
        default_format=DEFAULT_NUMBER_FORMAT,
        saved=request.query_params.get("saved") == "1",
        webhooks_url=action.removesuffix("/details") + "/webhooks" if kind == "hotel" else "",
        inventory_url=action.removesuffix("/details") + "/inventory" if kind == "hotel" else "",
        sharing_choices=SHARING_CHOICES,
    )
    return templates.TemplateResponse(request, "party_details.html", context, status_code=status)


def _hotel_page(
    request: Request,
    session: Session,
    staff: Staff,
    property_id: int,
    values: dict[str, str] | None = None,
    errors: Sequence[FieldError] = (),
    status: int = 200,
) -> Response:
    prop = service.get_property(session, staff.principal, property_id)
    staff.principal.require_write(property_id, f"property {property_id}")
    if values is None:
        values = identity_values(prop.identity) | {
            "invoice_prefix": prop.invoice_prefix or "",
            "invoice_number_format": prop.invoice_number_format,
            "last_room_sold_sharing": prop.last_room_sold_sharing,
            "revision": str(prop.revision),
        }
    return _render(
        request,
        staff,
        "hotel",
        prop.name,
        f"/properties/{property_id}/details",
        prop.locale,
        values,
        errors,
        status,
    )


@router.get("/properties/{property_id:int}/details", response_model=None)
def hotel_details(request: Request, session: SessionDep, staff: StaffDep, property_id: int) -> Response:
    """The hotel's legal identity, bank details and invoice numbering."""
    return _hotel_page(request, session, staff, property_id)


@router.post("/properties/{property_id:int}/details", response_model=None)
def save_hotel_details(
    request: Request, session: SessionDep, staff: CheckedStaffDep, form: FormDep, property_id: int
) -> Response:
    prop = service.get_property(session, staff.principal, property_id)
    staff.principal.require_write(property_id, f"property {property_id}")
    values = {
        name: _text(form, name)
        for name in (*SELLER_FIELDS, *NUMBERING_FIELDS, "last_room_sold_sharing", "revision", "back")
    }
    body = {
        "name": prop.name,
        "address": prop.address,
        "currency": prop.currency,
        "locale": prop.locale,
        "timezone": prop.timezone,
        "tax_profile": prop.tax_profile,
        "identity": identity_input(values, seller=True),
        "invoice_prefix": values["invoice_prefix"].upper() or None,
        "invoice_number_format": values["invoice_number_format"],
        "last_room_sold_sharing": values["last_room_sold_sharing"] or prop.last_room_sold_sharing,
    }
    try:
        data = service.PropertyCreate.model_validate(body, strict=False)
    except ValidationError as error:
        errors = [
            FieldError(found.field, "choose one of the ways of sharing below")
            if found.field == "last_room_sold_sharing"
            else found
            for found in _errors(error)
        ]  # the rule's stored values are not words the page shows
        return _hotel_page(request, session, staff, property_id, values, errors, 422)
    revision = int(values["revision"]) if values["revision"].isdigit() else 0
    try:
        service.update_property(session, staff.principal, property_id, revision, data)
    except ServiceError as error:
        if error.status not in (409, 412):
            raise
        session.rollback()
        found = [FieldError(problem.field, problem.message) for problem in error.problems]
        return _hotel_page(
            request, session, staff, property_id, values, found or [FieldError("form", error.detail)], 409
        )
    session.commit()
    return RedirectResponse(
        _after_save(f"/properties/{property_id}/details", values["back"]), status_code=303
    )


# --- the account ------------------------------------------------------------------------------------


def _account_page(
    request: Request,
    session: Session,
    staff: Staff,
    account_id: int,
    values: dict[str, str] | None = None,
    errors: Sequence[FieldError] = (),
    status: int = 200,
) -> Response:
    account = service.get_account(session, staff.principal, account_id)
    staff.principal.require_write(account.property_id, f"account {account_id}")
    prop = service.get_property(session, staff.principal, account.property_id)
    if values is None:
        values = identity_values(account.identity) | {"revision": str(account.revision)}
    return _render(
        request,
        staff,
        "account",
        account.name,
        f"/accounts/{account_id}/details",
        prop.locale,
        values,
        errors,
        status,
    )


@router.get("/accounts/{account_id:int}/details", response_model=None)
def account_details(request: Request, session: SessionDep, staff: StaffDep, account_id: int) -> Response:
    """The account's legal identity as invoices bill it."""
    return _account_page(request, session, staff, account_id)


@router.post("/accounts/{account_id:int}/details", response_model=None)
def save_account_details(
    request: Request, session: SessionDep, staff: CheckedStaffDep, form: FormDep, account_id: int
) -> Response:
    account = service.get_account(session, staff.principal, account_id)
    staff.principal.require_write(account.property_id, f"account {account_id}")
    values = {name: _text(form, name) for name in (*BUYER_FIELDS, "revision", "back")}
    body = {
        "name": account.name,
        "contact_name": account.contact_name,
        "contact_email": account.contact_email,
        "language": account.language,
        "segment": account.segment,
        "identity": identity_input(values, seller=False),
    }
    try:
        data = service.AccountUpdate.model_validate(body, strict=False)
    except ValidationError as error:
        return _account_page(request, session, staff, account_id, values, _errors(error), 422)
    revision = int(values["revision"]) if values["revision"].isdigit() else 0
    try:
        service.update_account(session, staff.principal, account_id, revision, data)
    except ServiceError as error:
        if error.status not in (409, 412):
            raise
        session.rollback()
        return _account_page(
            request, session, staff, account_id, values, [FieldError("form", error.detail)], 409
        )
    session.commit()
    return RedirectResponse(_after_save(f"/accounts/{account_id}/details", values["back"]), status_code=303)


def safe_back(back: str) -> str:
    """``back`` if it is a path on this site (never another site or a script), else empty."""
    if back.startswith("/") and not back.startswith("//") and "\\" not in back and len(back) <= 500:
        return back
    return ""


def _after_save(here: str, back: str) -> str:
    """Back to the page that sent the user, else this page, saying it saved."""
    return safe_back(back) or f"{here}?saved=1"
