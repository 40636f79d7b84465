"""The contract editor's form model: form field names are paths in the contract JSON.

A field named ``attrition.performance_pct`` is ``contract["attrition"]["performance_pct"]``; a repeated
group such as ``reduction_rights`` has rows ``reduction_rights.0.max_pct``; the block grid has nights
``block.night.0``, room types ``block.type.0`` and cells ``block.0.1.rooms`` / ``block.0.1.rate`` (night 0,
room type 1). ``ContractForm.to_write`` turns the posted text into the body of ``POST/PUT
/api/v1/contracts``; a field left blank is left out, so the term stays unset and the assessment still lists
its default as an assumption. The service validates; its error paths (``contract.block[3].rate``) are
mapped back to the form field that holds the input (``FieldErrors``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from app.engine.contract import (
    AttritionClause,
    CancellationClause,
    CancellationComponent,
    CancellationComponentKind,
    CompTerms,
    Contract,
    CreditedSources,
    DamagesKind,
    FnbCategory,
    FnbClause,
    GroupInfo,
    RebateTerms,
    RebookingTerm,
    ReductionRight,
    RentalScale,
    RoundingTerm,
    TaxProfile,
    TaxRule,
)
from app.engine.limits import MAX_NIGHTS, parse_iso_date
from app.engine.money import Rounding
from app.engine.words import words
from app.services.contracts import ContractStatus
from app.services.errors import Problem
from app.web.numbers import number_example, read_number

#: Form fields read (beyond them a form is cut short); above the contract's own limits, so that a form
#: over a limit reaches validation and is refused naming it.
MAX_ROOM_TYPES = 40
MAX_ROWS = 100

# --- what the form holds ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input. ``name`` is its path in the contract JSON (or in the envelope when ``envelope``)."""

    name: str
    label: str
    kind: str = "text"  # text, number, date, money, pct, select, tristate, checkboxes, textarea
    choices: tuple[tuple[str, str], ...] = ()
    default: str | None = None  # the engine's default, as shown; None: no default
    hint: str = ""
    required: bool = False
    envelope: bool = False


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """Repeated rows (a list in the contract JSON); ``fields`` are named relative to a row."""

    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    when_empty: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class SectionSpec:
    key: str
    title: str
    intro: str
    items: tuple[FieldSpec | GroupSpec, ...]
    preset_group: bool = False


def _default(model: type[BaseModel], name: str) -> str | None:
    info: FieldInfo = model.model_fields[name]
    if info.is_required():
        return None
    return default_text(info.get_default(call_default_factory=True))


def default_text(value: Any) -> str:
    """An engine default as a person reads it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, StrEnum):
        return words(value.value)
    if isinstance(value, frozenset | tuple | list):
        if not value:
            return "none"
        if all(isinstance(item, BaseModel) for item in value):
            return "; ".join(_model_text(item) for item in value)
        return (
            ", ".join(sorted(default_text(item) for item in value))
            if isinstance(value, frozenset)
            else (", ".join(default_text(item) for item in value))
        )
    if isinstance(value, BaseModel):
        return _model_text(value)
    return str(value)


def _model_text(value: BaseModel) -> str:
    if isinstance(value, CancellationComponent):
        return f"{default_text(value.kind)} at {value.pct} %"
    if isinstance(value, CreditedSources):
        return "all but comps"
    return type(value).__name__


def _choices(enum: type[StrEnum]) -> tuple[tuple[str, str], ...]:
    return tuple((member.value, words(member.value)) for member in enum)


def _f(
    model: type[BaseModel], prefix: str, name: str, label: str, kind: str = "text", **extra: Any
) -> FieldSpec:
    """A field of ``model`` at ``prefix.name`` with the engine's default and, for enums, its choices."""
    info = model.model_fields[name]
    annotation = info.annotation
    choices = extra.pop("choices", ())
    if not choices and isinstance(annotation, type) and issubclass(annotation, StrEnum):
        choices = _choices(annotation)
        kind = "select"
    return FieldSpec(
        f"{prefix}.{name}" if prefix else name,
        label,
        kind,
        choices=choices,
        default=_default(model, name),
        required=info.is_required(),
        **extra,
    )


def _bool(model: type[BaseModel], prefix: str, name: str, label: str) -> FieldSpec:
    return _f(model, prefix, name, label, "tristate")


_STATUS = FieldSpec(
    "status", "Status", "select", choices=_choices(ContractStatus), default="definite", envelope=True
)
_NOTE = FieldSpec(
    "note", "Why this version", hint="Kept with the version, e.g. “signed addendum 2”.", envelope=True
)

# The envelope's property and account selects are built per request (they list the user's properties).
#: The short path: what a plain contract needs, at the top of the page (the room block is its grid).
SHORT = SectionSpec(
    "short",
    "The contract",
    "",
    (
        _f(GroupInfo, "group", "name", "Group name"),
        _f(Contract, "", "arrival_date", "Arrival", "date"),
        _f(Contract, "", "departure_date", "Departure", "date", hint="The last night is the night before."),
        _f(AttritionClause, "attrition", "performance_pct", "Performance (% of the block to use)", "pct"),
        _f(AttritionClause, "attrition", "damages_pct", "Damages (% of the lost rate)", "pct"),
        _f(AttritionClause, "attrition", "evaluation_mode", "Evaluation"),
    ),
    preset_group=True,
)

IDENTITY = SectionSpec(
    "identity",
    "Contract id, account code, currency and dates",
    "",
    (
        FieldSpec(
            "id",
            "Contract id",
            hint="Lower-case letters, digits and dashes; blank: made from the group name and arrival year.",
        ),
        _f(Contract, "", "name", "Contract name"),
        _f(GroupInfo, "group", "account", "Group's account code"),
        _f(GroupInfo, "group", "segment", "Segment"),
        FieldSpec("currency", "Currency", hint="ISO code such as USD; blank: the property's currency."),
        _f(Contract, "", "signed_date", "Signed on", "date"),
        _f(Contract, "", "cutoff_date", "Cut-off date", "date", hint="Unreserved rooms return to sale."),
        _f(Contract, "", "payment_terms_days", "Payment due after (days)", "number"),
        _f(Contract, "", "money_rounding", "Money rounding", choices=_choices(Rounding), kind="select"),
        _f(RoundingTerm, "rounding", "increment", "Round amounts to"),
        _f(
            RoundingTerm,
            "rounding",
            "step",
            "Rounding step",
            "number",
            hint="Only when rounding to a step, such as 0.05.",
        ),
        _f(RoundingTerm, "rounding", "scope", "Round each line or the total"),
        _f(
            RoundingTerm,
            "rounding",
            "method",
            "Rounding method",
            "select",
            choices=_choices(Rounding),
            hint="Blank: the money rounding above.",
        ),
        _STATUS,
        _NOTE,
    ),
)

_REBOOK = "Rebooking"
ATTRITION = SectionSpec(
    "attrition",
    "Room-block attrition",
    "More of the attrition clause. Leave these and the performance and damages above blank for no "
    "attrition clause.",
    (
        _f(AttritionClause, "attrition", "threshold_semantics", "Below the minimum the group pays"),
        _f(AttritionClause, "attrition", "minimum_rounding", "Minimum rounding"),
        _bool(AttritionClause, "attrition", "pass_if_equal", "Pickup exactly at the minimum passes"),
        _f(AttritionClause, "attrition", "baseline_mode", "Baseline"),
        _f(AttritionClause, "attrition", "damage_rate_rule", "Price of an unused room night"),
        _f(
            AttritionClause,
            "attrition",
            "fixed_rate",
            "Fixed rate",
            "money",
            hint="Only with the fixed rule.",
        ),
        _f(AttritionClause, "attrition", "resale_mode", "Resale credit"),
        _f(AttritionClause, "attrition", "credit_allocation", "Credit allocation (per night with credit)"),
        _f(AttritionClause, "attrition", "greater_of_charge", "Failing both tests of 'greater of' charges"),
        GroupSpec(
            "attrition.tiers",
            "Tiers (tiered evaluation)",
            (
                FieldSpec("from_pct", "From pickup %", "pct", required=True),
                FieldSpec("to_pct", "To pickup % (blank: no limit)", "pct"),
                FieldSpec("damages_pct", "Damages % of blocked revenue", "pct", required=True),
            ),
            "none",
        ),
        *(
            _bool(CreditedSources, "attrition.credited_sources", name, f"Credit {label}")
            for name, label in (
                ("in_block", "in-block rooms"),
                ("outside_block", "rooms booked outside the block"),
                ("staff", "staff and speakers"),
                ("shoulder", "shoulder nights"),
                ("billed_no_show", "billed no-shows"),
                ("walked", "walked guests"),
                ("comp", "comp rooms"),
                ("early_departure_paid", "paid early departures"),
            )
        ),
        _bool(AttritionClause, "attrition", "released_rooms_count", "Rooms released at cut-off still count"),
        _f(RebookingTerm, "attrition.rebooking_waiver", "pct", f"{_REBOOK} waiver: % waived", "pct"),
        _f(
            RebookingTerm,
            "attrition.rebooking_waiver",
            "within_months",
            f"{_REBOOK} waiver: within months",
            "number",
        ),
    ),
    preset_group=True,
)

BLOCK_TERMS = SectionSpec(
    "reductions",
    "Reduction rights, comps, rebates and deposits",
    "",
    (
        GroupSpec(
            "reduction_rights",
            "Reduction rights",
            (
                _f(ReductionRight, "", "name", "Name"),
                _f(ReductionRight, "", "until_date", "Until (date)", "date"),
                _f(ReductionRight, "", "until_days_before_arrival", "or days before arrival", "number"),
                _f(ReductionRight, "", "max_pct", "Up to % of the block", "pct"),
                _f(ReductionRight, "", "basis", "Of the"),
            ),
            "none: the block cannot be reduced without liability",
            hint="Give a date or a number of days before arrival, not both.",
        ),
        _f(CompTerms, "comps", "ratio", "Comps: one free room night per (paid room nights)", "number"),
        _f(CompTerms, "comps", "rounding", "Comps rounding"),
        _bool(CompTerms, "comps", "credit_unused_at_group_rate", "Unused comps credited at the group rate"),
        _f(RebateTerms, "rebates", "per_room_night", "Rebate per room night", "money"),
        _f(RebateTerms, "rebates", "pct_of_room_revenue", "or rebate % of room revenue", "pct"),
        _bool(RebateTerms, "rebates", "net_against_damages", "Rebate netted against damages"),
        _f(RebateTerms, "rebates", "payee", "Rebate payee"),
        GroupSpec(
            "deposits",
            "Deposits received",
            (
                FieldSpec("received_date", "Received on", "date", required=True),
                FieldSpec("amount", "Amount", "money", required=True),
                FieldSpec("reference", "Reference"),
            ),
            "none",
        ),
    ),
)

FNB = SectionSpec(
    "fnb",
    "Food & beverage minimum, meeting rooms and stacking",
    "Leave the F&B fields blank for no F&B minimum.",
    (
        _f(FnbClause, "fnb", "minimum", "F&B minimum (net of tax and service)", "money"),
        _f(FnbClause, "fnb", "allowance_pct", "F&B allowance %", "pct"),
        _f(FnbClause, "fnb", "damages_pct", "F&B damages %", "pct"),
        FieldSpec(
            "fnb.counted_categories",
            "Spend that counts",
            "checkboxes",
            choices=_choices(FnbCategory),
            default="banquet beverage, banquet food",
        ),
        _bool(FnbClause, "fnb", "add_service_charge", "Service charge added to the shortfall"),
        _f(FnbClause, "fnb", "service_charge_pct", "Service charge %", "pct"),
        _bool(FnbClause, "fnb", "add_tax", "Tax added to the shortfall"),
        _f(FnbClause, "fnb", "tax_pct", "Tax %", "pct"),
        GroupSpec(
            "fnb.damages_pct_by_notice",
            "F&B damages % by days of notice (sliding)",
            (
                FieldSpec("min_days", "From days", "number", required=True),
                FieldSpec("max_days", "To days (blank: and beyond)", "number"),
                FieldSpec("pct", "Damages %", "pct", required=True),
            ),
            "none: the F&B damages % applies",
        ),
        _f(Contract, "", "meeting_room_rental", "Meeting-room rental", "money"),
        _f(RentalScale, "rental_scale", "basis", "Rental scale based on"),
        GroupSpec(
            "rental_scale.steps",
            "Rental scale steps",
            (
                FieldSpec("from_value", "From", "number", required=True),
                FieldSpec("to_value", "To (blank: no limit)", "number"),
                FieldSpec("rental", "Rental", "money", required=True),
            ),
            "none",
        ),
        _f(Contract, "", "performance_stacking", "When several clauses apply"),
        *(
            FieldSpec(
                f"stacking_order.{index}",
                f"Stacking order: {ordinal}",
                "select",
                choices=_choices(DamagesKind),
                default=default_text(Contract.model_fields["stacking_order"].default[index]),
            )
            for index, ordinal in enumerate(("first", "second", "third"))
        ),
    ),
)

CANCELLATION = SectionSpec(
    "cancellation",
    "Cancellation",
    "A scale by days between the written notice and arrival; the tiers must cover 0 days and beyond.",
    (
        GroupSpec(
            "cancellation.tiers",
            "Cancellation scale",
            (
                FieldSpec("min_days", "From days", "number", required=True),
                FieldSpec("max_days", "To days (blank: and beyond)", "number"),
                FieldSpec("pct", "Charge %", "pct", required=True),
                *(
                    FieldSpec(f"component_pct.{kind.value}", f"{label} % in this tier", "pct")
                    for kind, label in (
                        (CancellationComponentKind.ROOM_REVENUE, "Rooms"),
                        (CancellationComponentKind.FNB_MINIMUM, "F&B minimum"),
                        (CancellationComponentKind.MEETING_ROOM_RENTAL, "Meeting-room rental"),
                        (CancellationComponentKind.OTHER, "Other"),
                    )
                ),
            ),
            "none: no cancellation clause",
            hint="A component's % in a tier replaces the charge % for that component (blank: the charge %); "
            "the component's own % below still applies.",
        ),
        GroupSpec(
            "cancellation.base",
            "What the charge % applies to",
            (
                FieldSpec(
                    "kind", "Component", "select", choices=_choices(CancellationComponentKind), required=True
                ),
                FieldSpec("pct", "%", "pct", default="100"),
                FieldSpec("amount", "Amount (rental, other)", "money"),
                FieldSpec("label", "Label"),
            ),
            f"default: {default_text(CancellationClause.model_fields['base'].default)}",
        ),
        _bool(CancellationClause, "cancellation", "resale_credit", "Resale credit on cancellation"),
        _f(RebookingTerm, "cancellation.rebooking_credit", "pct", "Rebooking credit %", "pct"),
        _f(
            RebookingTerm,
            "cancellation.rebooking_credit",
            "within_months",
            "Rebooking within months",
            "number",
        ),
    ),
)

_KINDS = _choices(DamagesKind)
#: EN 16931 VAT categories in words (the codes are what the e-invoice writes).
_VAT_CATEGORIES = (
    ("S", "standard rate"),
    ("Z", "zero rate"),
    ("E", "exempt"),
    ("AE", "reverse charge"),
    ("K", "intra-community supply"),
    ("G", "export outside the EU"),
    ("O", "outside the scope of VAT"),
    ("L", "Canary Islands general indirect tax"),
    ("M", "Ceuta and Melilla tax"),
)
TAX = SectionSpec(
    "tax",
    "Tax on damages",
    "Leave these blank and the property's tax profile applies. Fill them in for a tax profile of this "
    "contract's own, which replaces the property's.",
    (
        _f(TaxProfile, "tax_override", "name", "Tax profile name"),
        _f(TaxProfile, "tax_override", "service_charge_pct", "Service charge %", "pct"),
        FieldSpec(
            "tax_override.service_charge_kinds",
            "Service charge on",
            "checkboxes",
            choices=_KINDS,
            default="none",
        ),
        GroupSpec(
            "tax_override.taxes",
            "Taxes",
            (
                FieldSpec("name", "Tax name", required=True),
                FieldSpec("rate_pct", "Rate %", "pct", required=True),
                FieldSpec("kinds", "Applies to", "checkboxes", choices=_KINDS, required=True),
                _bool(TaxRule, "", "on_service_charge", "Also on the service charge"),
                _bool(TaxRule, "", "inclusive", "Already included in the damages"),
            ),
            "none: no tax on damages",
        ),
        _f(
            TaxProfile,
            "tax_override",
            "vat_category",
            "VAT category on e-invoices",
            "select",
            choices=_VAT_CATEGORIES,
            hint="Blank: standard rate where a tax applies, else exempt or outside the scope.",
        ),
        _f(TaxProfile, "tax_override", "exemption_reason", "Why no VAT is due"),
        _f(
            TaxProfile,
            "tax_override",
            "exemption_reason_code",
            "Exemption reason code",
            hint="VATEX code such as VATEX-EU-O.",
        ),
        GroupSpec(
            "tax_override.sources",
            "Sources of these rules",
            (
                FieldSpec("title", "Title", required=True),
                FieldSpec("url", "Web address", required=True),
                FieldSpec("publisher", "Publisher", required=True),
                FieldSpec("published", "Published", hint="2022, 2022-02 or 2022-02-07"),
            ),
            "none",
        ),
        _f(TaxProfile, "tax_override", "note", "Note on the tax profile", "textarea"),
    ),
)

#: Terms the editor does not edit: they are recorded on the block-changes page, and kept as stored.
ELSEWHERE = ("reductions", "offline_rooms")

SECTIONS = (SHORT, IDENTITY, ATTRITION, BLOCK_TERMS, FNB, CANCELLATION, TAX)


def _scalars() -> list[FieldSpec]:
    return [item for section in SECTIONS for item in section.items if isinstance(item, FieldSpec)]


def _groups() -> list[GroupSpec]:
    return [item for section in SECTIONS for item in section.items if isinstance(item, GroupSpec)]


SCALARS = {spec.name: spec for spec in _scalars()}
GROUPS = {spec.name: spec for spec in _groups()}


# --- presets -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preset:
    label: str
    clears: str  # the clause (a name prefix) reset before the preset's values are set
    values: Mapping[str, str] = field(default_factory=dict)
    rows: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)
    keeps: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {
    "cumulative-80": Preset(
        "80 % cumulative, 80 % of rate",
        "attrition",
        {
            "attrition.performance_pct": "80",
            "attrition.damages_pct": "80",
            "attrition.evaluation_mode": "cumulative",
        },
    ),
    "per-night-90": Preset(
        "Per night 90 %, full rate",
        "attrition",
        {"attrition.performance_pct": "90", "attrition.evaluation_mode": "per_night"},
    ),
    "cliff-80": Preset(
        "80 % cumulative, cliff (below it pay every unused night)",
        "attrition",
        {
            "attrition.performance_pct": "80",
            "attrition.evaluation_mode": "cumulative",
            "attrition.threshold_semantics": "cliff",
        },
    ),
    "no-attrition": Preset("No attrition clause", "attrition"),
    "sliding-fnb": Preset(
        "Sliding F&B minimum (100 % within 30 days, 75 % to 90 days, 50 % beyond)",
        "fnb.damages_pct_by_notice",
        rows={
            "fnb.damages_pct_by_notice": (
                {"min_days": "0", "max_days": "30", "pct": "100"},
                {"min_days": "31", "max_days": "90", "pct": "75"},
                {"min_days": "91", "max_days": "", "pct": "50"},
            )
        },
    ),
    "cancellation-standard": Preset(
        "Cancellation: 100 % within 30 days, 50 % to 90, 25 % to 180, none beyond",
        "cancellation.tiers",
        rows={
            "cancellation.tiers": (
                {"min_days": "0", "max_days": "30", "pct": "100"},
                {"min_days": "31", "max_days": "90", "pct": "50"},
                {"min_days": "91", "max_days": "180", "pct": "25"},
                {"min_days": "181", "max_days": "", "pct": "0"},
            )
        },
    ),
}


def matching_preset(form: ContractForm) -> str:
    """The first preset whose clause the form holds exactly (``""``: none does, the terms are custom)."""

    def same(a: str, b: str) -> bool:
        a, b = a.strip(), b.strip()
        if a == b:
            return True
        try:
            return Decimal(a) == Decimal(b)
        except ArithmeticError:
            return False

    def filled(rows: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
        return [row for row in rows if any(v.strip() for v in row.values())]

    for key, preset in PRESETS.items():
        prefix = preset.clears
        names = [n for n in SCALARS if (n == prefix or n.startswith(prefix + ".")) and n not in preset.keeps]
        if not all(same(form.value(n), preset.values.get(n, "")) for n in names):
            continue
        groups = [g for g in GROUPS if g == prefix or g.startswith(prefix + ".")]
        if all(
            len(rows := filled(form.rows.get(g, []))) == len(wanted := preset.rows.get(g, ()))
            and all(
                same(row.get(name, ""), value)
                for row, want in zip(rows, wanted, strict=True)
                for name, value in want.items()
            )
            for g in groups
        ):
            return key
    return ""


# --- the form --------------------------------------------------------------------------------------


class CellForm(BaseModel):
    rooms: str = ""
    rate: str = ""


class ContractForm(BaseModel):
    """The editor's input exactly as typed (so that it can be shown again), by form field name."""

    model_config = ConfigDict(extra="forbid")

    values: dict[str, str] = Field(default_factory=dict)
    multi: dict[str, list[str]] = Field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = Field(default_factory=dict)
    nights: list[str] = Field(default_factory=lambda: [""])
    room_types: list[str] = Field(default_factory=lambda: [""])
    cells: list[list[CellForm]] = Field(default_factory=lambda: [[CellForm()]])
    property_id: str = ""
    account_id: str = ""
    revision: str = ""
    # "Same every night", as posted: rooms per room type and one rate, with the values the page showed
    # (``settle`` applies them to the grid; the page shows them again from the grid).
    same_rooms: list[str] = Field(default_factory=list)
    same_rooms_was: list[str] = Field(default_factory=list)
    same_rate: str = ""
    same_rate_was: str = ""
    dates_were: str = ""

    # --- reading ---

    @classmethod
    def from_posted(cls, data: Any) -> ContractForm:
        """From a posted form (Starlette ``FormData``: ``get`` and ``getlist``)."""

        def text(name: str) -> str:
            value = data.get(name)
            return value[:10_000] if isinstance(value, str) else ""

        keys = [key for key in data if isinstance(key, str)]
        values = {name: text(name) for name in SCALARS if SCALARS[name].kind != "checkboxes"}
        multi = {
            name: [v for v in data.getlist(name) if isinstance(v, str)][:20]
            for name, spec in SCALARS.items()
            if spec.kind == "checkboxes"
        }
        rows: dict[str, list[dict[str, str]]] = {}
        for name, group in GROUPS.items():
            pattern = re.compile(rf"^{re.escape(name)}\.(\d{{1,4}})\.")
            indices = sorted({int(m.group(1)) for key in keys if (m := pattern.match(key))})[:MAX_ROWS]
            rows[name] = [
                {
                    f.name: ",".join(v for v in data.getlist(f"{name}.{i}.{f.name}") if isinstance(v, str))[
                        :200
                    ]
                    if f.kind == "checkboxes"
                    else text(f"{name}.{i}.{f.name}")
                    for f in group.fields
                }
                for i in indices
            ]
        night_keys = _indices(keys, r"^block\.night\.(\d{1,4})$")[:MAX_NIGHTS]
        type_keys = _indices(keys, r"^block\.type\.(\d{1,4})$")[:MAX_ROOM_TYPES]
        nights = [text(f"block.night.{i}") for i in night_keys]
        types = [text(f"block.type.{j}") for j in type_keys]
        cells = [
            [
                CellForm(rooms=text(f"block.{i}.{j}.rooms"), rate=text(f"block.{i}.{j}.rate"))
                for j in type_keys
            ]
            for i in night_keys
        ]
        return cls(
            values=values,
            multi=multi,
            rows=rows,
            nights=nights,
            room_types=types,
            cells=cells,
            property_id=text("property_id"),
            account_id=text("account_id"),
            revision=text("revision"),
            same_rooms=[text(f"block.same.{j}.rooms") for j in type_keys],
            same_rooms_was=[text(f"block.same_was.{j}.rooms") for j in type_keys],
            same_rate=text("block.same.rate"),
            same_rate_was=text("block.same_was.rate"),
            dates_were=text("block.dates_were"),
        )

    @classmethod
    def from_terms(
        cls,
        terms: Mapping[str, Any],
        *,
        property_id: int,
        account_id: int | None,
        status: str,
        revision: int,
        locale: str = "en",
    ) -> ContractForm:
        """The form of a stored version's terms (only what the contract set; defaults stay blank).

        Numbers are written with the hotel's decimal sign, so that they read back as they were stored."""
        point = _locale(locale).number_symbols.get("latn", {}).get("decimal", ".")

        def shown(spec: FieldSpec, value: Any) -> str:
            text = _text(value)
            return text.replace(".", point) if spec.kind in NUMERIC and _PLAIN.fullmatch(text) else text

        values: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, spec in SCALARS.items():
            if spec.envelope:
                continue
            found = _lookup(terms, name)
            if spec.kind == "checkboxes":
                multi[name] = [str(v) for v in found] if isinstance(found, list) else []
            else:
                values[name] = shown(spec, found)
        values["status"] = status
        rows = {
            name: [
                {
                    f.name: ",".join(str(v) for v in _lookup(item, f.name) or ())
                    if f.kind == "checkboxes"
                    else shown(f, _lookup(item, f.name))
                    for f in group.fields
                }
                for item in _lookup(terms, name) or []
            ]
            for name, group in GROUPS.items()
        }
        block = terms.get("block") or []
        nights = sorted({str(cell["night"]) for cell in block})
        types = list(dict.fromkeys(str(cell["room_type"]) for cell in block))
        by_cell = {(str(cell["night"]), str(cell["room_type"])): cell for cell in block}
        cells = [
            [
                CellForm(
                    rooms=shown(_GRID_NUMBER, by_cell[(n, t)].get("rooms")),
                    rate=shown(_GRID_NUMBER, by_cell[(n, t)].get("rate")),
                )
                if (n, t) in by_cell
                else CellForm()
                for t in types
            ]
            for n in nights
        ]
        return cls(
            values=values,
            multi=multi,
            rows=rows,
            nights=nights or [""],
            room_types=types or [""],
            cells=cells or [[CellForm()]],
            property_id=str(property_id),
            account_id="" if account_id is None else str(account_id),
            revision=str(revision),
        )

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    # --- actions that change the form without saving ---

    def apply(self, action: str, preset: str = "") -> ContractForm:
        """The form after a button other than Save (grid, rows, presets)."""
        form = self.model_copy(deep=True)
        verb, _, rest = action.partition(":")
        if verb == "add_night":
            form.nights.append(_next_night(form.nights))
            form.cells.append([CellForm() for _ in form.room_types])
        elif verb == "remove_night" and _index(rest, len(form.nights)) is not None and len(form.nights) > 1:
            index = int(rest)
            del form.nights[index]
            del form.cells[index]
        elif verb == "add_type" and len(form.room_types) < MAX_ROOM_TYPES:
            form.room_types.append("")
            for row in form.cells:
                row.append(CellForm())
        elif (
            verb == "remove_type"
            and _index(rest, len(form.room_types)) is not None
            and len(form.room_types) > 1
        ):
            index = int(rest)
            del form.room_types[index]
            for row in form.cells:
                del row[index]
        elif verb == "copy_night" and _index(rest, len(form.nights)) is not None:
            source = form.cells[int(rest)]
            form.cells = [[cell.model_copy() for cell in source] for _ in form.nights]
        elif verb == "nights_from_dates":
            form._nights_from_dates()
        elif verb == "add_row" and rest in GROUPS:
            rows = form.rows.setdefault(rest, [])
            if len(rows) < MAX_ROWS:
                rows.append({f.name: "" for f in GROUPS[rest].fields})
        elif verb == "remove_row":
            group, _, position = rest.rpartition(":")
            rows = form.rows.get(group, [])
            if _index(position, len(rows)) is not None:
                del rows[int(position)]
        elif verb == "apply_preset" and preset in PRESETS:
            form._preset(PRESETS[preset])
        return form

    def _nights_from_dates(self) -> None:
        nights = _stay_nights(self.value("arrival_date"), self.value("departure_date"))
        if nights is None:
            return
        existing = {night.strip(): row for night, row in zip(self.nights, self.cells, strict=True)}
        self.nights = nights
        self.cells = [existing.get(night) or [CellForm() for _ in self.room_types] for night in nights]

    def _preset(self, preset: Preset) -> None:
        prefix = preset.clears
        for name in list(self.values):
            if (name == prefix or name.startswith(prefix + ".")) and name not in preset.keeps:
                self.values[name] = ""
        for name in list(self.rows):
            if name == prefix or name.startswith(prefix + "."):
                self.rows[name] = []
        self.values.update(preset.values)
        for name, rows in preset.rows.items():
            self.rows[name] = [dict(row) for row in rows]

    # --- writing ---

    # --- "same every night" and nights from the dates ---

    def settle(self) -> ContractForm:
        """The form with what the short path asks done to the grid: nights follow the stay's dates (while
        the grid's nights are blank or are the dates' nights as the page showed them), and a number typed
        in "same every night" fills every night of its room type (only the blank nights when it is the
        number the page showed, so a night changed in the grid keeps its own number)."""
        form = self.model_copy(deep=True)
        were = form.dates_were.split("|")
        before = _stay_nights(*were) if len(were) == 2 else None
        nights = [night.strip() for night in form.nights]
        if all(not night for night in nights) or (before is not None and nights == before):
            form._nights_from_dates()
        for j, rooms in enumerate(form.same_rooms[: len(form.room_types)]):
            rooms = rooms.strip()
            if not rooms:
                continue
            changed = rooms != (form.same_rooms_was[j].strip() if j < len(form.same_rooms_was) else "")
            for row in form.cells:
                if changed or not row[j].rooms.strip():
                    row[j].rooms = rooms
        rate = form.same_rate.strip()
        if rate:
            changed = rate != form.same_rate_was.strip()
            for row in form.cells:
                for j, cell in enumerate(row):
                    if (
                        cell.rooms.strip()
                        and form.room_types[j].strip()
                        and (changed or not cell.rate.strip())
                    ):
                        cell.rate = rate
        form.same_rooms, form.same_rooms_was, form.same_rate, form.same_rate_was = [], [], "", ""
        return form

    def same_rooms_shown(self) -> list[str]:
        """Per room type, the rooms held if every night holds the same number (else blank)."""
        shown = []
        for j in range(len(self.room_types)):
            found = {row[j].rooms.strip() for row in self.cells}
            shown.append(found.pop() if len(found) == 1 else "")
        return shown

    def same_rate_shown(self) -> str:
        """The rate if every cell with rooms has the same one (else blank)."""
        found = {cell.rate.strip() for row in self.cells for cell in row if cell.rooms.strip()}
        return found.pop() if len(found) == 1 else ""

    def nights_follow_dates(self) -> bool:
        return [n.strip() for n in self.nights] == _stay_nights(
            self.value("arrival_date"), self.value("departure_date")
        )

    # --- writing ---

    def to_write(
        self, *, is_new: bool, property_currency: str | None, locale: str = "en"
    ) -> tuple[dict[str, Any], BlockIndex]:
        """The body of ``POST/PUT /api/v1/contracts`` and where each block cell came from.

        Numbers are read as the hotel writes them (``15,000.50`` in English, ``15 000,50`` in French).
        Raises FormInputError, keyed by form field, for a number that cannot be read (the service
        validates the rest).
        """
        numbers = NumberReader(_locale(locale))
        contract: dict[str, Any] = {}
        for name, spec in SCALARS.items():
            if spec.envelope:
                continue
            if spec.kind == "checkboxes":
                chosen = [v for v in self.multi.get(name, []) if v]
                if chosen:
                    _put(contract, name, chosen)
                continue
            text = self.value(name).strip()
            if text:
                _put(contract, name, numbers.read(spec, text, name))
        if "stacking_order" in contract:
            ordered = contract.pop("stacking_order")
            contract["stacking_order"] = [ordered[key] for key in sorted(ordered, key=int)]
        kept_rows: dict[str, list[int]] = {}
        for name, group in GROUPS.items():
            items: list[dict[str, Any]] = []
            kept: list[int] = []
            for index, row in enumerate(self.rows.get(name, [])):
                item: dict[str, Any] = {}
                for f in group.fields:
                    if row.get(f.name, "").strip():
                        read = numbers.read(f, row.get(f.name, "").strip(), f"{name}.{index}.{f.name}")
                        _put(item, f.name, read)  # a dotted row field is nested (component_pct.fnb_minimum)
                if item:
                    items.append(item)
                    kept.append(index)
            if items:
                _put(contract, name, items)
            kept_rows[name] = kept
        block, cells = self._block(numbers)
        contract["block"] = block
        if not contract.get("currency") and property_currency:
            contract["currency"] = property_currency
        if is_new and not contract.get("id"):
            contract["id"] = _made_id(self.value("group.name"), self.value("arrival_date"))
        write: dict[str, Any] = {"contract": contract, "status": self.value("status").strip() or "definite"}
        if self.value("note").strip():
            write["note"] = self.value("note").strip()
        if is_new:
            write["property_id"] = _int_or_text(self.property_id)
        if self.account_id.strip():
            write["account_id"] = _int_or_text(self.account_id)
        where = BlockIndex(tuple(cells), kept_rows)
        if numbers.errors:
            raise FormInputError(numbers.errors, write, where)
        return write, where

    def _block(self, numbers: NumberReader) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
        block: list[dict[str, Any]] = []
        origin: list[tuple[int, int]] = []
        for i, night in enumerate(self.nights):
            for j, room_type in enumerate(self.room_types):
                cell = self.cells[i][j]
                if not cell.rooms.strip() and not cell.rate.strip():
                    continue
                item: dict[str, Any] = {"night": night.strip(), "room_type": room_type.strip()}
                if cell.rooms.strip():
                    item["rooms"] = numbers.read(_GRID_NUMBER, cell.rooms.strip(), f"block.{i}.{j}.rooms")
                if cell.rate.strip():
                    item["rate"] = numbers.read(_GRID_NUMBER, cell.rate.strip(), f"block.{i}.{j}.rate")
                block.append(item)
                origin.append((i, j))
        return block, origin


class FormInputError(Exception):
    """Input the form itself cannot read (a number not written as the hotel writes numbers)."""

    def __init__(self, errors: Mapping[str, list[str]], write: dict[str, Any], index: BlockIndex) -> None:
        super().__init__("some numbers could not be read")
        self.errors = dict(errors)
        self.write = write  # the unreadable numbers as typed: the service is asked about the rest
        self.index = index


NUMERIC = ("number", "money", "pct")
_GRID_NUMBER = FieldSpec("", "", "number")
_PLAIN = re.compile(r"-?\d+(\.\d+)?")


def _locale(code: str) -> Locale:
    try:
        return Locale.parse((code or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


@dataclass
class NumberReader:
    """Numbers as the hotel writes them, strictly (babel's ``parse_decimal``): ``15,000`` and
    ``15,000.50`` in English, ``15 000,50`` in French, ``15.000,50`` in German; ``1,5`` in English is
    refused rather than guessed."""

    locale: Locale
    errors: dict[str, list[str]] = field(default_factory=dict)

    def read(self, spec: FieldSpec, text: str, name: str) -> Any:
        if spec.kind == "tristate":
            return {"true": True, "false": False}.get(text, text)
        if spec.kind == "checkboxes":
            return [part for part in text.split(",") if part]
        if spec.kind not in NUMERIC:
            return text
        text = text.rstrip("% ").strip()
        value = read_number(text, self.locale)
        if value is None:
            self.errors.setdefault(name, []).append(
                f"“{text}” is not a number as this hotel writes them: write it like "
                f"{number_example(self.locale)}"
            )
            return text
        return format(value, "f")


def _stay_nights(arrival: str, departure: str) -> list[str] | None:
    """The nights from arrival to the night before departure, or None for dates that give none."""
    try:
        first = parse_iso_date(arrival.strip())
        last = parse_iso_date(departure.strip())
    except ValueError:
        return None
    if not first < last <= first + timedelta(days=MAX_NIGHTS):
        return None
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days)]


@dataclass(frozen=True, slots=True)
class BlockIndex:
    """Which grid cell each block entry came from, and which form row each kept group row is."""

    cells: tuple[tuple[int, int], ...]
    rows: Mapping[str, Sequence[int]]


# --- errors beside their fields ----------------------------------------------------------------


_BRACKET = re.compile(r"\[(\d+)\]")


def form_errors(problems: Iterable[Problem], index: BlockIndex | None) -> dict[str, list[str]]:
    """Service problems keyed by the form field that holds the input (``""``: the form as a whole)."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(field_for(problem.field, index), []).append(
            problem.message if problem.line is None else f"line {problem.line}: {problem.message}"
        )
    return found


def field_for(path: str, index: BlockIndex | None) -> str:
    """The form field name of a service error path (``contract.block[3].rate`` -> ``block.0.2.rate``)."""
    if path in ("property_id", "account_id", "status", "note"):
        return path
    if not path.startswith("contract"):
        return ""
    parts = _BRACKET.sub(r".\1", path).split(".")[1:]
    if not parts:
        return ""
    if parts[0] == "block":
        return _block_field(parts[1:], index)
    for length in range(len(parts), 0, -1):
        name = ".".join(parts[:length])
        if name in SCALARS:
            return name
        if name in GROUPS:
            rest = parts[length:]
            if rest and rest[0].isdigit() and index is not None:
                kept = index.rows.get(name, ())
                position = int(rest[0])
                row = kept[position] if position < len(kept) else position
                for end in range(len(rest), 1, -1):
                    inner = ".".join(rest[1:end])
                    if any(f.name == inner for f in GROUPS[name].fields):
                        return f"{name}.{row}.{inner}"
                return f"{name}.{row}"
            return name
    # A clause-level error ("attrition": ...) belongs to its section's first field.
    first = next((n for n in SCALARS if n.startswith(parts[0] + ".")), "")
    return first


def _block_field(parts: list[str], index: BlockIndex | None) -> str:
    if not parts or not parts[0].isdigit() or index is None or int(parts[0]) >= len(index.cells):
        return "block"
    night, room_type = index.cells[int(parts[0])]
    what = parts[1] if len(parts) > 1 else "rooms"
    if what == "night":
        return f"block.night.{night}"
    if what == "room_type":
        return f"block.type.{room_type}"
    return f"block.{night}.{room_type}.{'rate' if what == 'rate' else 'rooms'}"


# --- small conversions ---------------------------------------------------------------------------


def _indices(keys: Iterable[str], pattern: str) -> list[int]:
    compiled = re.compile(pattern)
    return sorted({int(m.group(1)) for key in keys if (m := compiled.match(key))})


def _index(text: str, length: int) -> int | None:
    return int(text) if text.isdigit() and int(text) < length else None


def _next_night(nights: list[str]) -> str:
    for night in reversed(nights):
        try:
            return (parse_iso_date(night.strip()) + timedelta(days=1)).isoformat()
        except ValueError:
            continue
    return ""


def _lookup(data: Mapping[str, Any], name: str) -> Any:
    found: Any = data
    for part in name.split("."):
        if isinstance(found, Mapping):
            found = found.get(part)
        elif isinstance(found, list) and part.isdigit():
            found = found[int(part)] if int(part) < len(found) else None
        else:
            return None
    return found


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping) and "amount" in value:
        return str(value["amount"])
    return str(value)


def _put(target: dict[str, Any], name: str, value: Any) -> None:
    parts = name.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _int_or_text(text: str) -> int | str:
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() and len(stripped) < 10 else stripped


def _made_id(group: str, arrival: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")[:60] or "contract"
    year = arrival.strip()[:4]
    return f"{slug}-{year}" if year.isdigit() else slug
