"""The contract editor: ``/contracts/new`` and ``/contracts/{id}/edit``.

Every button posts the whole form. Save validates through the contracts service (the same one the API
uses) and redirects to the contract page; the other buttons (grid, rows, presets) re-render the form
with the change and save nothing. With htmx the grid buttons swap only the grid and the other buttons
the form; without JavaScript the page comes back whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.api.deps import SessionDep
from app.persistence import repositories as repo
from app.services import contracts as contract_service
from app.services.auth import Principal
from app.services.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    Problem,
)
from app.services.properties import get_property, list_accounts, list_properties
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.editor_forms import (
    PRESETS,
    SECTIONS,
    AdvancedSpec,
    BlockIndex,
    ContractForm,
    FieldSpec,
    GroupSpec,
    form_errors,
)
from app.web.templating import page_context, templates

router = APIRouter(include_in_schema=False)

CONFLICT_MESSAGE = (
    "Someone changed this contract after you opened it. Nothing was saved. Open the contract in a new tab "
    "to see their version, then reload this editor and make your change again."
)
_LIST_ALL = repo.Page(limit=500, offset=0)


# --- view models ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    id: str
    label: str
    kind: str
    value: str
    chosen: tuple[str, ...]
    choices: tuple[tuple[str, str], ...]
    placeholder: str
    hint: str
    default_label: str
    errors: tuple[str, ...]
    required: str = ""
    readonly: bool = False

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"


@dataclass(frozen=True, slots=True)
class RowView:
    index: int
    fields: tuple[FieldView, ...]
    errors: tuple[str, ...]
    remove_action: str


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    id: str
    label: str
    hint: str
    when_empty: str
    columns: tuple[str, ...]
    rows: tuple[RowView, ...]
    errors: tuple[str, ...]
    add_action: str
    kind: str = "group"


@dataclass(frozen=True, slots=True)
class SectionView:
    key: str
    title: str
    intro: str
    items: tuple[FieldView | GroupView, ...]
    has_presets: bool


@dataclass(frozen=True, slots=True)
class CellView:
    rooms: FieldView
    rate: FieldView


@dataclass(frozen=True, slots=True)
class NightView:
    index: int
    night: FieldView
    cells: tuple[CellView, ...]


@dataclass(frozen=True, slots=True)
class GridView:
    room_types: tuple[FieldView, ...]
    nights: tuple[NightView, ...]
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ErrorLink:
    target: str
    label: str
    message: str


@dataclass(frozen=True, slots=True)
class EditorPage:
    action_url: str
    is_new: bool
    cancel_url: str
    revision: str
    envelope: tuple[FieldView, ...]
    sections: tuple[SectionView, ...]
    grid: GridView
    presets: tuple[tuple[str, str], ...]
    error_links: tuple[ErrorLink, ...]
    conflict: str


def _id(name: str) -> str:
    return "f-" + name.replace(".", "-")


def _field(
    spec: FieldSpec,
    name: str,
    value: str,
    errors: Mapping[str, list[str]],
    chosen: Sequence[str] = (),
    *,
    choices: tuple[tuple[str, str], ...] | None = None,
    readonly: bool = False,
) -> FieldView:
    default = spec.default or ""
    if spec.kind in ("select", "tristate", "checkboxes"):
        placeholder = ""
    elif spec.default not in (None, "", "none"):
        placeholder = f"default: {default}"
    else:
        placeholder = ""
    if spec.kind == "tristate":
        choices = (("true", "yes"), ("false", "no"))
    return FieldView(
        name=name,
        id=_id(name),
        label=spec.label,
        kind=spec.kind,
        value=value,
        chosen=tuple(chosen),
        choices=spec.choices if choices is None else choices,
        placeholder=placeholder,
        hint=spec.hint,
        default_label=f"Default ({default})" if default else "— not set —",
        errors=tuple(errors.get(name, ())),
        required=_required_text(spec, name),
        readonly=readonly,
    )


def _required_text(spec: FieldSpec, name: str) -> str:
    """Top-level terms are required; a clause's own required fields only when the clause is used."""
    if not spec.required:
        return ""
    parts = name.split(".")
    if len(parts) == 1 or parts[0] in ("group", "block") or any(part.isdigit() for part in parts):
        return "required"
    return "needed for this clause"


def _group(spec: GroupSpec, form: ContractForm, errors: Mapping[str, list[str]]) -> GroupView:
    rows = []
    for index, row in enumerate(form.rows.get(spec.name, [])):
        fields = tuple(
            _field(f, f"{spec.name}.{index}.{f.name}", row.get(f.name, ""), errors) for f in spec.fields
        )
        rows.append(
            RowView(
                index,
                fields,
                tuple(errors.get(f"{spec.name}.{index}", ())),
                f"remove_row:{spec.name}:{index}",
            )
        )
    return GroupView(
        name=spec.name,
        id=_id(spec.name),
        label=spec.label,
        hint=spec.hint,
        when_empty=spec.when_empty,
        columns=tuple(f.label for f in spec.fields),
        rows=tuple(rows),
        errors=tuple(errors.get(spec.name, ())),
        add_action=f"add_row:{spec.name}",
    )


def _advanced(spec: AdvancedSpec, form: ContractForm, errors: Mapping[str, list[str]]) -> FieldView:
    return FieldView(
        name=spec.name,
        id=_id(spec.name),
        label=f"{spec.label} (advanced: JSON or YAML)",
        kind="textarea",
        value=form.value(spec.name),
        chosen=(),
        choices=(),
        placeholder=f"blank: {spec.when_empty}",
        hint=spec.hint,
        default_label="",
        errors=tuple(errors.get(spec.name, ())),
    )


_GRID_ROOMS = FieldSpec("rooms", "Rooms", "number")
_GRID_RATE = FieldSpec("rate", "Rate", "money")
_GRID_NIGHT = FieldSpec("night", "Night", "date", required=True)
_GRID_TYPE = FieldSpec("room_type", "Room type", required=True)


def _grid(form: ContractForm, errors: Mapping[str, list[str]]) -> GridView:
    types = tuple(
        _field(
            FieldSpec("", f"Room type {j + 1}", required=True),
            f"block.type.{j}",
            room_type,
            errors,
        )
        for j, room_type in enumerate(form.room_types)
    )
    nights = []
    for i, night in enumerate(form.nights):
        cells = tuple(
            CellView(
                _field(
                    FieldSpec("", f"Rooms, night {i + 1}, room type {j + 1}", "number"),
                    f"block.{i}.{j}.rooms",
                    cell.rooms,
                    errors,
                ),
                _field(
                    FieldSpec("", f"Rate, night {i + 1}, room type {j + 1}", "money"),
                    f"block.{i}.{j}.rate",
                    cell.rate,
                    errors,
                ),
            )
            for j, cell in enumerate(form.cells[i])
        )
        nights.append(
            NightView(
                i,
                _field(
                    FieldSpec("", f"Night {i + 1}", "date", required=True), f"block.night.{i}", night, errors
                ),
                cells,
            )
        )
    return GridView(types, tuple(nights), tuple(errors.get("block", ())))


@dataclass(frozen=True, slots=True)
class _Choices:
    properties: tuple[tuple[str, str], ...]
    accounts: tuple[tuple[str, str], ...]
    property_name: str


def _choices(session: Session, principal: Principal, property_id: int | None) -> _Choices:
    properties, _ = list_properties(session, principal, _LIST_ALL)
    names = {p.id: p.name for p in properties}
    accounts, _ = list_accounts(session, principal, property_id, _LIST_ALL)
    return _Choices(
        tuple((str(p.id), p.name) for p in properties if principal.can_write),
        tuple(
            (str(a.id), a.name if property_id is not None else f"{a.name} ({names.get(a.property_id, '')})")
            for a in accounts
        ),
        names.get(property_id, "") if property_id is not None else "",
    )


def editor_page(
    form: ContractForm,
    choices: _Choices,
    *,
    action_url: str,
    cancel_url: str,
    is_new: bool,
    errors: Mapping[str, list[str]] | None = None,
    conflict: str = "",
) -> EditorPage:
    errors = errors or {}
    envelope: list[FieldView] = []
    if is_new:
        envelope.append(
            _field(
                FieldSpec("property_id", "Property", "select", required=True),
                "property_id",
                form.property_id,
                errors,
                choices=choices.properties,
            )
        )
    else:
        envelope.append(
            _field(
                FieldSpec("property_id", "Property"),
                "property_name",
                choices.property_name,
                errors,
                readonly=True,
            )
        )
    envelope.append(
        _field(
            FieldSpec(
                "account_id", "Account", "select", hint="The organisation that books, as the hotel knows it."
            ),
            "account_id",
            form.account_id,
            errors,
            choices=choices.accounts,
        )
    )
    sections = []
    for section in SECTIONS:
        items: list[FieldView | GroupView] = []
        for item in section.items:
            if isinstance(item, GroupSpec):
                items.append(_group(item, form, errors))
            elif isinstance(item, AdvancedSpec):
                items.append(_advanced(item, form, errors))
            else:
                readonly = item.name == "id" and not is_new
                items.append(
                    _field(
                        item,
                        item.name,
                        form.value(item.name),
                        errors,
                        form.multi.get(item.name, []),
                        readonly=readonly,
                    )
                )
        sections.append(
            SectionView(section.key, section.title, section.intro, tuple(items), section.preset_group)
        )
    grid = _grid(form, errors)
    labels = _labels(sections, grid, envelope)
    links = tuple(
        ErrorLink(
            f"#{_id(name)}" if name else "#editor-errors", labels.get(name, name or "Contract"), message
        )
        for name, messages in errors.items()
        for message in messages
    )
    return EditorPage(
        action_url=action_url,
        is_new=is_new,
        cancel_url=cancel_url,
        revision=form.revision,
        envelope=tuple(envelope),
        sections=tuple(sections),
        grid=grid,
        presets=tuple((key, preset.label) for key, preset in PRESETS.items()),
        error_links=links,
        conflict=conflict,
    )


def _labels(sections: Sequence[SectionView], grid: GridView, envelope: Sequence[FieldView]) -> dict[str, str]:
    labels: dict[str, str] = {field.name: field.label for field in envelope}
    labels["block"] = "Room block"
    for section in sections:
        for item in section.items:
            if isinstance(item, GroupView):
                labels[item.name] = item.label
                for row in item.rows:
                    labels[f"{item.name}.{row.index}"] = f"{item.label}, row {row.index + 1}"
                    for field in row.fields:
                        labels[field.name] = f"{item.label}, row {row.index + 1}: {field.label}"
            else:
                labels[item.name] = item.label
    for room_type in grid.room_types:
        labels[room_type.name] = room_type.label
    for night in grid.nights:
        labels[night.night.name] = night.night.label
        for cell in night.cells:
            labels[cell.rooms.name] = cell.rooms.label
            labels[cell.rate.name] = cell.rate.label
    return labels


# --- routes ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posted:
    form: ContractForm
    action: str
    preset: str
    is_htmx: bool


async def posted_form(request: Request) -> Posted:
    data = await request.form()
    action = data.get("action")
    preset = data.get("preset")
    return Posted(
        ContractForm.from_posted(data),
        action if isinstance(action, str) else "save",
        preset if isinstance(preset, str) else "",
        "hx-request" in request.headers,
    )


PostedDep = Annotated[Posted, Depends(posted_form)]


def _render(
    request: Request,
    staff: Staff,
    page: EditorPage,
    title: str,
    *,
    locale: str | None = None,
    status: int = 200,
    fragment: str | None = None,
) -> Response:
    context = page_context(title=title, staff=staff, page=page, csrf_token=staff.csrf_token)
    if locale:
        context["locale"] = locale
    name = fragment or "editor.html"
    return templates.TemplateResponse(request, name, context, status_code=status)


def _property_currency(session: Session, principal: Principal, property_id: str | int | None) -> str | None:
    try:
        number = int(property_id) if property_id not in (None, "") else None
        return None if number is None else get_property(session, principal, number).currency
    except (ValueError, NotFoundError):
        return None


def _after_action(request: Request, staff: Staff, posted: Posted, page: EditorPage, title: str) -> Response:
    fragment = None
    if posted.is_htmx:
        grid_actions = (
            "add_night",
            "remove_night",
            "add_type",
            "remove_type",
            "copy_night",
            "nights_from_dates",
        )
        fragment = "_editor_grid.html" if posted.action.split(":")[0] in grid_actions else "_editor_form.html"
    return _render(request, staff, page, title, fragment=fragment)


@router.get("/contracts/new", response_class=HTMLResponse)
def new_contract(request: Request, session: SessionDep, staff: StaffDep) -> Response:
    form = ContractForm(values={"status": "definite"})
    properties = _choices(session, staff.principal, None).properties
    if len(properties) == 1:
        form = form.model_copy(update={"property_id": properties[0][0]})
    page = editor_page(
        form,
        _choices(session, staff.principal, None),
        action_url="/contracts/new",
        cancel_url="/",
        is_new=True,
    )
    return _render(request, staff, page, "New contract")


@router.post("/contracts/new", response_class=HTMLResponse)
def create_contract(
    request: Request, session: SessionDep, staff: CheckedStaffDep, posted: PostedDep
) -> Response:
    choices = _choices(session, staff.principal, None)
    form = posted.form
    if posted.action != "save":
        form = form.apply(posted.action, posted.preset)
        page = editor_page(form, choices, action_url="/contracts/new", cancel_url="/", is_new=True)
        return _after_action(request, staff, posted, page, "New contract")
    index: BlockIndex | None = None
    try:
        write, index = form.to_write(
            is_new=True, property_currency=_property_currency(session, staff.principal, form.property_id)
        )
        stored = contract_service.create_contract(session, staff.principal, write)
    except (InvalidInputError, ConflictError) as error:
        session.rollback()
        page = editor_page(
            form,
            choices,
            action_url="/contracts/new",
            cancel_url="/",
            is_new=True,
            errors=form_errors(_or_whole(error), index),
        )
        return _render(request, staff, page, "New contract", status=error.status)
    session.commit()
    return RedirectResponse(f"/contracts/{stored.record.id}", status_code=303)


@router.get("/contracts/{contract_id}/edit", response_class=HTMLResponse)
def edit_contract(contract_id: int, request: Request, session: SessionDep, staff: StaffDep) -> Response:
    stored = contract_service.load_contract(session, staff.principal, contract_id)
    record = stored.record
    form = ContractForm.from_terms(
        stored.version.terms,
        property_id=record.property_id,
        account_id=record.account_id,
        status=record.status,
        revision=record.revision,
    )
    choices = _choices(session, staff.principal, record.property_id)
    page = editor_page(
        form,
        choices,
        action_url=f"/contracts/{contract_id}/edit",
        cancel_url=f"/contracts/{contract_id}",
        is_new=False,
    )
    return _render(
        request, staff, page, f"Edit {record.name or record.reference}", locale=stored.terms.property.locale
    )


@router.post("/contracts/{contract_id}/edit", response_class=HTMLResponse)
def update_contract(
    contract_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep, posted: PostedDep
) -> Response:
    record = contract_service.get_contract(session, staff.principal, contract_id)
    staff.principal.require_write(record.property_id, f"contract {contract_id}")
    choices = _choices(session, staff.principal, record.property_id)
    title = f"Edit {record.name or record.reference}"
    urls: dict[str, Any] = {
        "action_url": f"/contracts/{contract_id}/edit",
        "cancel_url": f"/contracts/{contract_id}",
        "is_new": False,
    }
    form = posted.form
    # The contract's id is shown read-only; it is the stored one whatever was posted.
    form = form.model_copy(update={"values": {**form.values, "id": record.reference}})
    if posted.action != "save":
        page = editor_page(form.apply(posted.action, posted.preset), choices, **urls)
        return _after_action(request, staff, posted, page, title)
    index: BlockIndex | None = None
    try:
        write, index = form.to_write(
            is_new=False, property_currency=_property_currency(session, staff.principal, record.property_id)
        )
        revision = int(form.revision) if form.revision.strip().isdigit() else -1
        contract_service.update_contract(session, staff.principal, contract_id, revision, write)
    except (InvalidInputError, ConflictError) as error:
        session.rollback()
        page = editor_page(form, choices, errors=form_errors(_or_whole(error), index), **urls)
        return _render(request, staff, page, title, status=error.status)
    except PreconditionFailedError:
        session.rollback()
        page = editor_page(form, choices, conflict=CONFLICT_MESSAGE, **urls)
        return _render(request, staff, page, title, status=409)
    session.commit()
    return RedirectResponse(f"/contracts/{contract_id}", status_code=303)


def _or_whole(error: InvalidInputError | ConflictError) -> tuple[Problem, ...]:
    return error.problems or (Problem("", error.detail),)
