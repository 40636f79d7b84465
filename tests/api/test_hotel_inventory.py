"""The hotel's inventory per night over the API (issue 17), on SQLite and PostgreSQL: recorded as JSON,
CSV or .xlsx, read back as of a date, and read by a stored contract's last-room-sold term."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.contract_files import load_document
from app.persistence.records import ExposureSnapshotRecord, HotelInventoryRecord
from app.services.pickup_files import XLSX_MEDIA_TYPE
from tests.api.conftest import CONTRACTS, bearer
from tests.api.test_pickup import create_contract, sample_terms
from tests.workbooks import workbook

LAST_ROOM_SOLD = "convention-last-room-sold"  # nights 2027-03-07 to 2027-03-10, per night, last room sold


@pytest.fixture
def convention(client: TestClient, admin_key: str) -> tuple[int, int]:
    """The sample stored with its pickup and its own inventory entries as of 2027-03-12.

    Returns (contract id, property id)."""
    contract_id = create_contract(client, admin_key, LAST_ROOM_SOLD)
    document = load_document(CONTRACTS / f"{LAST_ROOM_SOLD}.yaml")
    assert document.actuals is not None
    actuals = document.actuals.model_dump(mode="json", exclude_defaults=True)
    headers = bearer(admin_key)
    url = f"/api/v1/contracts/{contract_id}"
    pickup = client.post(
        f"{url}/pickup", headers=headers, json={"as_of": "2027-03-12", "entries": actuals["pickup"]}
    )
    assert pickup.status_code == 201, pickup.text
    other = client.post(
        f"{url}/actuals", headers=headers, json={"as_of": "2027-03-12", "inventory": actuals["inventory"]}
    )
    assert other.status_code == 201, other.text
    property_id: int = client.get(url, headers=headers).json()["property_id"]
    return contract_id, property_id


def _inventory_url(property_id: int) -> str:
    return f"/api/v1/properties/{property_id}/inventory"


def _total(client: TestClient, key: str, contract_id: int, as_of: str) -> str:
    response = client.get(
        f"/api/v1/contracts/{contract_id}/assessment", headers=bearer(key), params={"as_of": as_of}
    )
    assert response.status_code == 200, response.text
    total: str = response.json()["assessment"]["total"]["amount"]
    return total


def _stored(session: Session, property_id: int) -> list[tuple[str, str, int]]:
    rows = session.exec(
        select(HotelInventoryRecord)
        .where(HotelInventoryRecord.property_id == property_id)
        .order_by(HotelInventoryRecord.id)  # type: ignore[arg-type]
    ).all()
    return [(row.as_of.isoformat(), row.night.isoformat(), row.unsold_rooms) for row in rows]


def _errors(response: Any) -> list[tuple[str, int | None]]:
    return [(error["field"], error.get("line")) for error in response.json()["errors"]]


def test_hotel_inventory_supplies_the_unsold_rooms_of_a_stored_contract_from_its_report_date(
    client: TestClient, admin_key: str, convention: tuple[int, int]
) -> None:
    """The sample's 7th: S = 8.8 short, its own entry says 5 unsold → 5 × 204.00 × 80 % = 816.00 (total
    4,096.32). The hotel reports 600 rooms, 10 out of order, 580 sold as of 2027-03-20: unsold =
    600 − 10 − 580 = 10, so min(8.8, 10) = 8.8 × 204.00 × 80 % = 1,436.16 and the total becomes
    4,096.32 − 816.00 + 1,436.16 = 4,716.48. As of the 15th the report did not exist yet."""
    contract_id, property_id = convention
    body = {
        "as_of": "2027-03-20",
        "nights": [{"night": "2027-03-07", "capacity": 600, "out_of_order": 10, "rooms_sold": 580}],
    }

    response = client.post(_inventory_url(property_id), headers=bearer(admin_key), json=body)

    assert response.status_code == 201, response.text
    assert response.json() == {"property_id": property_id, "as_of": "2027-03-20", "nights": 1}
    assert _total(client, admin_key, contract_id, "2027-03-29") == "4716.48"
    assert _total(client, admin_key, contract_id, "2027-03-15") == "4096.32"


def test_the_contracts_own_rooms_charged_to_other_groups_still_apply_under_hotel_inventory(
    client: TestClient, admin_key: str, convention: tuple[int, int]
) -> None:
    """The 9th: the hotel reports the same 40 unsold; the contract's 30 charged to other groups stay, so
    the night still charges 8 × 224.00 × 80 % = 1,433.60 and the total is unchanged."""
    contract_id, property_id = convention
    body = {"as_of": "2027-03-20", "nights": [{"night": "2027-03-09", "unsold_rooms": 40}]}

    response = client.post(_inventory_url(property_id), headers=bearer(admin_key), json=body)

    assert response.status_code == 201, response.text
    assert _total(client, admin_key, contract_id, "2027-03-29") == "4096.32"


def test_list_reads_the_latest_report_of_each_night_as_of_a_date(
    client: TestClient, admin_key: str, convention: tuple[int, int]
) -> None:
    _, property_id = convention
    url, headers = _inventory_url(property_id), bearer(admin_key)
    first = {
        "as_of": "2027-03-01",
        "nights": [{"night": "2027-03-07", "unsold_rooms": 12}, {"night": "2027-03-08", "unsold_rooms": 3}],
    }
    later = {"as_of": "2027-03-05", "nights": [{"night": "2027-03-07", "capacity": 300, "rooms_sold": 310}]}
    assert client.post(url, headers=headers, json=first).status_code == 201
    assert client.post(url, headers=headers, json=later).status_code == 201

    now = client.get(
        url,
        headers=headers,
        params={"night_from": "2027-03-06", "night_to": "2027-03-10", "as_of": "2027-03-06"},
    )
    before = client.get(
        url,
        headers=headers,
        params={"night_from": "2027-03-06", "night_to": "2027-03-10", "as_of": "2027-03-02"},
    )

    assert now.status_code == 200, now.text
    page = now.json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    # Overbooked: 300 − 0 − 310 is below zero, so no room was unsold.
    assert [
        (n["night"], n["unsold_rooms"], n["capacity"], n["rooms_sold"], n["as_of"]) for n in page["items"]
    ] == [
        ("2027-03-07", 0, 300, 310, "2027-03-05"),
        ("2027-03-08", 3, None, None, "2027-03-01"),
    ]
    assert page["items"][0]["recorded_by"].startswith("key:")
    assert [n["unsold_rooms"] for n in before.json()["items"]] == [12, 3]


@pytest.mark.parametrize(
    ("night", "field", "message"),
    [
        (
            {"night": "2027-03-07", "unsold_rooms": 5, "capacity": 20, "rooms_sold": 10},
            "nights[0]",
            "differs from",
        ),
        (
            {"night": "2027-03-07", "capacity": 20, "out_of_order": 21, "rooms_sold": 0},
            "nights[0]",
            "more than capacity",
        ),
        ({"night": "2027-03-07", "rooms_sold": 10}, "nights[0]", "give capacity"),
        ({"night": "2027-03-07"}, "nights[0]", "give unsold_rooms"),
        ({"night": "2027-03-07", "unsold_rooms": -1}, "nights[0].unsold_rooms", "greater than or equal to 0"),
    ],
)
def test_a_night_that_does_not_add_up_is_422_naming_it_and_saves_nothing(
    client: TestClient,
    admin_key: str,
    convention: tuple[int, int],
    session: Session,
    night: Any,
    field: str,
    message: str,
) -> None:
    _, property_id = convention
    body = {"as_of": "2027-03-05", "nights": [{"night": "2027-03-08", "unsold_rooms": 1}, night]}
    body["nights"] = [night]

    response = client.post(_inventory_url(property_id), headers=bearer(admin_key), json=body)

    assert response.status_code == 422, response.text
    assert _errors(response)[0][0] == field
    assert message in response.json()["errors"][0]["message"]
    assert _stored(session, property_id) == []


def test_a_report_over_its_night_limit_or_naming_a_night_twice_is_422(
    client: TestClient, admin_key: str, convention: tuple[int, int], session: Session
) -> None:
    _, property_id = convention
    many = [{"night": f"2027-{1 + i // 28:02d}-{1 + i % 28:02d}", "unsold_rooms": 1} for i in range(367)]
    twice = [{"night": "2027-03-07", "unsold_rooms": 1}, {"night": "2027-03-07", "unsold_rooms": 2}]

    too_many = client.post(
        _inventory_url(property_id), headers=bearer(admin_key), json={"as_of": "2027-03-05", "nights": many}
    )
    repeated = client.post(
        _inventory_url(property_id), headers=bearer(admin_key), json={"as_of": "2027-03-05", "nights": twice}
    )

    assert too_many.status_code == 422, too_many.text
    assert "366" in too_many.json()["errors"][0]["message"]
    assert repeated.status_code == 422, repeated.text
    assert "reported twice" in repeated.json()["errors"][0]["message"]
    assert _stored(session, property_id) == []


def test_a_range_wider_than_a_year_is_422_naming_night_to(
    client: TestClient, admin_key: str, convention: tuple[int, int]
) -> None:
    _, property_id = convention

    response = client.get(
        _inventory_url(property_id),
        headers=bearer(admin_key),
        params={"night_from": "2027-01-01", "night_to": "2028-01-02"},
    )

    assert response.status_code == 422, response.text
    assert _errors(response) == [("night_to", None)]


def test_csv_upload_with_semicolons_records_the_nights(
    client: TestClient, admin_key: str, convention: tuple[int, int], session: Session
) -> None:
    _, property_id = convention
    text = "Night;Capacity;Out of order;Rooms sold\n2027-03-07;600;10;580\n2027-03-08;600;0;600\n"

    response = client.post(
        _inventory_url(property_id),
        headers=bearer(admin_key),
        params={"as_of": "2027-03-20"},
        files={"file": ("inventory.csv", text.encode(), "text/csv")},
    )

    assert response.status_code == 201, response.text
    assert _stored(session, property_id) == [
        ("2027-03-20", "2027-03-07", 10),
        ("2027-03-20", "2027-03-08", 0),
    ]


def test_csv_with_a_bad_row_names_its_line_and_column_and_saves_nothing(
    client: TestClient, admin_key: str, convention: tuple[int, int], session: Session
) -> None:
    _, property_id = convention
    text = "night,unsold_rooms,as_of\n2027-03-07,4,2027-03-20\n2027-03-08,many,2027-03-20\n"

    response = client.post(
        _inventory_url(property_id), headers=bearer(admin_key) | {"Content-Type": "text/csv"}, content=text
    )

    assert response.status_code == 422, response.text
    assert _errors(response) == [("unsold_rooms", 3)]
    assert _stored(session, property_id) == []


def test_xlsx_body_with_date_cells_records_the_nights(
    client: TestClient, admin_key: str, convention: tuple[int, int], session: Session
) -> None:
    from datetime import date

    _, property_id = convention
    data = workbook([["night", "unsold"], [date(2027, 3, 7), 9], [date(2027, 3, 10), 2]])

    response = client.post(
        _inventory_url(property_id),
        headers=bearer(admin_key) | {"Content-Type": XLSX_MEDIA_TYPE},
        params={"as_of": "2027-03-20"},
        content=data,
    )

    assert response.status_code == 201, response.text
    assert _stored(session, property_id) == [("2027-03-20", "2027-03-07", 9), ("2027-03-20", "2027-03-10", 2)]


# --- last room sold across groups (issue 17, point 2) ---------------------------------------------------

NIGHT = "2026-11-10"


def _group_terms(
    reference: str, rooms: int, picked: int, night: str = NIGHT
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One night of king rooms at 200.00, minimum 80 %, damages 100 %, per night, last room sold."""
    _, terms = sample_terms(LAST_ROOM_SOLD)
    terms |= {
        "id": reference,
        "name": f"{reference.replace('-', ' ').title()} Convention",
        "arrival_date": night,
        "departure_date": (date.fromisoformat(night) + timedelta(days=1)).isoformat(),
        "signed_date": "2026-01-05",
        "cutoff_date": "2026-10-20",
        "block": [{"night": night, "room_type": "king", "rooms": rooms, "rate": "200.00"}],
    }
    terms["attrition"] = terms["attrition"] | {"performance_pct": "80", "damages_pct": "100"}
    return terms, [{"night": night, "room_type": "king", "room_nights": picked}]


@pytest.fixture
def two_groups(client: TestClient, admin_key: str) -> tuple[int, int, int]:
    return make_two_groups(client, admin_key)


def make_two_groups(client: TestClient, admin_key: str) -> tuple[int, int, int]:
    """Two groups on one hotel, short 10 (block 50, minimum 40, pickup 30) and 20 (block 100, minimum 80,
    pickup 60) on the same night; the hotel reports 20 unsold. (property, first, second)"""
    prop, _ = sample_terms(LAST_ROOM_SOLD)
    headers = bearer(admin_key)
    property_id = client.post("/api/v1/properties", headers=headers, json=prop).json()["id"]
    ids = []
    for reference, rooms, picked in (("first-group", 50, 30), ("second-group", 100, 60)):
        terms, pickup = _group_terms(reference, rooms, picked)
        created = client.post(
            "/api/v1/contracts", headers=headers, json={"property_id": property_id, "contract": terms}
        )
        assert created.status_code == 201, created.text
        contract_id = created.json()["id"]
        recorded = client.post(
            f"/api/v1/contracts/{contract_id}/pickup",
            headers=headers,
            json={"as_of": "2026-11-12", "entries": pickup},
        )
        assert recorded.status_code == 201, recorded.text
        ids.append(contract_id)
    report = {"as_of": "2026-11-12", "nights": [{"night": NIGHT, "capacity": 300, "rooms_sold": 280}]}
    assert client.post(_inventory_url(property_id), headers=headers, json=report).status_code == 201
    return property_id, ids[0], ids[1]


def snapshot_totals(session: Session, *contract_ids: int) -> list[str]:
    """Each contract's stored snapshot total as of the hotel's today (after the shared night)."""
    session.expire_all()
    totals = []
    for contract_id in contract_ids:
        record = session.get(ExposureSnapshotRecord, contract_id)
        assert record is not None
        totals.append(record.summary["current"]["amount"])
    return totals


def _steps(client: TestClient, key: str, contract_id: int) -> list[str]:
    response = client.get(
        f"/api/v1/contracts/{contract_id}/assessment", headers=bearer(key), params={"as_of": "2026-11-20"}
    )
    assert response.status_code == 200, response.text
    return [step for line in response.json()["assessment"]["lines"] for step in line["steps"]]


def test_two_groups_short_10_and_20_on_20_unsold_are_charged_20_in_all_in_invoice_order(
    client: TestClient, admin_key: str, two_groups: tuple[int, int, int]
) -> None:
    """Neither is invoiced, so by contract id: the first takes min(10, 20) = 10, the second min(20, 20 − 10)
    = 10. Each reads what the other takes: 10 × 200.00 = 2,000.00 each, 4,000.00 in all (not 6,000.00)."""
    _, first, second = two_groups

    totals = [_total(client, admin_key, contract_id, "2026-11-20") for contract_id in (first, second)]

    assert totals == ["2000.00", "2000.00"]
    assert any(
        "the hotel had 20 unsold rooms, 10 of them charged to other groups short that night" in step
        for step in _steps(client, admin_key, second)
    )


def test_pro_rata_shares_the_20_unsold_rooms_7_and_13(
    client: TestClient, session: Session, admin_key: str, two_groups: tuple[int, int, int]
) -> None:
    """20 × 10 / 30 = 6.67 → 7 and 20 × 20 / 30 = 13.33 → 13 (largest remainder): 1,400.00 and 2,600.00.
    The PUT refreshes both contracts' stored snapshots, which the dashboard reads."""
    property_id, first, second = two_groups
    assert snapshot_totals(session, first, second) == ["2000.00", "2000.00"]
    headers = bearer(admin_key)
    current = client.get(f"/api/v1/properties/{property_id}", headers=headers)
    body = {key: current.json()[key] for key in ("name", "address", "currency", "locale", "timezone")}
    changed = client.put(
        f"/api/v1/properties/{property_id}",
        headers=headers | {"If-Match": current.headers["ETag"]},
        json=body | {"last_room_sold_sharing": "pro_rata"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["last_room_sold_sharing"] == "pro_rata"

    totals = [_total(client, admin_key, contract_id, "2026-11-20") for contract_id in (first, second)]

    assert totals == ["1400.00", "2600.00"]
    assert snapshot_totals(session, first, second) == ["1400.00", "2600.00"]


def test_the_group_invoiced_first_takes_its_claim_before_the_others(
    client: TestClient, admin_key: str, two_groups: tuple[int, int, int]
) -> None:
    """The second group is invoiced first: it counts as invoiced when its invoice is prepared, so it takes
    min(20, 20) = 20 (4,000.00) and the first is left none; the invoice keeps the share it billed."""
    _, first, second = two_groups
    issued = client.post(
        f"/api/v1/contracts/{second}/invoices", headers=bearer(admin_key), json={"as_of": "2026-11-20"}
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["total"]["amount"] == "4000.00"

    totals = [_total(client, admin_key, contract_id, "2026-11-20") for contract_id in (first, second)]

    assert totals == ["0.00", "4000.00"]


def test_the_demo_records_the_hotels_inventory_on_the_last_room_sold_samples_nights(
    session: Session,
) -> None:
    """The demo places the last-room-sold sample ahead of today (``LIVE_ARRIVALS``): its file's unsold
    rooms (5, 0, 40, 25 on its four nights) become the hotel's inventory on the placed nights, as of
    today. The insurance conference, placed ahead too but with resold rooms (no last room sold), records
    none."""
    from app.persistence.records import ContractRecord
    from app.services.actuals import actuals_as_of
    from app.services.contracts import load_contract
    from app.services.imports import IMPORTER, LIVE_ARRIVALS, load_demo

    today = date(2026, 12, 3)
    paths = [CONTRACTS / f"{LAST_ROOM_SOLD}.yaml", CONTRACTS / "insurance-conference-resold-rooms.yaml"]

    load_demo(session, [(path, load_document(path)) for path in paths], today=today)
    session.commit()

    contract = session.exec(
        select(ContractRecord).where(ContractRecord.reference == "agla-convention-2027")
    ).one()
    arrival = today + timedelta(days=LIVE_ARRIVALS[LAST_ROOM_SOLD])
    assert contract.arrival_date == arrival
    rows = session.exec(select(HotelInventoryRecord).order_by(HotelInventoryRecord.night)).all()  # type: ignore[arg-type]
    assert [(row.property_id, row.as_of, row.night, row.unsold_rooms) for row in rows] == [
        (contract.property_id, today, arrival + timedelta(days=index), unsold)
        for index, unsold in enumerate((5, 0, 40, 25))
    ]
    assert contract.id is not None
    stored = load_contract(session, IMPORTER, contract.id)
    read = actuals_as_of(session, stored, today)
    assert [(item.night, item.unsold_rooms) for item in read.inventory] == [
        (arrival + timedelta(days=index), unsold) for index, unsold in enumerate((5, 0, 40, 25))
    ]
