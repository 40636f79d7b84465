"""The contract editor: ``/contracts/new`` and ``/contracts/{id}/edit``.

Every button posts the whole form. Save validates through the contracts service (the same one the API
uses) and redirects to the contract page; the other buttons (grid, rows, presets) re-render the form
with the change and save nothing. With htmx the grid buttons swap only the grid and the other buttons
the form; without JavaScript the page comes back whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
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
from app.services.properties import (
    AccountCreate,
    create_account,
    get_property,
    list_accounts,
    list_properties,
)
from app.web.contract_page import LANGUAGES
from app.web.deps import CheckedStaffDep, Staff, StaffDep
from app.web.editor_forms import (
    ELSEWHERE,
    PRESETS,
    SECTIONS,
    SHORT,
    BlockIndex,
    CellForm,
    ContractForm,
    FieldSpec,
    FormInputError,
    GroupSpec,
    form_errors,
    matching_preset,
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
    default_words: str = ""  # "Default: 80 %", shown under a field of "More terms"
    refresh: bool = False  # a change re-renders the form (the property: its accounts)

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def chosen_text(self) -> str:
        return ",".join(self.chosen)


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
class RoomTypeView:
    index: int
    name: FieldView
    rooms: FieldView  # rooms held every night ("same every night")
    rooms_was: str


@dataclass(frozen=True, slots=True)
class GridView:
    room_types: tuple[FieldView, ...]
    nights: tuple[NightView, ...]
    errors: tuple[str, ...]
    types: tuple[RoomTypeView, ...] = ()
    rate: FieldView | None = None  # the rate every night, every room type
    rate_was: str = ""
    dates_were: str = ""
    nights_open: bool = False


@dataclass(frozen=True, slots=True)
class ErrorLink:
    target: str
    label: str
    message: str


@dataclass(frozen=True, slots=True)
class NewAccountView:
    name: FieldView
    code: FieldView
    language: FieldView
    open: bool
    created: str  # the name of the account just created, for the confirmation


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
    short: SectionView | None = None
    more_open: bool = False
    more_set: int = 0  # how many terms under "More terms" the contract sets
    preset: str = ""  # the preset the terms match, "" for custom terms
    preset_label: str = "Custom terms"
    new_account: NewAccountView | None = None
    block_changes_url: str = ""
    elsewhere: str = ""


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
    if spec.default in (None, ""):
        default_words = ""
    elif spec.kind == "pct" and spec.default != "none":
        default_words = f"Default: {spec.default} %"
    else:
        default_words = f"Default: {spec.default}"
    if spec.kind == "checkboxes":
        chosen = tuple(chosen) or tuple(part for part in value.split(",") if part)
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
        default_words=default_words,
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
    same_rooms = form.same_rooms_shown()
    room_types = tuple(
        RoomTypeView(
            j,
            name,
            _field(
                FieldSpec("", f"Rooms every night, room type {j + 1}", "number"),
                f"block.same.{j}.rooms",
                same_rooms[j],
                errors,
            ),
            same_rooms[j],
        )
        for j, name in enumerate(types)
    )
    rate = form.same_rate_shown()
    block_errors = tuple(errors.get("block", ()))
    night_errors = any(name.startswith(("block.night.", "block.")) and name != "block" for name in errors)
    # Open the grid when the nights differ: a named room type whose nights do not all hold the same rooms,
    # or rooms at different rates.
    has_rooms = any(cell.rooms.strip() for row in form.cells for cell in row)
    varies = has_rooms and not rate
    for j, room_type in enumerate(form.room_types):
        if room_type.strip() and not same_rooms[j] and any(row[j].rooms.strip() for row in form.cells):
            varies = True
    return GridView(
        types,
        tuple(nights),
        block_errors,
        types=room_types,
        rate=_field(
            FieldSpec("", "Group rate, every night and room type", "money"), "block.same.rate", rate, errors
        ),
        rate_was=rate,
        dates_were=f"{form.value('arrival_date').strip()}|{form.value('departure_date').strip()}",
        nights_open=bool(block_errors)
        or night_errors
        or varies
        or (any(n.strip() for n in form.nights) and not form.nights_follow_dates()),
    )


@dataclass(frozen=True, slots=True)
class _Choices:
    properties: tuple[tuple[str, str], ...]
    accounts: tuple[tuple[str, str], ...]
    property_name: str


def _choices(session: Session, principal: Principal, property_id: int | str | None) -> _Choices:
    """The properties the user may write to and the accounts of the chosen one (none chosen: none)."""
    properties, _ = list_properties(session, principal, _LIST_ALL)
    names = {p.id: p.name for p in properties}
    number = _number(property_id)
    accounts = list_accounts(session, principal, number, _LIST_ALL)[0] if number in names else ()
    return _Choices(
        tuple((str(p.id), p.name) for p in properties if principal.can_write),
        tuple((str(a.id), a.name) for a in accounts),
        names.get(number, "") if number is not None else "",
    )


def _number(text: int | str | None) -> int | None:
    if isinstance(text, int):
        return text
    stripped = (text or "").strip()
    return int(stripped) if stripped.isdigit() and len(stripped) < 10 else None


_SHORT_NAMES = {spec.name for spec in SHORT.items}
_NEW_ACCOUNT = "new_account"


def _section(
    section: Any, form: ContractForm, errors: Mapping[str, list[str]], *, is_new: bool
) -> SectionView:
    items: list[FieldView | GroupView] = []
    for item in section.items:
        if isinstance(item, GroupSpec):
            items.append(_group(item, form, errors))
        else:
            items.append(
                _field(
                    item,
                    item.name,
                    form.value(item.name),
                    errors,
                    form.multi.get(item.name, []),
                    readonly=item.name == "id" and not is_new,
                )
            )
    return SectionView(section.key, section.title, section.intro, tuple(items), section.preset_group)


def editor_page(
    form: ContractForm,
    choices: _Choices,
    *,
    action_url: str,
    cancel_url: str,
    is_new: bool,
    errors: Mapping[str, list[str]] | None = None,
    conflict: str = "",
    new_account: Mapping[str, str] | None = None,
    account_errors: Mapping[str, list[str]] | None = None,
    account_created: str = "",
    elsewhere: str = "",
) -> EditorPage:
    errors = errors or {}
    envelope: list[FieldView] = []
    if is_new:
        envelope.append(
            replace(
                _field(
                    FieldSpec("property_id", "Property", "select", required=True),
                    "property_id",
                    form.property_id,
                    errors,
                    choices=choices.properties,
                ),
                refresh=True,
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
    account_hint = (
        "The organisation that books, as the hotel knows it."
        if choices.accounts or not is_new or form.property_id
        else "Choose the property first: its accounts are listed here."
    )
    envelope.append(
        replace(
            _field(
                FieldSpec("account_id", "Account", "select", hint=account_hint),
                "account_id",
                form.account_id,
                errors,
                choices=choices.accounts,
            ),
            default_label="— none —",
        )
    )
    short = _section(SHORT, form, errors, is_new=is_new)
    sections = [
        _section(section, form, errors, is_new=is_new) for section in SECTIONS if section is not SHORT
    ]
    grid = _grid(form, errors)
    labels = _labels([short, *sections], grid, envelope)
    links = tuple(
        ErrorLink(
            f"#{_id(name)}" if name else "#editor-errors", labels.get(name, name or "Contract"), message
        )
        for name, messages in errors.items()
        for message in messages
    )
    more_set = sum(
        1
        for section in sections
        for item in section.items
        if (item.rows if isinstance(item, GroupView) else (item.value.strip() or item.chosen))
        and item.name not in ("id", "status")
    )
    preset = matching_preset(form)
    account_errors = account_errors or {}
    typed = new_account or {}
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
        short=short,
        more_open=any(_in_more(name) for name in errors),
        more_set=more_set,
        preset=preset,
        preset_label=PRESETS[preset].label if preset else "Custom terms",
        new_account=NewAccountView(
            replace(
                _field(
                    FieldSpec("", "Account name"),
                    f"{_NEW_ACCOUNT}.name",
                    typed.get("name", ""),
                    account_errors,
                ),
                required="required",
            ),
            _field(
                FieldSpec(
                    "", "Account code", hint="The hotel's code for it; it becomes the group's account code."
                ),
                f"{_NEW_ACCOUNT}.code",
                typed.get("code", ""),
                account_errors,
            ),
            replace(
                _field(
                    FieldSpec("", "Language of its documents", "select"),
                    f"{_NEW_ACCOUNT}.language",
                    typed.get("language", ""),
                    account_errors,
                    choices=tuple(LANGUAGES.items()),
                ),
                default_label="The property's language",
            ),
            open=bool(account_errors),
            created=account_created,
        ),
        elsewhere=elsewhere,
    )


def _in_more(name: str) -> bool:
    """Whether a form field sits under "More terms" (not the short path, the envelope or the grid)."""
    return (
        bool(name)
        and name not in _SHORT_NAMES
        and name not in ("property_id", "account_id", "block")
        and not (name.startswith("block."))
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
    new_account: dict[str, str]


async def posted_form(request: Request) -> Posted:
    data = await request.form()
    action = data.get("action")
    preset = data.get("preset")

    def text(name: str) -> str:
        value = data.get(name)
        return value.strip()[:500] if isinstance(value, str) else ""

    return Posted(
        ContractForm.from_posted(data).settle(),
        action if isinstance(action, str) else "save",
        preset if isinstance(preset, str) else "",
        "hx-request" in request.headers,
        {key: text(f"{_NEW_ACCOUNT}.{key}") for key in ("name", "code", "language")},
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


@dataclass(frozen=True, slots=True)
class _Hotel:
    currency: str | None
    locale: str


def _hotel(session: Session, principal: Principal, property_id: str | int | None) -> _Hotel:
    number = _number(property_id)
    try:
        found = None if number is None else get_property(session, principal, number)
    except NotFoundError:
        found = None
    return _Hotel(None, "en") if found is None else _Hotel(found.currency, found.locale)


_GRID_ACTIONS = ("add_night", "remove_night", "add_type", "remove_type", "copy_night", "nights_from_dates")


def _after_action(request: Request, staff: Staff, posted: Posted, page: EditorPage, title: str) -> Response:
    fragment = None
    if posted.is_htmx:
        fragment = (
            "_editor_grid.html" if posted.action.split(":")[0] in _GRID_ACTIONS else "_editor_form.html"
        )
    return _render(request, staff, page, title, fragment=fragment)


def _with_account(
    session: Session,
    principal: Principal,
    form: ContractForm,
    typed: Mapping[str, str],
    property_id: int | None,
) -> tuple[ContractForm, dict[str, list[str]], str]:
    """The form after "Add the account": the account made for the chosen property and chosen in the
    form (its code becomes the group's account code), or the errors beside the new account's fields."""
    name = f"{_NEW_ACCOUNT}.name"
    if property_id is None:
        return form, {name: ["choose the property first: the account is the property's"]}, ""
    if not typed.get("name"):
        return form, {name: ["give the account's name"]}, ""
    language = typed.get("language") or _hotel(session, principal, property_id).locale
    try:
        data = AccountCreate(property_id=property_id, name=typed["name"], language=language)
    except ValidationError as error:
        where = {"name": name, "language": f"{_NEW_ACCOUNT}.language"}
        found: dict[str, list[str]] = {}
        for detail in error.errors():
            field = str(detail["loc"][0]) if detail["loc"] else "name"
            found.setdefault(where.get(field, name), []).append(
                "too long" if "too_long" in detail["type"] else "not accepted: check it"
            )
        return form, found, ""
    try:
        record = create_account(session, principal, data)
    except ConflictError:
        session.rollback()
        return form, {name: ["the property already has an account of that name: choose it in the list"]}, ""
    session.commit()
    values = dict(form.values)
    if typed.get("code"):
        values["group.account"] = typed["code"][:120]
    return form.model_copy(update={"account_id": str(record.id), "values": values}), {}, record.name


def _elsewhere(terms: Mapping[str, Any] | None) -> str:
    if terms is None:
        return (
            "Block reductions the group notifies and off-line rooms the hotel cannot supply are recorded, "
            "once the contract is saved, on its block-changes page."
        )
    reductions = len(terms.get("reductions") or ())
    offline = sum(int(cell.get("rooms", 0)) for cell in terms.get("offline_rooms") or ())
    said = [
        "no block reduction"
        if not reductions
        else f"{reductions} block reduction{'s' if reductions > 1 else ''}",
        "no off-line room" if not offline else f"{offline} off-line room night{'s' if offline > 1 else ''}",
    ]
    return f"This contract has {said[0]} and {said[1]} recorded. Record them on the block-changes page."


#: What a tax rule holds that the editor's tax rows do not show: kept from the stored rule of the same
#: row and name, so that saving in the editor never drops a condition, a source or a note.
HIDDEN_TAX_RULE_FIELDS = ("conditions", "sources", "uncertain", "note")


def _keep_elsewhere(write: dict[str, Any], terms: Mapping[str, Any]) -> None:
    """Reductions and off-line rooms are not edited here: the stored ones are kept as they are; so are
    the parts of the contract's own tax rules that its tax rows do not show."""
    for name in ELSEWHERE:
        if terms.get(name):
            write["contract"][name] = terms[name]
    stored = (terms.get("tax_override") or {}).get("taxes") or ()
    written = (write["contract"].get("tax_override") or {}).get("taxes") or ()
    for rule, before in zip(written, stored, strict=False):
        if isinstance(rule, dict) and isinstance(before, dict) and rule.get("name") == before.get("name"):
            for field in HIDDEN_TAX_RULE_FIELDS:
                if field in before and field not in rule:
                    rule[field] = before[field]


def _saved_url(contract_id: int | None, version: int, added: bool) -> str:
    return f"/contracts/{contract_id}?terms_saved={version}" + ("" if added else "&unchanged=1")


@router.get("/contracts/new", response_class=HTMLResponse)
def new_contract(request: Request, session: SessionDep, staff: StaffDep) -> Response:
    # Two room types to fill (a second left blank is ignored): the common contract needs no extra click.
    form = ContractForm(values={"status": "definite"}, room_types=["", ""], cells=[[CellForm(), CellForm()]])
    properties = _choices(session, staff.principal, None).properties
    if len(properties) == 1:
        form = form.model_copy(update={"property_id": properties[0][0]})
    page = editor_page(
        form,
        _choices(session, staff.principal, form.property_id),
        action_url="/contracts/new",
        cancel_url="/",
        is_new=True,
        elsewhere=_elsewhere(None),
    )
    return _render(request, staff, page, "New contract")


@router.post("/contracts/new", response_class=HTMLResponse)
def create_contract(
    request: Request, session: SessionDep, staff: CheckedStaffDep, posted: PostedDep
) -> Response:
    form = posted.form
    urls: dict[str, Any] = {
        "action_url": "/contracts/new",
        "cancel_url": "/",
        "is_new": True,
        "elsewhere": _elsewhere(None),
    }
    if posted.action != "save":
        extra: dict[str, Any] = {"new_account": posted.new_account}
        if posted.action == "add_account":
            number = _number(form.property_id)
            form, account_errors, created = _with_account(
                session, staff.principal, form, posted.new_account, number
            )
            extra = {
                "new_account": posted.new_account if account_errors else {},
                "account_errors": account_errors,
            }
            extra["account_created"] = created
        form = _known_account(form.apply(posted.action, posted.preset), session, staff.principal)
        page = editor_page(form, _choices(session, staff.principal, form.property_id), **urls, **extra)
        return _after_action(request, staff, posted, page, "New contract")
    choices = _choices(session, staff.principal, form.property_id)
    index: BlockIndex | None = None
    hotel = _hotel(session, staff.principal, form.property_id)
    try:
        write, index = form.to_write(is_new=True, property_currency=hotel.currency, locale=hotel.locale)
        stored = contract_service.create_contract(session, staff.principal, write)
    except FormInputError as error:
        errors = _with_service_errors(
            error, lambda write: contract_service.create_contract(session, staff.principal, write), session
        )
        page = editor_page(form, choices, errors=errors, **urls)
        return _render(request, staff, page, "New contract", status=422)
    except (InvalidInputError, ConflictError) as error:
        session.rollback()
        page = editor_page(form, choices, errors=form_errors(_or_whole(error), index), **urls)
        return _render(request, staff, page, "New contract", status=error.status)
    session.commit()
    return RedirectResponse(
        _saved_url(stored.record.id, stored.record.current_version, True), status_code=303
    )


def _known_account(form: ContractForm, session: Session, principal: Principal) -> ContractForm:
    """The form with no account chosen when the chosen one is not the chosen property's."""
    if not form.account_id:
        return form
    accounts = {value for value, _ in _choices(session, principal, form.property_id).accounts}
    return form if form.account_id in accounts else form.model_copy(update={"account_id": ""})


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
        locale=stored.terms.property.locale,
    )
    choices = _choices(session, staff.principal, record.property_id)
    page = editor_page(
        form,
        choices,
        action_url=f"/contracts/{contract_id}/edit",
        cancel_url=f"/contracts/{contract_id}",
        is_new=False,
        elsewhere=_elsewhere(stored.version.terms),
    )
    page = replace(page, block_changes_url=f"/contracts/{contract_id}/block-changes")
    return _render(
        request, staff, page, f"Edit {record.name or record.reference}", locale=stored.terms.property.locale
    )


@router.post("/contracts/{contract_id}/edit", response_class=HTMLResponse)
def update_contract(
    contract_id: int, request: Request, session: SessionDep, staff: CheckedStaffDep, posted: PostedDep
) -> Response:
    stored = contract_service.load_contract(session, staff.principal, contract_id)
    record = stored.record
    staff.principal.require_write(record.property_id, f"contract {contract_id}")
    choices = _choices(session, staff.principal, record.property_id)
    title = f"Edit {record.name or record.reference}"
    terms = stored.version.terms
    urls: dict[str, Any] = {
        "action_url": f"/contracts/{contract_id}/edit",
        "cancel_url": f"/contracts/{contract_id}",
        "is_new": False,
        "elsewhere": _elsewhere(terms),
    }
    link = f"/contracts/{contract_id}/block-changes"
    form = posted.form
    # The contract's id and property are the stored ones whatever was posted.
    form = form.model_copy(
        update={"values": {**form.values, "id": record.reference}, "property_id": str(record.property_id)}
    )
    if posted.action != "save":
        extra: dict[str, Any] = {"new_account": posted.new_account}
        if posted.action == "add_account":
            form, account_errors, created = _with_account(
                session, staff.principal, form, posted.new_account, record.property_id
            )
            extra = {
                "new_account": posted.new_account if account_errors else {},
                "account_errors": account_errors,
                "account_created": created,
            }
            choices = _choices(session, staff.principal, record.property_id)
        page = editor_page(form.apply(posted.action, posted.preset), choices, **urls, **extra)
        return _after_action(request, staff, posted, replace(page, block_changes_url=link), title)
    index: BlockIndex | None = None
    hotel = _hotel(session, staff.principal, record.property_id)
    before = record.current_version
    try:
        write, index = form.to_write(is_new=False, property_currency=hotel.currency, locale=hotel.locale)
        _keep_elsewhere(write, terms)
        revision = int(form.revision) if form.revision.strip().isdigit() else -1
        saved = contract_service.update_contract(session, staff.principal, contract_id, revision, write)
    except FormInputError as error:
        _keep_elsewhere(error.write, terms)
        errors = _with_service_errors(
            error,
            lambda write: contract_service.update_contract(
                session, staff.principal, contract_id, record.revision, write
            ),
            session,
        )
        page = editor_page(form, choices, errors=errors, **urls)
        return _render(request, staff, replace(page, block_changes_url=link), title, status=422)
    except (InvalidInputError, ConflictError) as error:
        session.rollback()
        page = editor_page(form, choices, errors=form_errors(_or_whole(error), index), **urls)
        return _render(request, staff, replace(page, block_changes_url=link), title, status=error.status)
    except PreconditionFailedError:
        session.rollback()
        page = editor_page(form, choices, conflict=CONFLICT_MESSAGE, **urls)
        return _render(request, staff, replace(page, block_changes_url=link), title, status=409)
    session.commit()
    after = saved.record.current_version
    return RedirectResponse(_saved_url(contract_id, after, after != before), status_code=303)


def _with_service_errors(
    error: FormInputError, check: Callable[[dict[str, Any]], object], session: Session
) -> dict[str, list[str]]:
    """The unreadable numbers' errors and what the service says of the rest of the form (nothing is
    stored: the service's work is rolled back), so that one Save shows every problem."""
    found: dict[str, list[str]] = {}
    try:
        check(error.write)
    except (InvalidInputError, ConflictError, PreconditionFailedError) as problem:
        if not isinstance(problem, PreconditionFailedError):
            found = form_errors(_or_whole(problem), error.index)
    finally:
        session.rollback()
    return {**{k: v for k, v in found.items() if k not in error.errors and k}, **error.errors}


def _or_whole(error: InvalidInputError | ConflictError) -> tuple[Problem, ...]:
    return error.problems or (Problem("", error.detail),)
