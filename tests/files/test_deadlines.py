"""A contract's deadlines, computed from the samples in ``contracts/`` and from small contracts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.contract_files import load_document
from app.engine.contract import Contract
from app.engine.explain import Percent
from app.engine.money import Money
from app.services.deadlines import DeadlineKind, InvoiceDue, deadline_text, deadlines_of

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
SAMPLES = sorted(
    path for path in CONTRACTS.iterdir() if path.suffix in {".yaml", ".json"} and path.stem != "schema"
)


def _terms(name: str) -> Contract:
    return load_document(CONTRACTS / name).contract


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_every_sample_has_dated_deadlines_with_unique_keys_in_date_order(path: Path) -> None:
    terms = load_document(path).contract

    deadlines = deadlines_of(terms, contract_id=7)

    keys = [deadline.key for deadline in deadlines]
    assert len(keys) == len(set(keys))
    assert [deadline.on for deadline in deadlines] == sorted(deadline.on for deadline in deadlines)
    assert {"arrival", "departure"} <= set(keys)
    assert all(deadline.contract_id == 7 for deadline in deadlines)
    assert ("cutoff" in keys) == (terms.cutoff_date is not None)
    assert len([key for key in keys if key.startswith("reduction:")]) == len(terms.reduction_rights)
    for deadline in deadlines:
        assert str(deadline.summary).startswith(f"{terms.group.name}: ")
        assert "{" not in str(deadline.description)


def test_a_cancellation_scale_gives_one_deadline_per_tier_change_counted_back_from_arrival() -> None:
    terms = _terms("dental-meeting-cancellation-100-days.yaml")

    tiers = [d for d in deadlines_of(terms) if d.kind is DeadlineKind.CANCELLATION_TIER]

    # Tiers [0, 30] 100 %, [31, 90] 80 %, [91, 180] 60 %, [181, 365] 40 %, [366, ∞] 20 %; arrival 2027-06-10.
    assert [(d.on, d.key, d.param("pct"), d.param("previous_pct")) for d in tiers] == [
        (date(2026, 6, 10), "cancellation-tier:365", Percent(Decimal(40)), Percent(Decimal(20))),
        (date(2026, 12, 12), "cancellation-tier:180", Percent(Decimal(60)), Percent(Decimal(40))),
        (date(2027, 3, 12), "cancellation-tier:90", Percent(Decimal(80)), Percent(Decimal(60))),
        (date(2027, 5, 11), "cancellation-tier:30", Percent(Decimal(100)), Percent(Decimal(80))),
    ]
    assert all((terms.arrival_date - d.on).days == d.param("days") for d in tiers)
    assert str(tiers[-1].title) == "Cancellation charge rises to 100 %"
    # The sample's notice, 100 days out, is before the 90-day step: the engine charged 60 %.
    assert tiers[1].on < date(2027, 3, 2) < tiers[2].on


def test_reduction_rights_and_cut_off_fall_where_the_contract_puts_them() -> None:
    offsite = _terms("engineering-offsite-tiered-stricter-of.yaml")
    insurance = _terms("insurance-conference-resold-rooms.yaml")

    (right,) = [d for d in deadlines_of(offsite) if d.kind is DeadlineKind.REDUCTION_REVIEW]
    (dated,) = [d for d in deadlines_of(insurance) if d.kind is DeadlineKind.REDUCTION_REVIEW]
    (cutoff,) = [d for d in deadlines_of(insurance) if d.kind is DeadlineKind.CUTOFF]

    assert right.on == offsite.arrival_date - timedelta(days=90)
    assert right.key == "reduction:0"
    assert str(right.description).startswith(
        "90-day review: last day the group may reduce the block by up to 10 %"
    )
    assert dated.on == date(2027, 3, 1)
    assert cutoff.on == insurance.cutoff_date
    assert str(cutoff.title) == "Cut-off: release of unsold rooms"


def test_fnb_notice_scale_and_open_invoices_give_their_own_deadlines() -> None:
    terms = _terms("reunion-no-attrition-clause.yaml")
    with_fnb = Contract.model_validate(
        {
            **terms.model_dump(mode="json"),
            "fnb": {
                "minimum": "10000.00",
                "damages_pct_by_notice": [
                    {"min_days": 0, "max_days": 14, "pct": 100},
                    {"min_days": 15, "max_days": 44, "pct": 100},
                    {"min_days": 45, "pct": 50},
                ],
            },
        },
        strict=False,
    )
    invoice = InvoiceDue("2-000004", date(2027, 11, 1), Money(Decimal("1512.00"), terms.currency))

    deadlines = deadlines_of(with_fnb, [invoice], contract_id=3)

    fnb = [d for d in deadlines if d.kind is DeadlineKind.FNB_NOTICE_TIER]
    # 45 → 44 days changes the percentage; 15 → 14 does not, so it is no deadline.
    assert [(d.key, d.on) for d in fnb] == [("fnb-notice-tier:44", terms.arrival_date - timedelta(days=44))]
    (due,) = [d for d in deadlines if d.kind is DeadlineKind.INVOICE_DUE]
    assert (due.key, due.on, due.contract_id) == ("invoice:2-000004", date(2027, 11, 1), 3)
    assert deadlines[-1] is due


def test_keys_stay_when_an_edit_does_not_move_the_deadline() -> None:
    terms = _terms("dental-meeting-cancellation-100-days.yaml")
    renamed = Contract.model_validate(
        {**terms.model_dump(mode="json"), "name": "Renamed", "cutoff_date": "2027-05-01"}, strict=False
    )

    before = {d.key: d.on for d in deadlines_of(terms)}
    after = {d.key: d.on for d in deadlines_of(renamed)}

    assert before.keys() == after.keys()
    assert {key for key in before if before[key] != after[key]} == {"cutoff"}


def test_the_words_are_in_the_hotels_language() -> None:
    terms = _terms("dental-meeting-cancellation-100-days.yaml")
    cutoff = next(d for d in deadlines_of(terms) if d.kind is DeadlineKind.CUTOFF)

    text = deadline_text(cutoff, "fr", "fr_FR")
    title, description = text.summary, text.description

    assert title == (
        "Pacific Northwest Dental Association : "
        "Date limite de rétrocession : libération des chambres non réservées"
    )
    assert description.startswith("Les chambres du bloc non réservées au 10 mai 2027 ")


def test_a_scale_step_before_the_first_writable_date_is_left_out() -> None:
    terms = Contract.model_validate(
        {
            "id": "early",
            "property": {"name": "Harbour Hotel"},
            "group": {"name": "Example Association"},
            "currency": "USD",
            "arrival_date": "0001-02-01",
            "departure_date": "0001-02-02",
            "block": [{"night": "0001-02-01", "room_type": "K", "rooms": 10, "rate": "100.00"}],
            "cancellation": {
                "tiers": [
                    {"min_days": 0, "max_days": 10, "pct": 100},
                    {"min_days": 11, "max_days": 100, "pct": 50},
                    {"min_days": 101, "pct": 10},
                ]
            },
        },
        strict=False,
    )

    keys = [d.key for d in deadlines_of(terms) if d.kind is DeadlineKind.CANCELLATION_TIER]

    assert keys == ["cancellation-tier:10"]


def test_a_scale_with_percentages_per_component_dates_each_component_change() -> None:
    terms = _terms("trade-show-cancellation-by-component.yaml")

    tiers = [d for d in deadlines_of(terms) if d.kind is DeadlineKind.CANCELLATION_TIER]

    # [120, ∞] rooms 80 %, F&B 100 %, rental 50 %; [60, 119] rooms 90 %, the rest 100 %; [0, 59] 100 %.
    assert [(d.on, d.key) for d in tiers] == [
        (terms.arrival_date - timedelta(days=119), "cancellation-tier:119"),
        (terms.arrival_date - timedelta(days=59), "cancellation-tier:59"),
    ]
    assert [str(d.title) for d in tiers] == ["Cancellation charge rises", "Cancellation charge rises"]
    assert str(tiers[0].description) == (
        "From 2027-05-24 (119 days before arrival), a cancellation costs Room revenue of the block 90 %, "
        "F&B minimum 100 %, Meeting-room rental 100 % instead of Room revenue of the block 80 %, "
        "F&B minimum 100 %, Meeting-room rental 50 %."
    )
    french = deadline_text(tiers[1], "fr")
    assert french.title == "Les frais d’annulation augmentent"
    assert "Minimum de restauration 100" in french.description


def test_a_tier_move_that_lowers_one_component_and_raises_another_says_it_changes() -> None:
    data = load_document(CONTRACTS / "trade-show-cancellation-by-component.yaml").contract.model_dump(
        mode="json"
    )
    data["cancellation"]["tiers"] = [
        {"min_days": 120, "pct": 50, "component_pct": {"room_revenue": 80}},
        {"min_days": 60, "max_days": 119, "pct": 60, "component_pct": {"room_revenue": 70}},
        {"min_days": 30, "max_days": 59, "pct": 60, "component_pct": {"room_revenue": 70}},
        {"min_days": 0, "max_days": 29, "pct": 100},
    ]
    terms = Contract.model_validate(data, strict=False)

    tiers = [d for d in deadlines_of(terms) if d.kind is DeadlineKind.CANCELLATION_TIER]

    # 119 days: rooms 80 → 70, the rest 50 → 60; 59 days: nothing moves; 29 days: all rise to 100 %.
    assert [(d.key, str(d.title)) for d in tiers] == [
        ("cancellation-tier:119", "Cancellation charge changes by component"),
        ("cancellation-tier:29", "Cancellation charge rises"),
    ]
