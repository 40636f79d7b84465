"""Forecasts over the database: a contract's exposure from its pickup snapshots and its
property's history, what-if assessments, the portfolio's exposure, and the history of finished blocks
(recorded on completion, imported from files). Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.engine import Actuals, Contract, assess
from app.engine.contract import Segment
from app.forecasting import load_priors
from app.persistence import repositories as repo
from app.persistence.records import AssessmentRecord
from app.services.auth import Access
from tests.api.conftest import bearer, property_body

ARRIVAL = date(2027, 3, 10)
AT_30_DAYS = ARRIVAL - timedelta(days=30)  # 2027-02-08
RATE = Decimal("200.00")
HOTEL = property_body()

# --- building contracts through the API ------------------------------------------------------------


def terms(
    reference: str, arrival: date = ARRIVAL, rooms: tuple[int, ...] = (50, 50), **changes: Any
) -> dict[str, Any]:
    """Two nights of 50 king rooms at USD 200.00, 80 % performance, 80 % damages, cumulative."""
    nights = [arrival + timedelta(days=index) for index in range(len(rooms))]
    return {
        "id": reference,
        "name": f"Group {reference}",
        "group": {"name": f"Group {reference}", "segment": "corporate"},
        "currency": "USD",
        "arrival_date": arrival.isoformat(),
        "departure_date": (arrival + timedelta(days=len(rooms))).isoformat(),
        "block": [
            {"night": night.isoformat(), "room_type": "king", "rooms": count, "rate": str(RATE)}
            for night, count in zip(nights, rooms, strict=True)
        ],
        "attrition": {"performance_pct": 80, "damages_pct": 80},
        **changes,
    }


def engine_contract(data: dict[str, Any]) -> Contract:
    return Contract.model_validate({**data, "property": {"name": HOTEL["name"]}}, strict=False)


class Hotel:
    """A property made through the API, and helpers to fill it."""

    def __init__(self, client: TestClient, key: str, **fields: Any) -> None:
        self.client, self.key = client, key
        created = client.post("/api/v1/properties", headers=bearer(key), json=property_body(**fields))
        assert created.status_code == 201, created.text
        self.id: int = created.json()["id"]

    def account(self, name: str, segment: str) -> int:
        created = self.client.post(
            "/api/v1/accounts",
            headers=bearer(self.key),
            json={"property_id": self.id, "name": name, "segment": segment},
        )
        assert created.status_code == 201, created.text
        account_id: int = created.json()["id"]
        return account_id

    def contract(self, data: dict[str, Any], account_id: int | None = None, status: str = "definite") -> int:
        created = self.client.post(
            "/api/v1/contracts",
            headers=bearer(self.key),
            json={"property_id": self.id, "account_id": account_id, "status": status, "contract": data},
        )
        assert created.status_code == 201, created.text
        contract_id: int = created.json()["id"]
        return contract_id

    def pickup(
        self,
        contract_id: int,
        as_of: date,
        counts: tuple[int, ...],
        source: str = "in_block",
        arrival: date = ARRIVAL,
    ) -> None:
        entries = [
            {
                "night": (arrival + timedelta(days=index)).isoformat(),
                "room_type": "king",
                "room_nights": count,
                "source": source,
            }
            for index, count in enumerate(counts)
        ]
        posted = self.client.post(
            f"/api/v1/contracts/{contract_id}/pickup",
            headers=bearer(self.key),
            json={"as_of": as_of.isoformat(), "entries": entries},
        )
        assert posted.status_code == 201, posted.text

    def import_history(self, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/properties/{self.id}/history", headers=bearer(self.key), json={"blocks": blocks}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def set_status(self, contract_id: int, status: str) -> None:
        read = self.client.get(f"/api/v1/contracts/{contract_id}", headers=bearer(self.key))
        current = read.json()
        response = self.client.put(
            f"/api/v1/contracts/{contract_id}",
            headers={**bearer(self.key), "If-Match": read.headers["etag"]},
            json={"account_id": current["account_id"], "status": status, "contract": current["contract"]},
        )
        assert response.status_code == 200, response.text

    def history(self, **params: Any) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/properties/{self.id}/history", headers=bearer(self.key), params=params
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def hotel(client: TestClient, admin_key: str) -> Hotel:
    return Hotel(client, admin_key)


def forecast(
    client: TestClient, key: str, contract_id: int, as_of: date | None = AT_30_DAYS
) -> dict[str, Any]:
    params = {} if as_of is None else {"as_of": as_of.isoformat()}
    response = client.get(f"/api/v1/contracts/{contract_id}/forecast", headers=bearer(key), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def what_if(client: TestClient, key: str, contract_id: int, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/contracts/{contract_id}/what-if", headers=bearer(key), json=body)


def scenario(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in body["scenarios"] if s["scenario"] == name)
    return found


def fields(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [error["field"] for error in response.json()["errors"]]


def multiplicative_blocks(
    count: int, segment: str = "corporate", prefix: str = "past"
) -> list[dict[str, Any]]:
    """Finished blocks whose final pickup is exactly twice what was on the books 30 days out, on blocks
    and paces of different sizes: the multiplicative method fits them with no error, the others do not."""
    blocks = []
    for index in range(count):
        size = 60 + 10 * index
        at_30 = 15 + 2 * index + (index % 3) * 4
        blocks.append(
            {
                "id": f"{prefix}-{index}",
                "segment": segment,
                "block_room_nights": size,
                "final_room_nights": 2 * at_30,
                "on_the_books": [
                    {"days_before_arrival": 60, "room_nights": at_30 // 2},
                    {"days_before_arrival": 30, "room_nights": at_30},
                    {"days_before_arrival": 14, "room_nights": at_30 * 3 // 2},
                    {"days_before_arrival": 0, "room_nights": 2 * at_30},
                ],
            }
        )
    return blocks


def share_on_the_books(segment: Segment, days: int) -> Decimal:
    """The default booking curve's share at ``days`` (linear between the priors file's points)."""
    points = sorted((p.days_before_arrival, p.pct) for p in load_priors().segments[segment].booking_curve)
    for (near_days, near), (far_days, far) in itertools.pairwise(points):
        if near_days <= days <= far_days:
            return (near + (far - near) * (days - near_days) / (far_days - near_days)) / 100
    raise AssertionError(f"{days} days is outside the curve")


def usd(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def half_up(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


# --- a contract's forecast -------------------------------------------------------------------------


@pytest.fixture
def reported(hotel: Hotel) -> int:
    """A contract with pickup reported 60, 30 and 14 days out (and comps, which are not credited)."""
    contract_id = hotel.contract(terms("sko-2027"))
    hotel.pickup(contract_id, ARRIVAL - timedelta(days=60), (8, 6))
    hotel.pickup(contract_id, AT_30_DAYS, (20, 18))
    hotel.pickup(contract_id, AT_30_DAYS, (10, 10), source="comp")
    hotel.pickup(contract_id, ARRIVAL - timedelta(days=14), (30, 28))
    return contract_id


def test_without_history_the_forecast_uses_the_default_booking_pace_and_says_so(
    client: TestClient, admin_key: str, reported: int
) -> None:
    body = forecast(client, admin_key, reported, AT_30_DAYS + timedelta(days=2))

    assert body["days_before_arrival"] == 28
    assert body["segment"] == "corporate"
    assert body["history_blocks"] == 0
    method = body["method"]
    assert method["name"] == "booking_curve"
    assert method["band_source"] == "prior"
    assert "only 0 comparable corporate blocks at 28 days" in method["reason"]
    assert method["label"] == "booking pace"
    assert "default booking pace" in method["reason"]
    assert "against the segment's usual wash of 20 %" in method["reason"]
    assert "booking pace" in body["steps"][0].lower()
    # Beside each English text, its structured form: the kind of sentence and its named values.
    assert method["reason_explained"]["kind"] == "fit.prior"
    assert method["reason_explained"]["params"]["segment"] == "corporate"
    assert method["reason_explained"]["params"]["wash"] == {"percent": "20"}
    assert [step["kind"] for step in body["steps_explained"]][:2] == [
        "projection.step.method",
        "projection.step.band",
    ]
    assert len(body["steps_explained"]) == len(body["steps"])
    nights = body["projection"]["nights"]
    # The report of 30 days out is the one on the books 28 days out; comps are not credited.
    assert [n["on_the_books"] for n in nights] == [20, 18]
    share = share_on_the_books(Segment.CORPORATE, 28)
    for night, booked in zip(nights, (20, 18), strict=True):
        # The pace weighted by its credibility against the corporate wash prior (20 %).
        block = night["block_room_nights"]
        projected = booked + (1 - share) * block * Decimal("0.8")
        assert Decimal(night["expected"]) == min(projected, block * Decimal("1.03")).quantize(Decimal("0.1"))
        assert Decimal(night["low"]) <= Decimal(night["expected"]) <= Decimal(night["high"])
    low, expected, high = (scenario(body, name) for name in ("low", "expected", "high"))
    assert low["room_nights"] <= expected["room_nights"] <= high["room_nights"]
    assert (
        Decimal(low["damages"]["amount"])
        >= Decimal(expected["damages"]["amount"])
        >= Decimal(high["damages"]["amount"])
    )
    assert Decimal("0") < Decimal(body["probability_of_damages_pct"]) < Decimal("100")
    outlook = body["outlook"]
    assert outlook["probability_of_damages_pct"] == body["probability_of_damages_pct"]
    assert Decimal(outlook["expected_damages"]["amount"]) > 0  # a chance of damages is never a zero
    assert Decimal(outlook["likely_worst_damages"]["amount"]) >= 0


def test_the_expected_scenario_owes_what_the_settlement_engine_assesses_for_that_pickup(
    client: TestClient, admin_key: str, reported: int
) -> None:
    body = forecast(client, admin_key, reported)

    share = share_on_the_books(Segment.CORPORATE, 30)
    blocks = [n["block_room_nights"] for n in body["projection"]["nights"]]
    pickup = [
        half_up(min(booked + (1 - share) * block * Decimal("0.8"), block * Decimal("1.03")))
        for booked, block in zip((20, 18), blocks, strict=True)
    ]
    contract = engine_contract(terms("sko-2027"))
    actuals = Actuals.model_validate(
        {
            "pickup": [
                {"night": night.isoformat(), "room_type": "king", "room_nights": count}
                for night, count in zip(contract.nights, pickup, strict=True)
            ]
        },
        strict=False,
    )
    settled = assess(contract, actuals, contract.departure_date).total
    expected = scenario(body, "expected")
    assert expected["room_nights"] == sum(pickup)
    assert expected["damages"] == {"amount": str(settled.amount), "currency": "USD"}
    assert settled.amount > 0
    # The same pickup as a what-if of the stored contract, assessed at departure.
    response = what_if(
        client,
        admin_key,
        reported,
        {
            "as_of": contract.departure_date.isoformat(),
            "pickup": [
                {"night": night.isoformat(), "room_type": "king", "room_nights": count}
                for night, count in zip(contract.nights, pickup, strict=True)
            ],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["assessment"]["total"] == expected["damages"]
    # Break-even: a cumulative clause has one figure over the stay (its minimum is 80 room nights).
    total = body["break_even_total"]
    assert total["scope"] == "stay"
    assert (total["room_nights"], total["on_the_books"], total["still_needed_room_nights"]) == (80, 38, 42)
    break_even = body["break_even"]
    assert sum(n["break_even_room_nights"] for n in break_even) == 80
    assert [n["still_needed_room_nights"] for n in break_even] == [
        n["break_even_room_nights"] - booked for n, booked in zip(break_even, (20, 18), strict=True)
    ]
    at_break_even = what_if(
        client,
        admin_key,
        reported,
        {
            "as_of": contract.departure_date.isoformat(),
            "pickup": [
                {"night": n["night"], "room_type": "king", "room_nights": n["break_even_room_nights"]}
                for n in break_even
            ],
        },
    )
    assert at_break_even.json()["assessment"]["total"]["amount"] == "0.00"


def test_with_ten_comparable_blocks_a_history_method_is_chosen_and_the_reason_given(
    client: TestClient, admin_key: str, hotel: Hotel, reported: int
) -> None:
    hotel.import_history(multiplicative_blocks(12))
    hotel.import_history(multiplicative_blocks(12, segment="wedding", prefix="wedding"))
    elsewhere = Hotel(client, admin_key, name="Other Hotel")
    elsewhere.import_history(multiplicative_blocks(12, prefix="elsewhere"))

    body = forecast(client, admin_key, reported)

    assert body["history_blocks"] == 12  # this property's corporate blocks only
    method = body["method"]
    assert method["name"] == "multiplicative"
    assert method["band_source"] == "history"
    assert method["comparable_blocks"] == 12
    assert (
        "multiplicative pickup has the lowest leave-one-out error over 12 comparable corporate blocks"
        in method["reason"]
    )
    assert {score["method"] for score in method["scores"]} == {
        "additive",
        "multiplicative",
        "historical_wash",
    }
    scores = {score["method"]: Decimal(score["mape_pct"]) for score in method["scores"]}
    assert scores["multiplicative"] == 0 < min(scores["additive"], scores["historical_wash"])
    # final = 2 x on the books, night by night: 40 + 36 = 76 room nights, 4 short of 80.
    assert [Decimal(n["expected"]) for n in body["projection"]["nights"]] == [
        Decimal("40.0"),
        Decimal("36.0"),
    ]
    assert scenario(body, "expected")["damages"] == {
        "amount": usd(4 * RATE * Decimal("0.8")),
        "currency": "USD",
    }
    nights = body["projection"]["nights"]
    assert all(Decimal(n["low"]) <= Decimal(n["expected"]) <= Decimal(n["high"]) for n in nights)


def test_the_priors_are_data_named_by_an_environment_variable(
    client: TestClient,
    admin_key: str,
    hotel: Hotel,
    reported: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hotel.import_history(multiplicative_blocks(3))
    assert forecast(client, admin_key, reported)["method"]["name"] == "booking_curve"  # 10 needed
    priors = tmp_path / "priors.yaml"
    priors.write_text(
        "min_history_blocks: 3\n"
        "segments:\n"
        "  other:\n"
        "    wash_pct: 10\n"
        "    booking_curve: [{days_before_arrival: 0, pct: 100}]\n"
        "    band: [{days_before_arrival: 0, pct: 10}]\n"
    )
    monkeypatch.setenv("ATTRITION_FORECAST_PRIORS", str(priors))

    body = forecast(client, admin_key, reported)

    assert body["method"]["name"] == "multiplicative"
    assert "over 3 comparable corporate blocks" in body["method"]["reason"]


def test_an_open_reduction_right_is_priced_used_now_and_not(
    client: TestClient, admin_key: str, hotel: Hotel
) -> None:
    contract_id = hotel.contract(
        terms(
            "with-right",
            reduction_rights=[{"name": "Review", "until_days_before_arrival": 21, "max_pct": 20}],
        )
    )
    hotel.pickup(contract_id, AT_30_DAYS, (20, 18))

    (option,) = forecast(client, admin_key, contract_id)["reductions"]

    assert option["right"] == "Review"
    assert option["deadline"] == (ARRIVAL - timedelta(days=21)).isoformat()
    assert 0 < option["room_nights"] <= 20
    used = {s["scenario"]: Decimal(s["damages"]["amount"]) for s in option["if_used"]}
    not_used = {s["scenario"]: Decimal(s["damages"]["amount"]) for s in option["if_not_used"]}
    assert used["expected"] < not_used["expected"]


def test_a_contract_that_cannot_be_forecast_is_a_conflict_or_a_bad_date(
    client: TestClient, admin_key: str, hotel: Hotel, reported: int
) -> None:
    url = f"/api/v1/contracts/{reported}/forecast"
    after = client.get(
        url, headers=bearer(admin_key), params={"as_of": (ARRIVAL + timedelta(days=1)).isoformat()}
    )
    assert after.status_code == 422
    assert fields(after) == ["as_of"]
    too_early = client.get(url, headers=bearer(admin_key), params={"as_of": "2010-01-01"})
    assert too_early.status_code == 422
    assert fields(too_early) == ["as_of"]

    cancelled = hotel.contract(terms("cancelled-by-notice"))
    notice = client.post(
        f"/api/v1/contracts/{cancelled}/actuals",
        headers=bearer(admin_key),
        json={"as_of": "2027-01-05", "cancellation_notice_date": "2027-01-05"},
    )
    assert notice.status_code == 201, notice.text
    response = client.get(
        f"/api/v1/contracts/{cancelled}/forecast", headers=bearer(admin_key), params={"as_of": "2027-01-10"}
    )
    assert response.status_code == 409
    assert fields(response) == ["cancellation_notice_date"]
    before_notice = client.get(
        f"/api/v1/contracts/{cancelled}/forecast", headers=bearer(admin_key), params={"as_of": "2027-01-04"}
    )
    assert before_notice.status_code == 200

    hotel.set_status(reported, "completed")
    completed = client.get(url, headers=bearer(admin_key), params={"as_of": AT_30_DAYS.isoformat()})
    assert completed.status_code == 409
    assert fields(completed) == ["status"]


# --- what if ---------------------------------------------------------------------------------------


def test_what_if_a_full_block_owes_nothing_and_no_pickup_owes_the_most(
    client: TestClient, admin_key: str, reported: int, session: Session
) -> None:
    departure = (ARRIVAL + timedelta(days=2)).isoformat()
    nights = [(ARRIVAL + timedelta(days=index)).isoformat() for index in range(2)]
    pickup_rows = len(repo.pickup_history(session, reported))

    full = what_if(
        client,
        admin_key,
        reported,
        {
            "as_of": departure,
            "pickup": [
                {"night": night, "room_type": "king", "room_nights": 50, "rate": "200.00"} for night in nights
            ],
        },
    )
    nothing = what_if(client, admin_key, reported, {"as_of": departure, "pickup": []})

    assert full.status_code == nothing.status_code == 200, (full.text, nothing.text)
    assert full.json()["assessment"]["total"] == {"amount": "0.00", "currency": "USD"}
    # Nothing picked up: the whole minimum, ceil(80 % x 100) = 80 room nights, at 200.00 x 80 %.
    assert nothing.json()["assessment"]["total"] == {
        "amount": usd(80 * RATE * Decimal("0.8")),
        "currency": "USD",
    }
    assert nothing.json()["contract_id"] == reported
    assert nothing.json()["as_of"] == departure
    stored = client.get(
        f"/api/v1/contracts/{reported}/assessment", headers=bearer(admin_key), params={"as_of": departure}
    )
    assert set(nothing.json()) == set(stored.json())
    assert set(nothing.json()["assessment"]) == set(stored.json()["assessment"])
    # Nothing was written.
    assert len(repo.pickup_history(session, reported)) == pickup_rows
    assert repo.stored_assessments(session, reported) == []


def test_a_reduction_what_if_lowers_the_damages(client: TestClient, admin_key: str, hotel: Hotel) -> None:
    contract_id = hotel.contract(
        terms(
            "reducing",
            reduction_rights=[{"until_days_before_arrival": 45, "max_pct": 20, "basis": "original"}],
        )
    )
    hotel.pickup(contract_id, ARRIVAL - timedelta(days=60), (10, 10))
    day = (ARRIVAL - timedelta(days=50)).isoformat()
    now = client.get(
        f"/api/v1/contracts/{contract_id}/assessment", headers=bearer(admin_key), params={"as_of": day}
    )
    assert now.status_code == 200
    # Pickup to date (20) against the minimum of 80: 60 short.
    assert now.json()["assessment"]["total"]["amount"] == usd(60 * RATE * Decimal("0.8"))

    by_pct = what_if(client, admin_key, contract_id, {"as_of": day, "reduction": {"pct": 20}})
    by_cells = what_if(
        client,
        admin_key,
        contract_id,
        {
            "as_of": day,
            "reduction": {
                "cells": [
                    {"night": (ARRIVAL + timedelta(days=index)).isoformat(), "room_type": "king", "rooms": 10}
                    for index in range(2)
                ]
            },
        },
    )

    assert by_pct.status_code == by_cells.status_code == 200, (by_pct.text, by_cells.text)
    # 20 room nights off: the minimum is ceil(80 % x 80) = 64, 44 short.
    assert by_pct.json()["assessment"]["total"]["amount"] == usd(44 * RATE * Decimal("0.8"))
    assert by_cells.json()["assessment"]["total"] == by_pct.json()["assessment"]["total"]
    # With an assumed pickup as well.
    both = what_if(
        client,
        admin_key,
        contract_id,
        {
            "as_of": day,
            "reduction": {"pct": 20},
            "pickup": [{"night": ARRIVAL.isoformat(), "room_type": "king", "room_nights": 40}],
        },
    )
    assert both.json()["assessment"]["total"]["amount"] == usd(24 * RATE * Decimal("0.8"))

    beyond = what_if(client, admin_key, contract_id, {"as_of": day, "reduction": {"pct": 30}})
    assert beyond.status_code == 422
    assert fields(beyond) == ["reduction"]
    late = what_if(client, admin_key, contract_id, {"as_of": "2027-02-01", "reduction": {"pct": 10}})
    assert late.status_code == 422
    assert fields(late) == ["reduction"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, ""),
        ({"pickup": [{"night": "2027-03-20", "room_type": "king", "room_nights": 5}]}, "pickup[0].night"),
        (
            {"pickup": [{"night": "2027-03-10", "room_type": "king", "room_nights": -1}]},
            "pickup[0].room_nights",
        ),
        (
            {
                "pickup": [
                    {"night": "2027-03-10", "room_type": "king", "room_nights": 5},
                    {"night": "2027-03-10", "room_type": "king", "room_nights": 6},
                ]
            },
            "pickup[1]",
        ),
        ({"reduction": {"pct": 10, "cells": []}}, "reduction.cells"),
        ({"reduction": {"pct": 0.1}}, "reduction.pct"),
        (
            {"reduction": {"cells": [{"night": "2027-03-10", "room_type": "suite", "rooms": 1}]}},
            "reduction.cells[0]",
        ),
        ({"pickup": [], "extra": 1}, "extra"),
        (
            {"pickup": [{"night": "2027-03-10", "room_type": "king", "room_nights": 5, "rate": "10.00 EUR"}]},
            "pickup[0].rate",
        ),
    ],
)
def test_what_if_problems_name_the_field(
    client: TestClient, admin_key: str, reported: int, body: dict[str, Any], field: str
) -> None:
    response = what_if(client, admin_key, reported, body)
    assert response.status_code == 422, response.text
    assert field in fields(response)


# --- the portfolio ---------------------------------------------------------------------------------


def test_the_portfolio_is_sorted_by_expected_damages_filtered_and_scoped(
    client: TestClient, admin_key: str, hotel: Hotel, make_key: Callable[[Access, set[int]], str]
) -> None:
    ids = {}
    for reference, arrival, booked in (
        ("steady", date(2027, 4, 10), (40, 40)),
        ("slow", date(2027, 3, 10), (5, 5)),
        ("middling", date(2027, 3, 20), (20, 18)),
    ):
        ids[reference] = hotel.contract(terms(reference, arrival))
        hotel.pickup(ids[reference], date(2027, 1, 20), booked, arrival=arrival)
    hotel.contract(terms("done", date(2027, 3, 1)), status="completed")
    hotel.contract(terms("dropped", date(2027, 3, 1)), status="cancelled")
    in_house = hotel.contract(terms("in-house", date(2027, 2, 5)))
    hotel.contract(terms("gone", date(2027, 1, 10)))
    other = Hotel(client, admin_key, name="Other Hotel")
    theirs = other.contract(terms("theirs", date(2027, 3, 15)))
    as_of = {"as_of": "2027-02-06"}

    response = client.get(
        "/api/v1/exposure", headers=bearer(admin_key), params={**as_of, "property_id": hotel.id}
    )

    assert response.status_code == 200, response.text
    page = response.json()
    items = page["items"]
    assert items[0]["reference"] == "slow"
    assert {item["contract_id"] for item in items} == set(ids.values())
    assert page["total"] == 3
    expected = [Decimal(item["damages"]["expected"]["amount"]) for item in items]
    assert expected == sorted(expected, reverse=True)
    assert expected[0] > expected[-1]
    assert [(item["contract_id"], "after arrival" in item["reason"]) for item in page["not_forecast"]] == [
        (in_house, True)
    ]
    for item in items:
        low, mid, high = (Decimal(item["projected_room_nights"][k]) for k in ("low", "expected", "high"))
        assert low <= mid <= high
        assert item["method"] == "booking_curve"
        assert item["as_of"] == "2027-02-06"
    slow = items[0]
    own = forecast(client, admin_key, ids["slow"], date(2027, 2, 6))
    assert slow["damages"]["expected"] == scenario(own, "expected")["damages"]
    assert slow["probability_of_damages_pct"] == own["probability_of_damages_pct"]
    assert slow["on_the_books_room_nights"] == 10
    assert slow["block_room_nights"] == 100

    everyone = client.get("/api/v1/exposure", headers=bearer(admin_key), params=as_of).json()
    assert {item["contract_id"] for item in everyone["items"]} == {*ids.values(), theirs}
    window = client.get(
        "/api/v1/exposure",
        headers=bearer(admin_key),
        params={**as_of, "arrival_from": "2027-03-15", "arrival_to": "2027-03-31"},
    ).json()
    assert {item["contract_id"] for item in window["items"]} == {ids["middling"], theirs}
    second = client.get(
        "/api/v1/exposure",
        headers=bearer(admin_key),
        params={**as_of, "property_id": hotel.id, "limit": 1, "offset": 1},
    ).json()
    assert second["total"] == 3
    assert [item["contract_id"] for item in second["items"]] == [items[1]["contract_id"]]

    their_key = make_key(Access.READ, {other.id})
    scoped = client.get("/api/v1/exposure", headers=bearer(their_key), params=as_of).json()
    assert [item["contract_id"] for item in scoped["items"]] == [theirs]
    assert scoped["not_forecast"] == []
    hidden = client.get(
        "/api/v1/exposure", headers=bearer(their_key), params={**as_of, "property_id": hotel.id}
    )
    assert hidden.status_code == 404


# --- the history of finished blocks ----------------------------------------------------------------


def test_completing_a_contract_keeps_its_block_once_and_later_forecasts_use_it(
    client: TestClient, admin_key: str, hotel: Hotel
) -> None:
    hotel.import_history(multiplicative_blocks(9))
    corporate = hotel.account("Northwind", "corporate")
    arrival = date(2026, 12, 1)
    # The group segment is left to "other": the account's segment is the comparable one.
    finished = hotel.contract(
        terms("northwind-2026", arrival, (80, 80), group={"name": "Northwind", "segment": "other"}), corporate
    )
    for days, booked in ((90, 10), (60, 20), (30, 30), (14, 45), (0, 55)):
        hotel.pickup(finished, arrival - timedelta(days=days), (booked, booked), arrival=arrival)
    hotel.pickup(finished, arrival + timedelta(days=4), (60, 60), arrival=arrival)
    hotel.pickup(finished, arrival + timedelta(days=4), (5, 5), source="comp", arrival=arrival)
    upcoming = hotel.contract(terms("next-corporate"))
    hotel.pickup(upcoming, AT_30_DAYS, (20, 18))
    before = forecast(client, admin_key, upcoming)
    assert before["method"]["name"] == "booking_curve"
    assert "only 9 comparable corporate blocks" in before["method"]["reason"]

    hotel.set_status(finished, "completed")
    hotel.set_status(finished, "completed")  # saved again: still one block

    history = hotel.history()
    assert history["total"] == 10
    (kept,) = [block for block in history["items"] if block["contract_id"] == finished]
    assert kept["reference"] == "northwind-2026"
    assert kept["segment"] == "corporate"
    assert kept["account_id"] == corporate
    assert kept["arrival_date"] == arrival.isoformat()
    assert kept["block_room_nights"] == 160
    assert kept["final_room_nights"] == 120  # the latest credited figures, comps left out
    assert kept["on_the_books"] == [
        {"days_before_arrival": days, "room_nights": 2 * booked}
        for days, booked in ((90, 10), (60, 20), (30, 30), (14, 45), (0, 55))
    ]
    after = forecast(client, admin_key, upcoming)
    assert after["history_blocks"] == 10
    assert after["method"]["name"] == "multiplicative"
    assert "over 10 comparable corporate blocks" in after["method"]["reason"]


def test_a_finished_blocks_curve_has_the_standard_lead_times_its_reports_reach(hotel: Hotel) -> None:
    arrival = date(2026, 12, 1)
    finished = hotel.contract(terms("two-reports", arrival))
    hotel.pickup(finished, arrival - timedelta(days=40), (10, 10), arrival=arrival)
    hotel.pickup(finished, arrival - timedelta(days=20), (30, 20), arrival=arrival)
    hotel.pickup(finished, arrival + timedelta(days=2), (45, 40), arrival=arrival)
    never_reported = hotel.contract(terms("no-reports", arrival))

    hotel.set_status(finished, "completed")
    hotel.set_status(never_reported, "completed")

    (kept,) = hotel.history()["items"]
    assert kept["contract_id"] == finished
    # Reports 40 and 20 days out; 30, 14 and 0 days out read the latest report by then; 60 is before any.
    assert kept["on_the_books"] == [
        {"days_before_arrival": 40, "room_nights": 20},
        {"days_before_arrival": 30, "room_nights": 20},
        {"days_before_arrival": 20, "room_nights": 50},
        {"days_before_arrival": 14, "room_nights": 50},
        {"days_before_arrival": 0, "room_nights": 50},
    ]
    assert kept["final_room_nights"] == 85


HISTORY_TEXT = """{
  "blocks": [
    {"id": "acme-2025", "segment": "corporate", "account": "ACME", "arrival_date": "2025-05-01",
     "block_room_nights": 40, "final_room_nights": 30,
     "on_the_books": [{"days_before_arrival": 30, "room_nights": 20}]},
    {"segment": "wedding", "block_room_nights": 20, "final_room_nights": 15,
     "on_the_books": [{"days_before_arrival": 30, "room_nights": 12}]}
  ]
}"""


def post_history(client: TestClient, key: str, property_id: int, text: str) -> Any:
    return client.post(
        f"/api/v1/properties/{property_id}/history",
        headers={**bearer(key), "Content-Type": "application/json"},
        content=text.encode(),
    )


def test_imported_history_is_listed_with_its_accounts_and_filtered_by_segment(
    client: TestClient, admin_key: str, hotel: Hotel
) -> None:
    response = post_history(client, admin_key, hotel.id, HISTORY_TEXT)

    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 2
    listed = hotel.history()
    assert listed["total"] == 2
    acme = next(item for item in listed["items"] if item["reference"] == "acme-2025")
    assert acme["arrival_date"] == "2025-05-01"
    assert acme["contract_id"] is None
    accounts = client.get(
        "/api/v1/accounts", headers=bearer(admin_key), params={"property_id": hotel.id}
    ).json()
    (account,) = accounts["items"]
    assert (account["id"], account["name"], account["segment"]) == (acme["account_id"], "ACME", "corporate")
    (wedding,) = hotel.history(segment="wedding")["items"]
    assert wedding["reference"].startswith("block-")
    assert wedding["on_the_books"] == [{"days_before_arrival": 30, "room_nights": 12}]

    again = post_history(client, admin_key, hotel.id, HISTORY_TEXT)
    assert again.status_code == 409
    assert [(e["field"], e.get("line")) for e in again.json()["errors"]] == [
        ("blocks[0].id", 3),
        ("blocks[1].id", 6),
    ]
    assert hotel.history()["total"] == 2


@pytest.mark.parametrize(
    ("text", "status", "problems"),
    [
        (
            HISTORY_TEXT.replace('"block_room_nights": 20', '"block_room_nights": 0'),
            422,
            [("blocks[1].block_room_nights", 6)],
        ),
        (
            HISTORY_TEXT.replace('{"segment": "wedding"', '{"id": "acme-2025", "segment": "wedding"'),
            422,
            [("blocks[1].id", 6)],
        ),
        (
            HISTORY_TEXT.replace('"segment": "wedding"', '"segment": "funeral"'),
            422,
            [("blocks[1].segment", 6)],
        ),
        (HISTORY_TEXT.replace("]}", "]"), 400, None),
        ('{"blocks": []}', 422, [("blocks", 1)]),
        ("[]", 422, [("", 1)]),
    ],
)
def test_history_import_problems_name_the_field_and_line_and_save_nothing(
    client: TestClient,
    admin_key: str,
    hotel: Hotel,
    text: str,
    status: int,
    problems: list[tuple[str, int]] | None,
) -> None:
    response = post_history(client, admin_key, hotel.id, text)

    assert response.status_code == status, response.text
    found = [(e["field"], e.get("line")) for e in response.json()["errors"]]
    if problems is None:
        assert found
        assert all(line is not None for _, line in found)
    else:
        assert found == problems
    assert hotel.history()["total"] == 0
    accounts = client.get(
        "/api/v1/accounts", headers=bearer(admin_key), params={"property_id": hotel.id}
    ).json()
    assert accounts["total"] == 0


# --- who may do what -------------------------------------------------------------------------------


def test_read_keys_forecast_and_ask_what_if_but_only_for_their_property(
    client: TestClient, hotel: Hotel, reported: int, make_key: Callable[[Access, set[int]], str]
) -> None:
    """What-if writes nothing, so read access suffices; importing history needs write access."""
    reader = make_key(Access.READ, {hotel.id})
    other = Hotel(client, hotel.key, name="Other Hotel")
    stranger = make_key(Access.READ_WRITE, {other.id})
    guess = {"pickup": []}

    assert forecast(client, reader, reported)["contract_id"] == reported
    assert what_if(client, reader, reported, guess).status_code == 200
    assert client.get(f"/api/v1/properties/{hotel.id}/history", headers=bearer(reader)).status_code == 200
    refused = post_history(client, reader, hotel.id, HISTORY_TEXT)
    assert refused.status_code == 403

    assert client.get(f"/api/v1/contracts/{reported}/forecast", headers=bearer(stranger)).status_code == 404
    assert what_if(client, stranger, reported, guess).status_code == 404
    assert client.get(f"/api/v1/properties/{hotel.id}/history", headers=bearer(stranger)).status_code == 404
    assert post_history(client, stranger, hotel.id, HISTORY_TEXT).status_code == 404
    assert client.get(f"/api/v1/contracts/{reported}/forecast").status_code == 401
    assert client.get("/api/v1/exposure").status_code == 401
    assert hotel.history()["total"] == 0


def test_history_import_needs_a_json_body(client: TestClient, admin_key: str, hotel: Hotel) -> None:
    response = client.post(
        f"/api/v1/properties/{hotel.id}/history",
        headers={**bearer(admin_key), "Content-Type": "text/plain"},
        content=json.dumps({"blocks": []}).encode(),
    )
    assert response.status_code == 415


def test_nothing_is_stored_by_a_forecast(
    client: TestClient, admin_key: str, reported: int, session: Session
) -> None:
    forecast(client, admin_key, reported)
    client.get("/api/v1/exposure", headers=bearer(admin_key))
    assert repo.count_rows(session, AssessmentRecord) == 0
