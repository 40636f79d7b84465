"""Booking-system codes: a property's hotel code, a contract's block code (read and upsert by them), and
a property's room-type codes applied to pickup (JSON, CSV, .xlsx), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services import auth
from tests.api.conftest import bearer
from tests.api.test_pickup import errors, pickup_url, post_csv, sample_terms, stored_pickup
from tests.workbooks import workbook

WEDDING = "wedding-block-cliff"  # nights 2027-10-08 and 2027-10-09; king, double, suite; USD


def create_property(client: TestClient, key: str, **fields: Any) -> dict[str, Any]:
    prop, _ = sample_terms(WEDDING)
    response = client.post("/api/v1/properties", headers=bearer(key), json={**prop, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def terms(**changes: Any) -> dict[str, Any]:
    _, contract = sample_terms(WEDDING)
    return {**contract, **changes}


def by_code(hotel: str, block: str) -> str:
    return f"/api/v1/properties/by-code/{hotel}/blocks/{block}"


def set_codes(client: TestClient, key: str, property_id: int, codes: dict[str, str]) -> Any:
    return client.put(
        f"/api/v1/properties/{property_id}/room-type-codes", headers=bearer(key), json={"codes": codes}
    )


# --- hotel and block codes --------------------------------------------------------------------------


def test_a_hotel_code_is_kept_as_written_and_unique(client: TestClient, admin_key: str) -> None:
    first = create_property(client, admin_key, hotel_code="BER.Mit_1")
    assert first["hotel_code"] == "BER.Mit_1"

    prop, _ = sample_terms(WEDDING)
    taken = client.post(
        "/api/v1/properties", headers=bearer(admin_key), json={**prop, "hotel_code": "BER.Mit_1"}
    )
    assert taken.status_code == 409, taken.text
    assert errors(taken) == [("hotel_code", None)]

    for bad in ("", "BER MIT", "x" * 33, "ber<1>"):
        refused = client.post(
            "/api/v1/properties", headers=bearer(admin_key), json={**prop, "hotel_code": bad}
        )
        assert refused.status_code == 422, bad
        assert errors(refused) == [("hotel_code", None)]


def test_a_property_update_keeps_the_hotel_code_unless_it_names_one(
    client: TestClient, admin_key: str
) -> None:
    created = create_property(client, admin_key, hotel_code="HP1")
    url = f"/api/v1/properties/{created['id']}"
    prop, _ = sample_terms(WEDDING)

    kept = client.put(
        url, headers={**bearer(admin_key), "If-Match": '"r1"'}, json={**prop, "name": "Renamed"}
    )
    assert kept.status_code == 200, kept.text
    assert (kept.json()["name"], kept.json()["hotel_code"]) == ("Renamed", "HP1")

    cleared = client.put(
        url, headers={**bearer(admin_key), "If-Match": '"r2"'}, json={**prop, "hotel_code": None}
    )
    assert cleared.json()["hotel_code"] is None


def test_a_block_code_like_grp1_creates_reads_and_replaces_a_contract(
    client: TestClient, admin_key: str
) -> None:
    prop = create_property(client, admin_key, hotel_code="HARBOR")
    body = {"contract": {key: value for key, value in terms().items() if key != "id"}}

    created = client.put(by_code("HARBOR", "GRP1"), headers=bearer(admin_key), json=body)

    assert created.status_code == 201, created.text
    contract = created.json()
    assert (contract["reference"], contract["block_code"], contract["property_id"]) == (
        "grp1",
        "GRP1",
        prop["id"],
    )
    assert created.headers["Location"] == f"/api/v1/contracts/{contract['id']}"
    read = client.get(by_code("HARBOR", "GRP1"), headers=bearer(admin_key))
    assert read.status_code == 200
    assert read.json()["id"] == contract["id"]
    assert read.headers["ETag"] == '"r1"'
    assert (
        client.get(f"/api/v1/contracts/{contract['id']}", headers=bearer(admin_key)).json()["block_code"]
        == "GRP1"
    )

    no_if_match = client.put(by_code("HARBOR", "GRP1"), headers=bearer(admin_key), json=body)
    assert no_if_match.status_code == 428, no_if_match.text
    renamed = {"contract": {**body["contract"], "name": "Renamed wedding"}}
    stale = client.put(
        by_code("HARBOR", "GRP1"), headers={**bearer(admin_key), "If-Match": '"r7"'}, json=renamed
    )
    assert stale.status_code == 412
    replaced = client.put(
        by_code("HARBOR", "GRP1"), headers={**bearer(admin_key), "If-Match": '"r1"'}, json=renamed
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["id"], replaced.json()["current_version"]) == (contract["id"], 2)
    assert replaced.json()["contract"]["name"] == "Renamed wedding"
    assert replaced.json()["reference"] == "grp1"


def test_block_codes_are_unique_per_property_and_set_through_the_contract_routes(
    client: TestClient, admin_key: str
) -> None:
    prop = create_property(client, admin_key, hotel_code="HARBOR")
    other = create_property(client, admin_key, hotel_code="OTHER")
    created = client.post(
        "/api/v1/contracts",
        headers=bearer(admin_key),
        json={"property_id": prop["id"], "block_code": "GRP1", "contract": terms()},
    )
    assert created.status_code == 201, created.text
    assert created.json()["block_code"] == "GRP1"

    again = client.post(
        "/api/v1/contracts",
        headers=bearer(admin_key),
        json={"property_id": prop["id"], "block_code": "GRP1", "contract": terms(id="second")},
    )
    assert again.status_code == 409, again.text
    assert errors(again) == [("block_code", None)]
    elsewhere = client.post(
        "/api/v1/contracts",
        headers=bearer(admin_key),
        json={"property_id": other["id"], "block_code": "GRP1", "contract": terms()},
    )
    assert elsewhere.status_code == 201, elsewhere.text
    # Case is kept: grp1 is another code.
    lower = client.put(
        by_code("HARBOR", "grp1"), headers=bearer(admin_key), json={"contract": terms(id="lower")}
    )
    assert lower.status_code == 201, lower.text

    url = f"/api/v1/contracts/{created.json()['id']}"
    kept = client.put(url, headers={**bearer(admin_key), "If-Match": '"r1"'}, json={"contract": terms()})
    assert kept.status_code == 200, kept.text
    assert kept.json()["block_code"] == "GRP1"
    moved = client.put(
        url,
        headers={**bearer(admin_key), "If-Match": '"r2"'},
        json={"block_code": "grp1", "contract": terms()},
    )
    assert moved.status_code == 409
    assert errors(moved) == [("block_code", None)]


def test_unknown_codes_and_other_hotels_are_not_found(
    client: TestClient, admin_key: str, make_key: Callable[[auth.Access, set[int]], str]
) -> None:
    prop = create_property(client, admin_key, hotel_code="HARBOR")
    other = create_property(client, admin_key, hotel_code="OTHER")
    client.put(by_code("HARBOR", "GRP1"), headers=bearer(admin_key), json={"contract": terms()})
    outsider = make_key(auth.Access.READ_WRITE, {other["id"]})
    reader = make_key(auth.Access.READ, {prop["id"]})

    assert client.get(by_code("NOPE", "GRP1"), headers=bearer(admin_key)).status_code == 404
    assert client.get(by_code("HARBOR", "GRP2"), headers=bearer(admin_key)).status_code == 404
    assert client.get(by_code("HARBOR", "GRP1"), headers=bearer(outsider)).status_code == 404
    assert client.get(by_code("HARBOR", "GRP1"), headers=bearer(reader)).status_code == 200
    assert (
        client.put(by_code("HARBOR", "GRP9"), headers=bearer(reader), json={"contract": terms()}).status_code
        == 403
    )
    assert client.get(by_code("HARBOR", "GR%20P1"), headers=bearer(admin_key)).status_code == 422


# --- room-type codes --------------------------------------------------------------------------------


@pytest.fixture
def wedding_with_codes(client: TestClient, admin_key: str) -> int:
    prop = create_property(client, admin_key)
    mapped = set_codes(client, admin_key, prop["id"], {"KNG": "king", "DBL": "double"})
    assert mapped.status_code == 200, mapped.text
    created = client.post(
        "/api/v1/contracts", headers=bearer(admin_key), json={"property_id": prop["id"], "contract": terms()}
    )
    assert created.status_code == 201, created.text
    contract_id: int = created.json()["id"]
    return contract_id


def test_room_type_codes_are_replaced_whole_and_read_back(client: TestClient, admin_key: str) -> None:
    prop = create_property(client, admin_key)
    url = f"/api/v1/properties/{prop['id']}/room-type-codes"
    assert client.get(url, headers=bearer(admin_key)).json() == {"property_id": prop["id"], "codes": {}}

    set_codes(client, admin_key, prop["id"], {"KNG": "king", "DBL": "double"})
    replaced = set_codes(client, admin_key, prop["id"], {"KNG": "king", "STE": "suite"})

    assert replaced.status_code == 200
    assert client.get(url, headers=bearer(admin_key)).json()["codes"] == {"KNG": "king", "STE": "suite"}
    bad = set_codes(client, admin_key, prop["id"], {"K NG": "king"})
    assert bad.status_code == 422
    too_many = set_codes(client, admin_key, prop["id"], {f"C{number}": "king" for number in range(201)})
    assert too_many.status_code == 422
    assert "at most 200" in too_many.text


def test_json_pickup_naming_a_mapped_code_is_recorded_as_its_room_type(
    client: TestClient, admin_key: str, wedding_with_codes: int, session: Session
) -> None:
    body = {
        "as_of": "2027-09-01",
        "entries": [
            {"night": "2027-10-08", "room_type": "KNG", "room_nights": 10},
            {"night": "2027-10-08", "room_type": "double", "room_nights": 3},
        ],
    }

    response = client.post(pickup_url(wedding_with_codes), headers=bearer(admin_key), json=body)

    assert response.status_code == 201, response.text
    assert [(row[2], row[4]) for row in stored_pickup(session, wedding_with_codes)] == [
        ("king", 10),
        ("double", 3),
    ]


def test_an_unmapped_code_is_still_422_naming_the_known_types(
    client: TestClient, admin_key: str, wedding_with_codes: int, session: Session
) -> None:
    body = {"as_of": "2027-09-01", "entries": [{"night": "2027-10-08", "room_type": "TWN", "room_nights": 1}]}

    response = client.post(pickup_url(wedding_with_codes), headers=bearer(admin_key), json=body)

    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["message"] == "room type TWN is not in the block (king, double, suite)"
    )
    assert stored_pickup(session, wedding_with_codes) == []


def test_csv_and_xlsx_pickup_apply_the_codes(
    client: TestClient, admin_key: str, wedding_with_codes: int, session: Session
) -> None:
    text = "night,room_type,room_nights\n2027-10-08,KNG,4\n2027-10-09,DBL,2\n"
    response = post_csv(client, admin_key, wedding_with_codes, text, as_of="2027-09-01")
    assert response.status_code == 201, response.text

    data = workbook([["night", "room_type", "room_nights"], ["2027-10-09", "KNG", 6]])
    uploaded = client.post(
        pickup_url(wedding_with_codes),
        params={"as_of": "2027-09-02"},
        headers=bearer(admin_key),
        files={"file": ("pickup.xlsx", data)},
    )
    assert uploaded.status_code == 201, uploaded.text

    assert [(row[0], row[2], row[4]) for row in stored_pickup(session, wedding_with_codes)] == [
        ("2027-09-01", "king", 4),
        ("2027-09-01", "double", 2),
        ("2027-09-02", "king", 6),
    ]
    unknown = post_csv(
        client,
        admin_key,
        wedding_with_codes,
        "night,room_type,room_nights\n2027-10-08,TWN,1\n",
        as_of="2027-09-03",
    )
    assert unknown.status_code == 422
    assert errors(unknown) == [("room_type", 2)]


def test_codes_may_hold_slashes_and_a_made_id_never_collides(client: TestClient, admin_key: str) -> None:
    create_property(client, admin_key, hotel_code="EU/BER")
    body = {"contract": {key: value for key, value in terms().items() if key != "id"}}

    first = client.put(by_code("EU/BER", "CONG/25"), headers=bearer(admin_key), json=body)
    second = client.put(by_code("EU/BER", "cong.25"), headers=bearer(admin_key), json=body)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert (first.json()["block_code"], first.json()["reference"]) == ("CONG/25", "cong-25")
    assert (second.json()["block_code"], second.json()["reference"]) == ("cong.25", "cong-25-2")
    read = client.get(by_code("EU/BER", "CONG/25"), headers=bearer(admin_key))
    assert read.json()["id"] == first.json()["id"]
