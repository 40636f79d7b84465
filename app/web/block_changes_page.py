"""Terms that change after signing (``/contracts/{id}/block-changes``): block reductions the group
notified, off-line rooms the hotel failed to supply, and a tax profile for this contract only.

They are contract terms, not actuals: each save is an amendment through the same update service as the
editor and the API, so it adds a contract version (the history of versions is the as-of history) and is
validated as the contract is (a reduction against the reduction rights in force on its notice date). The
form carries the contract's revision: an edit made meanwhile is not overwritten.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.api.deps import SessionDep
from app.engine.contract import DamagesKind, ReductionBasis
from app.engine.limits import MAX_ROOMS
from app.persistence import repositories as repo
from app.services.contracts import StoredContract, load_contract, update_contract
from app.services.errors import ConflictError, InvalidInputError, PreconditionFailedError
from app.services.properties import get_property
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.numbers import read_number
from app.web.templating import babel_locale, page_context, templates
from app.web.views import FieldError, Formats, parse_day

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    DamagesKind.ROOM_ATTRITION: "Room attrition",
    DamagesKind.FNB_ATTRITION: "F&B shortfall",
    DamagesKind.MEETING_ROOM_RENTAL: "Meeting-room rental",
    DamagesKind.CANCELLATION: "Cancellation",
}
BASIS_WORDS = {ReductionBasis.ORIGINAL: "original", ReductionBasis.CURRENT: "current"}
TAX_ROWS = 3
Text = Annotated[str, Field(max_length=80)]


class ReductionForm(BaseModel):
    """A reduction: the right it is made under, the day the group gave notice, and its size as a
    percentage of every cell or as rooms per cell."""

    revision: Text
    right: Text
    notice_date: Text
    mode: Text
    pct: Text
    cells: dict[str, Text]


class OfflineForm(BaseModel):
    revision: Text
    cells: dict[str, Text]


class TaxLineForm(BaseModel):
    name: Text
    rate_pct: Text
    kinds: list[DamagesKind]
    on_service_charge: bool


class TaxForm(BaseModel):
    revision: Text
    use_property: bool
    name: Text
    service_charge_pct: Text
    service_charge_kinds: list[DamagesKind]
    taxes: list[TaxLineForm]


async def read_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def _str(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def cell_key(night: date, room_type: str) -> str:
    return f"{night.isoformat()}:{room_type}"


@dataclass(frozen=True, slots=True)
class CellInput:
    name: str
    label: str
    value: str


# --- the page --------------------------------------------------------------------------------------


def _pct(text: str, name: str, locale: Any, errors: list[FieldError]) -> Decimal | None:
    if not text:
        return None
    value = read_number(text.rstrip("% "), locale)
    if value is None:
        errors.append(FieldError(name, f"{text[:40]!r} is not a percentage: write it like 10 or 12.5"))
        return None
    if not 0 <= value <= 100:
        errors.append(FieldError(name, "enter a percentage from 0 to 100"))
        return None
    return value


def _count(text: str, name: str, errors: list[FieldError]) -> int:
    if not text:
        return 0
    if not text.isdigit() or int(text) > MAX_ROOMS:
        errors.append(FieldError(name, f"enter a whole number of rooms from 0 to {MAX_ROOMS:,}"))
        return 0
    return int(text)


def _grid(stored: StoredContract, fmt: Formats, prefix: str, values: dict[str, str]) -> tuple[Any, ...]:
    terms = stored.terms
    held = {(cell.night, cell.room_type) for cell in terms.block}
    return tuple(
        (
            fmt.day(night),
            tuple(
                CellInput(
                    name := f"{prefix}:{cell_key(night, room_type)}",
                    f"{room_type}, night of {fmt.day(night)}",
                    values.get(name, ""),
                )
                if (night, room_type) in held
                else CellInput("", "", "")
                for room_type in terms.room_types
            ),
        )
        for night in terms.nights
    )


def _page(
    request: Request,
    session: Session,
    staff: Staff,
    stored: StoredContract,
    *,
    section: str = "",
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    record, terms = stored.record, stored.terms
    prop = get_property(session, staff.principal, record.property_id)
    fmt = Formats.of(prop.locale)
    if values is None:
        values = {
            f"off:{cell_key(cell.night, cell.room_type)}": str(cell.rooms) for cell in terms.offline_rooms
        }
        tax = terms.tax_override
        values["use_property"] = "" if tax is not None else "on"
        if tax is not None:
            values["tax_name"] = tax.name
            values["service_charge_pct"] = fmt.number(tax.service_charge_pct)
            values |= {f"service_charge_kinds:{kind.value}": "on" for kind in tax.service_charge_kinds}
            for index, rule in enumerate(tax.taxes[:TAX_ROWS]):
                values[f"tax{index}_name"] = rule.name
                values[f"tax{index}_rate_pct"] = fmt.number(rule.rate_pct)
                values[f"tax{index}_on_service_charge"] = "on" if rule.on_service_charge else ""
                values |= {f"tax{index}_kinds:{kind.value}": "on" for kind in rule.kinds}
        else:
            values |= {f"tax{index}_on_service_charge": "on" for index in range(TAX_ROWS)}
    error_map = {error.field: error.message for error in errors or ()}
    rights = tuple(
        (
            str(index),
            f"{right.name or f'Right {index + 1}'}: up to {fmt.pct(right.max_pct)} of the "
            f"{BASIS_WORDS[right.basis]} block, notice by {fmt.day(right.deadline(terms.arrival_date))}",
        )
        for index, right in enumerate(terms.reduction_rights)
    )
    reductions = tuple(
        (
            str(index),
            fmt.day(reduction.notice_date),
            fmt.number(reduction.room_nights),
            ", ".join(
                f"{cell.room_type} {fmt.day(cell.night)}: {fmt.number(cell.rooms)}"
                for cell in reduction.cells
            ),
        )
        for index, reduction in enumerate(terms.reductions)
    )
    property_tax = terms.property.tax_profile
    context = page_context(
        title=f"Block changes and tax · {record.name or terms.group.name}",
        staff=staff,
        locale=prop.locale,
        contract_id=record.id,
        contract_name=record.name or terms.group.name,
        reference=record.reference,
        revision=values.get("revision") or str(record.revision),
        version=record.current_version,
        section=section,
        values=values,
        errors=error_map,
        error_count=len(error_map),
        rights=rights,
        reductions=reductions,
        room_types=terms.room_types,
        reduction_grid=_grid(stored, fmt, "red", values),
        offline_grid=_grid(stored, fmt, "off", values),
        kinds=tuple((kind.value, label) for kind, label in KIND_LABELS.items()),
        tax_rows=tuple(str(index) for index in range(TAX_ROWS)),
        property_tax=property_tax.name if property_tax is not None and property_tax.name else "",
        notice={"reduction": "Reduction saved", "offline": "Off-line rooms saved", "tax": "Tax saved"}.get(
            request.query_params.get("saved", ""), ""
        ),
    )
    return templates.TemplateResponse(request, "block_changes.html", context, status_code=status)


@router.get("/contracts/{contract_id:int}/block-changes", response_model=None)
def block_changes_form(request: Request, session: SessionDep, staff: StaffDep, contract_id: int) -> Response:
    return _page(request, session, staff, load_contract(session, staff.principal, contract_id))


# --- saving: one amendment per form ----------------------------------------------------------------

_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _words(message: str, fmt: Formats) -> str:
    """An engine message as staff read it: dates in the hotel's format, no quoted identifiers."""
    text = _ISO_DAY.sub(lambda m: fmt.day(date(int(m[1]), int(m[2]), int(m[3]))), message)
    for basis, word in BASIS_WORDS.items():
        text = text.replace(f"of the {basis.value} block", f"of the {word} block")
    return re.sub(r"'([^'\s]+)'", r"\1", text)  # 'king' → king; the hotel's stays


def _amend(
    request: Request,
    session: Session,
    staff: Staff,
    stored: StoredContract,
    section: str,
    form: FormData,
    errors: list[FieldError],
    change: Callable[[dict[str, Any]], None],
    note: str,
    place: Callable[[str], str],
) -> Response:
    record = stored.record
    contract_id = record.id
    assert contract_id is not None
    revision = _str(form, "revision")
    fmt = Formats.of(get_property(session, staff.principal, record.property_id).locale)
    if not errors:
        version = repo.contract_version(session, contract_id, record.current_version)
        assert version is not None  # load_contract read it
        terms = copy.deepcopy(version.terms)
        terms.pop("property", None)  # the stored property fills it
        change(terms)
        envelope = {"account_id": record.account_id, "status": record.status, "note": note, "contract": terms}
        try:
            update_contract(
                session, staff.principal, contract_id, int(revision) if revision.isdigit() else -1, envelope
            )
        except (InvalidInputError, ConflictError) as error:
            session.rollback()
            problems = error.problems or ()
            errors = [FieldError(place(problem.field), _words(problem.message, fmt)) for problem in problems]
            errors = errors or [FieldError(place(""), _words(error.detail, fmt))]
        except PreconditionFailedError:
            session.rollback()
            errors = [
                FieldError(
                    place(""),
                    "the contract was changed by someone else since you opened this page: "
                    "reload it and enter the change again",
                )
            ]
        else:
            session.commit()
            return RedirectResponse(f"/contracts/{contract_id}/block-changes?saved={section}#{section}", 303)
    values = {key: value.strip() for key, value in form.multi_items() if isinstance(value, str)}
    for key, value in form.multi_items():
        if isinstance(value, str) and ":" in key and key.split(":")[0].endswith("kinds"):
            values[f"{key}:{value}"] = "on"
    return _page(request, session, staff, stored, section=section, values=values, errors=errors, status=422)


@router.post("/contracts/{contract_id:int}/block-changes/reduction", response_model=None)
def add_reduction(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    terms = stored.terms
    locale = babel_locale(get_property(session, staff.principal, stored.record.property_id).locale)
    keys = [cell_key(cell.night, cell.room_type) for cell in terms.block]
    errors: list[FieldError] = []
    try:
        parsed = ReductionForm.model_validate(
            {
                **{name: _str(form, name) for name in ("revision", "right", "notice_date", "mode", "pct")},
                "cells": {key: _str(form, f"red:{key}") for key in keys},
            }
        )
    except ValidationError:
        return _amend(
            request, session, staff, stored, "reduction", form,
            [FieldError("notice_date", "a field is too long")], lambda _: None, "", lambda _: "notice_date",
        )  # fmt: skip
    notice = parse_day(parsed.notice_date, "notice_date", errors)
    if notice is None and not parsed.notice_date:
        errors.append(FieldError("notice_date", "give the day the group notified the reduction"))
    right = None
    if parsed.right.isdigit() and int(parsed.right) < len(terms.reduction_rights):
        right = terms.reduction_rights[int(parsed.right)]
    elif terms.reduction_rights:
        errors.append(FieldError("right", "choose one of the contract's reduction rights"))
    else:
        errors.append(FieldError("right", "the contract gives no right to reduce the block"))
    cells: list[dict[str, Any]] = []
    if parsed.mode == "pct":
        pct = _pct(parsed.pct, "pct", locale, errors)
        if pct is None and not parsed.pct:
            errors.append(FieldError("pct", "enter the percentage of every night and room type to release"))
        if pct is not None and right is not None and notice is not None:
            base = (
                terms.rooms_after_reductions(notice)
                if right.basis is ReductionBasis.CURRENT
                else {(cell.night, cell.room_type): cell.rooms for cell in terms.block}
            )
            # Whole rooms only: each cell's share is rounded down, so the reduction never exceeds the %.
            for (night, room_type), rooms in sorted(base.items()):
                count = int((Decimal(rooms) * pct / 100).to_integral_value(ROUND_DOWN))
                if count:
                    cells.append({"night": night.isoformat(), "room_type": room_type, "rooms": count})
            if not cells:
                errors.append(FieldError("pct", "that percentage releases no whole room on any night"))
    elif parsed.mode == "cells":
        for cell in terms.block:
            key = cell_key(cell.night, cell.room_type)
            count = _count(parsed.cells[key], f"red:{key}", errors)
            if count:
                cells.append({"night": cell.night.isoformat(), "room_type": cell.room_type, "rooms": count})
        if not cells and not errors:
            errors.append(FieldError(f"red:{keys[0]}", "enter the rooms released on at least one night"))
    else:
        errors.append(FieldError("mode", "choose a percentage or rooms per night"))

    def change(data: dict[str, Any]) -> None:
        assert notice is not None
        data["reductions"] = [
            *data.get("reductions", []),
            {"notice_date": notice.isoformat(), "cells": cells},
        ]

    def place(field: str) -> str:
        match = re.search(r"reductions\[\d+\]\.cells\[(\d+)\]", field)
        if match and parsed.mode == "cells" and int(match[1]) < len(cells):
            found = cells[int(match[1])]
            return f"red:{found['night']}:{found['room_type']}"
        return "pct" if parsed.mode == "pct" else "notice_date"

    return _amend(
        request, session, staff, stored, "reduction", form, errors, change, "Block reduction notified", place
    )


@router.post("/contracts/{contract_id:int}/block-changes/reduction/remove", response_model=None)
def remove_reduction(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    index_text = _str(form, "index")
    errors: list[FieldError] = []
    if not index_text.isdigit() or int(index_text) >= len(stored.terms.reductions):
        errors.append(FieldError("notice_date", "that reduction is no longer recorded: reload the page"))

    def change(data: dict[str, Any]) -> None:
        data["reductions"] = [r for i, r in enumerate(data.get("reductions", [])) if i != int(index_text)]

    return _amend(
        request, session, staff, stored, "reduction", form, errors, change, "Block reduction removed",
        lambda _: "notice_date",
    )  # fmt: skip


@router.post("/contracts/{contract_id:int}/block-changes/offline", response_model=None)
def save_offline(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    keys = [cell_key(cell.night, cell.room_type) for cell in stored.terms.block]
    errors: list[FieldError] = []
    try:
        parsed = OfflineForm.model_validate(
            {"revision": _str(form, "revision"), "cells": {key: _str(form, f"off:{key}") for key in keys}}
        )
    except ValidationError:
        parsed = OfflineForm(revision="", cells={})
        errors.append(FieldError(f"off:{keys[0]}", "a field is too long"))
    offline = []
    for cell in stored.terms.block:
        key = cell_key(cell.night, cell.room_type)
        count = _count(parsed.cells.get(key, ""), f"off:{key}", errors)
        if count:
            offline.append({"night": cell.night.isoformat(), "room_type": cell.room_type, "rooms": count})

    def change(data: dict[str, Any]) -> None:
        data["offline_rooms"] = offline

    def place(field: str) -> str:
        match = re.search(r"offline_rooms\[(\d+)\]", field)
        if match and int(match[1]) < len(offline):
            return f"off:{offline[int(match[1])]['night']}:{offline[int(match[1])]['room_type']}"
        return f"off:{keys[0]}"

    return _amend(request, session, staff, stored, "offline", form, errors, change, "Off-line rooms", place)


@router.post("/contracts/{contract_id:int}/block-changes/tax", response_model=None)
def save_tax(
    request: Request, session: SessionDep, staff: CheckedStaffDep, contract_id: int, form: FormDep
) -> Response:
    stored = load_contract(session, staff.principal, contract_id)
    locale = babel_locale(get_property(session, staff.principal, stored.record.property_id).locale)
    errors: list[FieldError] = []

    def kinds(name: str) -> list[str]:
        return [value for value in form.getlist(name) if isinstance(value, str)]

    try:
        parsed = TaxForm.model_validate(
            {
                "revision": _str(form, "revision"),
                "use_property": bool(_str(form, "use_property")),
                "name": _str(form, "tax_name"),
                "service_charge_pct": _str(form, "service_charge_pct"),
                "service_charge_kinds": kinds("service_charge_kinds"),
                "taxes": [
                    {
                        "name": _str(form, f"tax{index}_name"),
                        "rate_pct": _str(form, f"tax{index}_rate_pct"),
                        "kinds": kinds(f"tax{index}_kinds"),
                        "on_service_charge": bool(_str(form, f"tax{index}_on_service_charge")),
                    }
                    for index in range(TAX_ROWS)
                ],
            }
        )
    except ValidationError:
        return _amend(
            request, session, staff, stored, "tax", form,
            [FieldError("tax_name", "a field is too long, or a choice is not one of those listed")],
            lambda _: None, "", lambda _: "tax_name",
        )  # fmt: skip
    override: dict[str, Any] | None = None
    rows: list[int] = []
    if not parsed.use_property:
        service_pct = _pct(parsed.service_charge_pct, "service_charge_pct", locale, errors)
        taxes = []
        for index, line in enumerate(parsed.taxes):
            if not (line.name or line.rate_pct or line.kinds):
                continue
            rate = _pct(line.rate_pct, f"tax{index}_rate_pct", locale, errors)
            if not line.name:
                errors.append(FieldError(f"tax{index}_name", "name the tax, as the invoice will show it"))
            if rate is None and not line.rate_pct:
                errors.append(FieldError(f"tax{index}_rate_pct", "enter the tax rate"))
            if not line.kinds:
                errors.append(FieldError(f"tax{index}_kinds", "tick what the tax applies to"))
            rows.append(index)
            taxes.append(
                {
                    "name": line.name,
                    "rate_pct": str(rate),
                    "kinds": [kind.value for kind in line.kinds],
                    "on_service_charge": line.on_service_charge,
                }
            )
        override = {
            "name": parsed.name,
            "service_charge_pct": str(service_pct or 0),
            "service_charge_kinds": [kind.value for kind in parsed.service_charge_kinds],
            "taxes": taxes,
        }

    def change(data: dict[str, Any]) -> None:
        if override is None:
            data.pop("tax_override", None)
        else:
            data["tax_override"] = override

    def place(field: str) -> str:
        match = re.search(r"taxes\[(\d+)\]\.(\w+)", field)
        if match and int(match[1]) < len(rows):
            return f"tax{rows[int(match[1])]}_{'name' if match[2] == 'name' else 'rate_pct'}"
        return "service_charge_pct" if "service_charge" in field else "tax_name"

    return _amend(
        request, session, staff, stored, "tax", form, errors, change, "Tax for this contract", place
    )
