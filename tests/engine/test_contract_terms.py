"""Every contract term in words: the sentences the contract pages show, the same ones an assessment lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.contract_files import load_document
from app.engine import Actuals, assess
from app.engine.terms import TOPICS, contract_terms
from tests.engine.builders import cells, contract, night

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
SAMPLES = sorted(p for p in CONTRACTS.iterdir() if p.suffix in {".yaml", ".json"} and p.name != "schema.json")


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_the_terms_an_assessment_lists_are_the_contract_terms_word_for_word(path: Path) -> None:
    document = load_document(path)
    terms = contract_terms(document.contract)
    assessment = assess(
        document.contract,
        document.actuals or Actuals(),
        document.as_of or document.contract.departure_date,
    )

    by_field = {term.field: term for term in terms}
    for term in assessment.terms:
        if term.name != "comps":  # the assessment's comp term counts the comps earned and used
            assert by_field[term.name].text == term.text
            assert (by_field[term.name].is_default, by_field[term.name].text.kind) == (
                term.is_default,
                term.text.kind,
            )
    assert [TOPICS.index(term.topic.kind) for term in terms] == sorted(
        TOPICS.index(t.topic.kind) for t in terms
    )
    assert all(term.text.endswith(".") for term in terms)


def _texts(block: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for term in contract_terms(contract(block or cells(10), **fields)):
        found.setdefault(term.field, []).append(term.text)
    return found


def test_a_one_night_block_with_no_clauses_says_so() -> None:
    texts = _texts(attrition=None)
    assert texts["block"] == [
        "Example Association holds a block of 10 room nights over one night, arriving 2025-03-10 and "
        "departing 2025-03-11, in K rooms."
    ]
    assert texts["attrition"] == [
        "The contract has no attrition clause: no room damages are owed for under-use."
    ]
    assert texts["fnb"] == ["There is no food and beverage minimum."]
    assert texts["cancellation"] == ["There is no cancellation clause."]
    assert texts["reduction_rights"] == ["The group has no right to reduce the block without liability."]


def test_rights_tiers_scales_components_rebates_and_deposits_read_as_sentences() -> None:
    texts = _texts(
        block=cells(10, 12) + cells(5, 5, room_type="Q", rate="250.00"),
        attrition={
            "performance_pct": 80,
            "evaluation_mode": "tiered",
            "tiers": [
                {"from_pct": 0, "to_pct": 80, "damages_pct": 50},
                {"from_pct": 80, "damages_pct": 0},
            ],
        },
        reduction_rights=[
            {"name": "Early release", "until_days_before_arrival": 60, "max_pct": 10},
            {"until_date": "2025-01-10", "max_pct": 5, "basis": "current"},
        ],
        fnb={
            "minimum": "5000.00",
            "damages_pct_by_notice": [
                {"min_days": 0, "max_days": 0, "pct": 100},
                {"min_days": 1, "max_days": 29, "pct": 75},
                {"min_days": 30, "pct": 50},
            ],
        },
        rental_scale={
            "basis": "fnb_spend",
            "steps": [
                {"from_value": "0", "to_value": "4000", "rental": "1500.00"},
                {"from_value": "4000", "rental": "0.00"},
            ],
        },
        cancellation={
            "tiers": [{"min_days": 0, "pct": 100}],
            "base": [
                {"kind": "room_revenue", "pct": 80},
                {"kind": "meeting_room_rental", "amount": "900.00", "label": "Salon"},
                {"kind": "other", "amount": "100.00", "pct": 50},
            ],
        },
        rebates={"pct_of_room_revenue": 5, "payee": "Bureau"},
        deposits=[{"received_date": "2025-01-02", "amount": "500.00"}],
    )
    assert texts["block"][0].startswith("Example Association holds a block of 32 room nights over 2 nights")
    assert texts["block.rate"] == [
        "Group rates run from 200.00 USD to 250.00 USD per room night, by night and room type."
    ]
    assert texts["attrition.tiers"] == [
        "Damages as a share of the blocked room revenue: pickup from 0 % to below 80 %: 50 %; "
        "pickup from 80 % up: 0 %."
    ]
    assert texts["reduction_rights"] == [
        "Early release: Until 60 days before arrival (2025-01-09), the group may reduce the block by up "
        "to 10 % of the original block without liability.",
        "Until 2025-01-10, the group may reduce the block by up to 5 % of the current block without "
        "liability.",
    ]
    assert texts["fnb.damages_pct_by_notice"] == [
        "The share of the shortfall paid depends on the notice given before arrival: 0 days: 100 %; "
        "1–29 days: 75 %; 30 days or more: 50 %."
    ]
    assert texts["rental_scale"] == [
        "Meeting-room rental slides with food and beverage spend: from 0.00 USD to below 4,000.00 USD: "
        "1,500.00 USD; from 4,000.00 USD up: 0.00 USD."
    ]
    assert texts["cancellation.base"] == [
        "The percentage applies to 80 % of the room revenue of the block, Salon (900.00 USD) and 50 % of "
        "other charges (100.00 USD)."
    ]
    assert texts["rebates"] == ["A rebate of 5 % of room revenue is paid to Bureau on actual room nights."]
    assert texts["deposits"] == [
        "A deposit of 500.00 USD received on 2025-01-02 is applied against any damages."
    ]


def test_off_line_rooms_a_waiver_a_rebate_per_room_night_and_a_referenced_deposit() -> None:
    texts = _texts(
        offline_rooms=[{"night": night(0), "room_type": "K", "rooms": 2}],
        attrition={"performance_pct": 80, "rebooking_waiver": {"pct": 50, "within_months": 12}},
        rebates={"per_room_night": "2.00"},
        deposits=[{"received_date": night(-30), "amount": "100.00", "reference": "D-1"}],
        comps={"ratio": 40, "credit_unused_at_group_rate": False},
    )
    assert texts["offline_rooms"] == [
        "2 room nights the hotel could not supply (off-line rooms) leave the baseline."
    ]
    assert texts["attrition.rebooking_waiver"] == [
        "50 % of the room attrition damages is credited if the group books a comparable event with the "
        "hotel within 12 months."
    ]
    assert texts["rebates"] == ["A rebate of 2.00 USD per room night is paid on actual room nights."]
    assert texts["deposits"][0].endswith("(reference D-1) is applied against any damages.")
    assert texts["comps"] == [
        "One complimentary room night per 40 paid room nights (rounded down); unused comps are not credited."
    ]
