"""What the engine keeps with a contract between assessments, and that keeping it changes nothing.

The engine works out a contract's terms, tax words and baseline grid once and keeps them with the
frozen model (``derived``, ``cached_property``). A copy with changed fields must not inherit them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from app.engine import Assessment, Contract, assess

from .builders import actuals, cells, contract_data, departure, pickup

ASSESSMENT = TypeAdapter(Assessment)

FULL: dict[str, Any] = {
    "attrition": {"performance_pct": 80, "evaluation_mode": "per_night"},
    "fnb": {"minimum": "10000.00"},
    "property": {
        "name": "Harbour Hotel",
        "tax_profile": {
            "name": "Florida",
            "service_charge_pct": 20,
            "service_charge_kinds": ["fnb_attrition"],
            "taxes": [{"name": "Sales tax", "rate_pct": 10, "kinds": ["room_attrition", "fnb_attrition"]}],
        },
    },
}


def build(**fields: Any) -> Contract:
    return Contract.model_validate(contract_data(cells(100, 100, 50), **{**FULL, **fields}), strict=False)


def outcome(contract: Contract) -> str:
    result = assess(contract, actuals(pickup=pickup(70, 90, 20), fnb_spend=[]), departure(contract))
    return ASSESSMENT.dump_json(result).decode()


def test_assessing_a_contract_again_gives_the_same_assessment_as_a_fresh_copy() -> None:
    kept = build()
    first = outcome(kept)
    assert outcome(kept) == first
    assert outcome(build()) == first


def test_a_copy_with_an_other_clause_does_not_reuse_the_kept_terms_or_lines() -> None:
    kept = build()
    outcome(kept)
    assert kept.attrition is not None
    changed = kept.model_copy(
        update={
            "fnb": None,
            "attrition": kept.attrition.model_copy(update={"damages_pct": Decimal(50)}),
        }
    )
    expected = build(
        fnb=None, attrition={"performance_pct": 80, "evaluation_mode": "per_night", "damages_pct": 50}
    )
    assert outcome(changed) == outcome(expected)
    assert "fnb.allowance_pct" not in outcome(changed)
    assert outcome(kept) != outcome(changed)


def test_a_copy_without_a_tax_profile_owes_no_tax() -> None:
    kept = build()
    with_tax = outcome(kept)
    untaxed = kept.model_copy(update={"property": kept.property.model_copy(update={"tax_profile": None})})
    assert '"kind":"tax"' in with_tax
    assert '"kind":"tax"' not in outcome(untaxed)


def test_kept_values_stay_out_of_the_models_fields_dumps_and_equality() -> None:
    kept, fresh = build(), build()
    outcome(kept)
    assert any(key.startswith("_") for key in vars(kept))
    assert not any(key.startswith("_") for key in dict(kept))
    assert kept.model_dump() == fresh.model_dump()
    assert kept == fresh
    assert hash(kept) == hash(fresh)
    assert repr(kept) == repr(fresh)


def test_the_baseline_of_a_kept_contract_still_follows_the_as_of_date() -> None:
    released = build(
        cutoff_date="2025-02-10", attrition={"performance_pct": 80, "released_rooms_count": False}
    )
    at_cutoff = [{"night": cell["night"], "room_type": "K", "rooms": 60} for cell in cells(1, 1, 1)]
    data = actuals(pickup=pickup(70, 90, 20), cutoff_pickup=at_cutoff)
    early, late = date(2025, 2, 1), departure(released)
    baselines = []
    for day in (early, late, early):
        rooms = assess(released, data, day).rooms
        assert rooms is not None
        baselines.append(rooms.baseline_room_nights)
    assert baselines == [250, 170, 250]


def test_assessment_json_keeps_its_shape() -> None:
    result = ASSESSMENT.dump_python(
        assess(build(), actuals(pickup=pickup(70, 90, 20)), departure(build())), mode="json"
    )
    room = result["lines"][0]
    assert room["inputs"] == {"room_nights": "10", "damage_rate": "200.00", "damages_pct": "100"}
    assert room["amount"] == {"amount": "2000.00", "currency": "USD"}
    assert isinstance(result["rooms"]["nights"], list)
    assert result["total"]["currency"] == "USD"
