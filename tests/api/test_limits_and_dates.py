"""The documented limits and ISO-only dates over the API: a 422 naming the field and the limit, before
any work; on SQLite and on PostgreSQL (where a NUL in a name used to be a 500)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.engine.limits import MAX_HISTORY_BLOCKS, MAX_NIGHTS, MAX_PICKUP_ROWS
from tests.api.conftest import bearer, property_body

ARRIVAL = date(2027, 6, 1)


def terms(reference: str = "limits", nights: int = 2, **changes: Any) -> dict[str, Any]:
    return {
        "id": reference,
        "group": {"name": "Limits Group"},
        "currency": "USD",
        "arrival_date": ARRIVAL.isoformat(),
        "departure_date": (ARRIVAL + timedelta(days=nights)).isoformat(),
        "block": [{"night": ARRIVAL.isoformat(), "room_type": "king", "rooms": 10, "rate": "150.00"}],
        "attrition": {"performance_pct": 80},
        **changes,
    }


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {error["field"]: error["message"] for error in response.json()["errors"]}


@pytest.fixture
def hotel(client: TestClient, admin_key: str) -> int:
    made = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body())
    assert made.status_code == 201, made.text
    property_id: int = made.json()["id"]
    return property_id


@pytest.fixture
def contract_id(client: TestClient, admin_key: str, hotel: int) -> int:
    made = client.post(
        "/api/v1/contracts", headers=bearer(admin_key), json={"property_id": hotel, "contract": terms()}
    )
    assert made.status_code == 201, made.text
    created: int = made.json()["id"]
    return created


def post_contract(client: TestClient, key: str, hotel: int, contract: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/contracts", headers=bearer(key), json={"property_id": hotel, "contract": contract}
    )


# --- dates -----------------------------------------------------------------------------------------

NOT_DATES = ["0", "-3.57e-249", "20270301", "2027-W22-1", "2027-06-01T00:00"]


@pytest.mark.parametrize("value", NOT_DATES)
@pytest.mark.parametrize("path", ["assessment", "forecast", "report.pdf", "actuals"])
def test_a_query_date_that_is_not_yyyy_mm_dd_is_refused_naming_the_parameter(
    client: TestClient, admin_key: str, contract_id: int, path: str, value: str
) -> None:
    answer = client.get(
        f"/api/v1/contracts/{contract_id}/{path}", params={"as_of": value}, headers=bearer(admin_key)
    )
    assert problems(answer) == {"query.as_of": "a date is written YYYY-MM-DD, for example 2027-03-29"}


def test_list_and_portfolio_filters_take_iso_dates_only(client: TestClient, admin_key: str) -> None:
    listed = client.get("/api/v1/contracts", params={"arrival_from": "0"}, headers=bearer(admin_key))
    portfolio = client.get("/api/v1/exposure", params={"as_of": "-3.57e-249"}, headers=bearer(admin_key))
    assert list(problems(listed)) == ["query.arrival_from"]
    assert list(problems(portfolio)) == ["query.as_of"]


def test_a_body_date_written_as_a_number_is_refused(
    client: TestClient, admin_key: str, hotel: int, contract_id: int
) -> None:
    pickup = {"as_of": 0, "entries": [{"night": ARRIVAL.isoformat(), "room_type": "king", "room_nights": 1}]}
    answer = client.post(f"/api/v1/contracts/{contract_id}/pickup", headers=bearer(admin_key), json=pickup)
    assert problems(answer) == {"as_of": "a date is written YYYY-MM-DD, for example 2027-03-29"}
    contract = post_contract(client, admin_key, hotel, terms("numbered", arrival_date=20270601))
    assert list(problems(contract)) == ["contract.arrival_date"]


def test_a_csv_report_date_in_another_iso_form_is_refused_with_its_line(
    client: TestClient, admin_key: str, contract_id: int
) -> None:
    text = f"night,room_type,room_nights,as_of\n{ARRIVAL.isoformat()},king,3,20270501\n"
    answer = client.post(
        f"/api/v1/contracts/{contract_id}/pickup",
        headers={**bearer(admin_key), "Content-Type": "text/csv"},
        content=text.encode(),
    )
    assert answer.status_code == 422, answer.text
    assert [(e["field"], e.get("line")) for e in answer.json()["errors"]] == [("as_of", 2)]


# --- contracts ------------------------------------------------------------------------------------


def test_a_stay_longer_than_the_limit_is_refused_naming_the_limit(
    client: TestClient, admin_key: str, hotel: int
) -> None:
    answer = post_contract(client, admin_key, hotel, terms("long", nights=MAX_NIGHTS + 1))
    assert problems(answer) == {"contract.departure_date": "a stay is at most 400 nights; this one has 401"}
    assert post_contract(client, admin_key, hotel, terms("longest", nights=MAX_NIGHTS)).status_code == 201


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("1" + "0" * 26, "is larger than the largest amount accepted, 1,000,000,000,000"),
        ("1" + "0" * 5000, "(5,001 characters) is larger than the largest amount accepted"),
        ({"amount": "1e26", "currency": "USD"}, "'1e26' is not an amount"),
        ("150.001", "more decimal places than USD allows (2)"),
    ],
)
def test_amounts_beyond_the_limits_are_refused(
    client: TestClient, admin_key: str, hotel: int, rate: object, message: str
) -> None:
    contract = terms()
    contract["block"][0]["rate"] = rate
    found = problems(post_contract(client, admin_key, hotel, contract))
    assert list(found) == ["contract.block[0].rate"]
    assert message in found["contract.block[0].rate"]


NUL_NAME = "a\u0000b"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/properties", property_body(name=NUL_NAME), "name"),
        ("/api/v1/properties", property_body(address="1 Quay\u0000"), "address"),
        ("/api/v1/api-keys", {"name": NUL_NAME, "access": "admin"}, "name"),
    ],
)
def test_a_nul_in_a_name_is_refused_not_a_server_error(
    client: TestClient, admin_key: str, url: str, body: dict[str, Any], field: str
) -> None:
    found = problems(client.post(url, headers=bearer(admin_key), json=body))
    assert list(found) == [field]
    assert "control characters such as NUL" in found[field]


def test_a_nul_in_an_account_or_contract_name_is_refused(
    client: TestClient, admin_key: str, hotel: int
) -> None:
    account = client.post(
        "/api/v1/accounts", headers=bearer(admin_key), json={"property_id": hotel, "name": NUL_NAME}
    )
    contract = post_contract(client, admin_key, hotel, terms(name=NUL_NAME))
    group = post_contract(client, admin_key, hotel, terms(group={"name": NUL_NAME}))
    assert list(problems(account)) == ["name"]
    assert list(problems(contract)) == ["contract.name"]
    assert list(problems(group)) == ["contract.group.name"]


# --- row counts ------------------------------------------------------------------------------------


def test_a_pickup_report_over_the_row_limit_is_refused_as_json_and_as_csv(
    client: TestClient, admin_key: str, contract_id: int
) -> None:
    row = {"night": ARRIVAL.isoformat(), "room_type": "king", "room_nights": 1}
    report = {"as_of": "2027-05-01", "entries": [row] * (MAX_PICKUP_ROWS + 1)}
    answer = client.post(f"/api/v1/contracts/{contract_id}/pickup", headers=bearer(admin_key), json=report)
    assert problems(answer) == {"entries": "at most 10,000 rows (10,001 given)"}

    text = "night,room_type,room_nights\n" + f"{ARRIVAL.isoformat()},king,1\n" * (MAX_PICKUP_ROWS + 1)
    csv_answer = client.post(
        f"/api/v1/contracts/{contract_id}/pickup",
        params={"as_of": "2027-05-01"},
        headers={**bearer(admin_key), "Content-Type": "text/csv"},
        content=text.encode(),
    )
    assert csv_answer.status_code == 422, csv_answer.text
    [error] = csv_answer.json()["errors"]
    assert (error["message"], error["line"]) == ("at most 10,000 rows per report", MAX_PICKUP_ROWS + 2)


def test_a_history_import_over_the_block_limit_is_refused_naming_the_limit(
    client: TestClient, admin_key: str, hotel: int
) -> None:
    block = {
        "block_room_nights": 100,
        "final_room_nights": 80,
        "on_the_books": [{"days_before_arrival": 30, "room_nights": 40}],
    }
    body = json.dumps({"blocks": [block] * (MAX_HISTORY_BLOCKS + 1)})
    answer = client.post(
        f"/api/v1/properties/{hotel}/history",
        headers={**bearer(admin_key), "Content-Type": "application/json"},
        content=body.encode(),
    )
    assert problems(answer) == {"blocks": "at most 10,000 blocks per import (10,001 given)"}
