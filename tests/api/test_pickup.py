"""Pickup reports (JSON, CSV body, CSV upload), their history, Idempotency-Key, and the other actuals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.contract_files import load_document
from app.persistence import repositories as repo
from app.persistence.records import IngestionRecord, PickupSnapshotRecord
from tests.api.conftest import bearer, sample_files

WEDDING = "wedding-block-cliff"  # nights 2027-10-08 and 2027-10-09; king, double, suite; USD
DENTAL = "dental-meeting-cancellation-100-days"  # has a cancellation clause; arrival 2027-06-10
CONGRESS = "medical-congress-fnb-rental"  # F&B minimum with counted categories


def sample_terms(stem: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sample's property fields (for POST /properties) and its terms (for POST /contracts)."""
    document = load_document(next(path for path in sample_files() if path.stem == stem))
    raw = document.model_dump(mode="json")
    info = raw["contract"]["property"]
    prop = {key: info[key] for key in ("name", "address", "locale", "timezone", "tax_profile")}
    prop["currency"] = raw["contract"]["currency"]
    terms = {key: value for key, value in raw["contract"].items() if key != "property"}
    return prop, terms


def create_contract(client: TestClient, key: str, stem: str, **changes: Any) -> int:
    prop, terms = sample_terms(stem)
    created_property = client.post("/api/v1/properties", headers=bearer(key), json=prop)
    assert created_property.status_code == 201, created_property.text
    created = client.post(
        "/api/v1/contracts",
        headers=bearer(key),
        json={"property_id": created_property.json()["id"], "contract": {**terms, **changes}},
    )
    assert created.status_code == 201, created.text
    contract_id: int = created.json()["id"]
    return contract_id


@pytest.fixture
def wedding(client: TestClient, admin_key: str) -> int:
    return create_contract(client, admin_key, WEDDING)


def pickup_url(contract_id: int) -> str:
    return f"/api/v1/contracts/{contract_id}/pickup"


def stored_pickup(session: Session, contract_id: int) -> list[tuple[str, str, str, str, int, str | None]]:
    """Every pickup row of the contract, in the order written."""
    return [
        (
            row.as_of.isoformat(),
            row.night.isoformat(),
            row.room_type,
            row.source,
            row.room_nights,
            row.rate_amount,
        )
        for row in repo.pickup_history(session, contract_id)
    ]


def read_actuals(client: TestClient, key: str, contract_id: int, as_of: str) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/contracts/{contract_id}/actuals", params={"as_of": as_of}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    actuals: dict[str, Any] = response.json()
    return actuals


def pickup_cells(actuals: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(entry["night"], entry["room_type"]): entry["room_nights"] for entry in actuals["pickup"]}


def errors(response: Response) -> list[tuple[str, int | None]]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [(error["field"], error.get("line")) for error in response.json()["errors"]]


def post_csv(client: TestClient, key: str, contract_id: int, text: str, **params: str) -> Response:
    return client.post(
        pickup_url(contract_id),
        params=params,
        headers={**bearer(key), "Content-Type": "text/csv"},
        content=text.encode(),
    )


# --- formats ---------------------------------------------------------------------------------------


def test_json_pickup_report_is_saved_and_read_back_as_the_actuals_of_its_date(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    body = {
        "as_of": "2027-09-01",
        "entries": [
            {"night": "2027-10-08", "room_type": "king", "room_nights": 10},
            {"night": "2027-10-09", "room_type": "king", "room_nights": 4, "source": "staff"},
            {
                "night": "2027-10-09",
                "room_type": "double",
                "room_nights": 3,
                "source": "outside_block",
                "rate": "199.50",
            },
        ],
    }

    response = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)

    assert response.status_code == 201, response.text
    assert response.json() == {"contract_id": wedding, "as_of": "2027-09-01", "rows": 3}
    assert "Idempotent-Replayed" not in response.headers
    assert stored_pickup(session, wedding) == [
        ("2027-09-01", "2027-10-08", "king", "in_block", 10, None),
        ("2027-09-01", "2027-10-09", "king", "staff", 4, None),
        ("2027-09-01", "2027-10-09", "double", "outside_block", 3, "199.50"),
    ]
    pickup = read_actuals(client, admin_key, wedding, "2027-09-01")["pickup"]
    assert {(entry["room_type"], entry["source"], entry["room_nights"]) for entry in pickup} == {
        ("king", "in_block", 10),
        ("king", "staff", 4),
        ("double", "outside_block", 3),
    }
    outside = next(entry for entry in pickup if entry["source"] == "outside_block")
    assert outside["rate"] == {"amount": "199.50", "currency": "USD"}


def test_csv_body_with_as_of_in_the_query_is_saved_as_of_that_date(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "night,room_type,room_nights\n2027-10-08,king,7\n2027-10-08,double,5\n"

    response = post_csv(client, admin_key, wedding, text, as_of="2027-08-15")

    assert response.status_code == 201, response.text
    assert response.json() == {"contract_id": wedding, "as_of": "2027-08-15", "rows": 2}
    assert stored_pickup(session, wedding) == [
        ("2027-08-15", "2027-10-08", "king", "in_block", 7, None),
        ("2027-08-15", "2027-10-08", "double", "in_block", 5, None),
    ]


def test_multipart_upload_in_the_file_field_is_saved(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "night,room_type,room_nights,source\n2027-10-09,suite,2,\n2027-10-09,king,1,Comp\n"

    response = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-08-20"},
        headers=bearer(admin_key),
        files={"file": ("pickup.csv", text.encode(), "text/csv")},
    )

    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 2
    assert stored_pickup(session, wedding) == [
        ("2027-08-20", "2027-10-09", "suite", "in_block", 2, None),
        ("2027-08-20", "2027-10-09", "king", "comp", 1, None),
    ]


def test_multipart_form_without_a_file_is_rejected_as_malformed_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    no_file = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-08-20"},
        headers=bearer(admin_key),
        files={"file": (None, "forgot the file")},  # a multipart text field, not a file
    )
    other_fields = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-08-20"},
        headers=bearer(admin_key),
        data={"note": "forgot the file"},
        files={"other": ("", b"", "text/plain")},
    )

    assert no_file.status_code == 400, no_file.text
    assert "file" in no_file.json()["detail"]
    assert other_fields.status_code == 422, other_fields.text
    assert [error["field"] for error in other_fields.json()["errors"]] == ["note", "other"]
    assert stored_pickup(session, wedding) == []


def test_semicolon_csv_with_header_aliases_and_decimal_comma_rates_is_saved(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = (
        "Date;Room Type;Rooms;Source;Group Rate\n"
        "2027-10-08;king;9;;\n"
        "2027-10-08;double;2;OUTSIDE_BLOCK;239,50\n"
        "2027-10-09;suite;1;outside_block;1149,5\n"
    )

    response = post_csv(client, admin_key, wedding, text, as_of="2027-09-02")

    assert response.status_code == 201, response.text
    assert stored_pickup(session, wedding) == [
        ("2027-09-02", "2027-10-08", "king", "in_block", 9, None),
        ("2027-09-02", "2027-10-08", "double", "outside_block", 2, "239.50"),
        ("2027-09-02", "2027-10-09", "suite", "outside_block", 1, "1149.5"),
    ]


def test_spreadsheet_export_with_a_byte_order_mark_and_crlf_lines_is_saved(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "\ufeffNight;Room Type;Room Nights\r\n2027-10-08;king;4\r\n2027-10-09;double;6\r\n"

    response = post_csv(client, admin_key, wedding, text, as_of="2027-09-03")

    assert response.status_code == 201, response.text
    assert stored_pickup(session, wedding) == [
        ("2027-09-03", "2027-10-08", "king", "in_block", 4, None),
        ("2027-09-03", "2027-10-09", "double", "in_block", 6, None),
    ]


def test_tab_delimited_csv_takes_its_report_date_from_an_as_of_column(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = (
        "Report Date\tStay Date\tRoom Type\tOn The Books\tRate\n"
        "2027-09-05\t2027-10-08\tking\t11\t279,00\n"
        "2027-09-05\t2027-10-09\tking\t17\t\n"
    )

    response = post_csv(client, admin_key, wedding, text)

    assert response.status_code == 201, response.text
    assert response.json() == {"contract_id": wedding, "as_of": "2027-09-05", "rows": 2}
    assert stored_pickup(session, wedding) == [
        ("2027-09-05", "2027-10-08", "king", "in_block", 11, "279.00"),
        ("2027-09-05", "2027-10-09", "king", "in_block", 17, None),
    ]


# --- rejected reports save nothing ---------------------------------------------------------------------


def test_csv_with_bad_rows_is_rejected_naming_line_and_column_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = (
        "night,room_type,room_nights,rate\n"
        "2027-10-08,king,10,\n"  # line 2: fine
        "2027-10-08,double,ten,\n"  # line 3: not a number
        "\n"  # line 4: blank, skipped
        "2027-13-01,king,3,\n"  # line 5: no such date
        "2027-10-09,king,-2,\n"  # line 6: negative
        "2027-10-09,double,4,abc\n"  # line 7: not an amount
    )

    response = post_csv(client, admin_key, wedding, text, as_of="2027-09-01")

    assert response.status_code == 422, response.text
    assert response.json()["detail"].endswith("nothing was saved")
    assert sorted(errors(response), key=lambda error: error[1] or 0) == [
        ("room_nights", 3),
        ("night", 5),
        ("room_nights", 6),
        ("rate", 7),
    ]
    assert stored_pickup(session, wedding) == []
    assert repo.count_rows(session, PickupSnapshotRecord) == 0


def test_csv_with_a_bad_report_date_in_its_as_of_column_names_the_line(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "as_of,night,room_type,room_nights\n2027-09-01,2027-10-08,king,3\n01/09/2027,2027-10-09,king,4\n"

    response = post_csv(client, admin_key, wedding, text)

    assert response.status_code == 422, response.text
    assert errors(response) == [("as_of", 3)]
    assert stored_pickup(session, wedding) == []


def test_csv_with_two_report_dates_is_rejected_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "as_of,night,room_type,room_nights\n2027-09-01,2027-10-08,king,3\n2027-09-02,2027-10-09,king,4\n"

    response = post_csv(client, admin_key, wedding, text)

    assert response.status_code == 422, response.text
    assert [field for field, _ in errors(response)] == ["as_of"]
    assert stored_pickup(session, wedding) == []


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("night,room_type", ["room_nights"]),
        ("Date;Rooms", ["room_type"]),
        ("room_type,rooms,source", ["night"]),
    ],
)
def test_csv_without_a_required_column_is_rejected_naming_it(
    client: TestClient, admin_key: str, wedding: int, session: Session, header: str, missing: list[str]
) -> None:
    response = post_csv(client, admin_key, wedding, f"{header}\n", as_of="2027-09-01")

    assert response.status_code == 422, response.text
    assert errors(response) == [(name, 1) for name in missing]
    assert stored_pickup(session, wedding) == []


def test_csv_without_any_report_date_is_rejected_naming_as_of(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    response = post_csv(client, admin_key, wedding, "night,room_type,room_nights\n2027-10-08,king,1\n")

    assert response.status_code == 422, response.text
    assert errors(response) == [("as_of", 1)]


@pytest.mark.parametrize("content_type", ["text/csv", "application/json"])
def test_empty_body_is_refused_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session, content_type: str
) -> None:
    response = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers={**bearer(admin_key), "Content-Type": content_type},
        content=b"  \n",
    )

    # Blank JSON is malformed (400); a blank CSV is a file of the right type that says nothing (422).
    assert response.status_code == (422 if content_type == "text/csv" else 400), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert stored_pickup(session, wedding) == []


@pytest.mark.parametrize("content_type", ["application/xml", "application/x-www-form-urlencoded", None])
def test_unsupported_content_type_is_rejected_with_415(
    client: TestClient, admin_key: str, wedding: int, session: Session, content_type: str | None
) -> None:
    headers = bearer(admin_key) | ({} if content_type is None else {"Content-Type": content_type})

    response = client.post(pickup_url(wedding), headers=headers, content=b"<pickup/>")

    assert response.status_code == 415, response.text
    assert "text/csv" in response.json()["detail"]
    assert stored_pickup(session, wedding) == []


def test_json_report_listing_a_cell_twice_is_rejected_naming_the_entry_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    body = {
        "as_of": "2027-09-01",
        "entries": [
            {"night": "2027-10-08", "room_type": "king", "room_nights": 10},
            {"night": "2027-10-09", "room_type": "king", "room_nights": 10},
            {"night": "2027-10-08", "room_type": "king", "room_nights": 12, "source": "in_block"},
        ],
    }

    response = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)

    assert response.status_code == 422, response.text
    assert [field for field, _ in errors(response)] == ["entries[2]"]
    assert stored_pickup(session, wedding) == []


def test_csv_listing_a_cell_twice_is_rejected_naming_the_second_line_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "night;room_type;room_nights\n2027-10-08;king;10\n2027-10-09;king;8\n2027-10-08;king;11\n"

    response = post_csv(client, admin_key, wedding, text, as_of="2027-09-01")

    assert response.status_code == 422, response.text
    assert errors(response) == [("row", 4)]
    assert stored_pickup(session, wedding) == []


def test_json_report_without_entries_is_rejected_naming_entries(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    response = client.post(
        pickup_url(wedding), headers=bearer(admin_key), json={"as_of": "2027-09-01", "entries": []}
    )

    assert response.status_code == 422, response.text
    assert [field for field, _ in errors(response)] == ["entries"]


def test_pickup_for_an_unknown_contract_is_not_found(client: TestClient, admin_key: str) -> None:
    response = post_csv(client, admin_key, 999_999, "night,room_type,room_nights\n", as_of="2027-09-01")

    assert response.status_code == 404, response.text


# --- history -------------------------------------------------------------------------------------------


def test_actuals_as_of_each_report_date_show_the_figures_as_they_stood_then(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    first = {
        "as_of": "2027-08-01",
        "entries": [
            {"night": "2027-10-08", "room_type": "king", "room_nights": 5},
            {"night": "2027-10-09", "room_type": "king", "room_nights": 6},
        ],
    }
    later = {
        "as_of": "2027-09-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 9}],
    }
    for body in (first, later):
        response = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)
        assert response.status_code == 201, response.text

    before_any = read_actuals(client, admin_key, wedding, "2027-07-31")
    on_first = read_actuals(client, admin_key, wedding, "2027-08-01")
    between = read_actuals(client, admin_key, wedding, "2027-08-31")
    on_later = read_actuals(client, admin_key, wedding, "2027-09-01")

    assert pickup_cells(before_any) == {}
    assert pickup_cells(on_first) == {("2027-10-08", "king"): 5, ("2027-10-09", "king"): 6}
    assert pickup_cells(between) == pickup_cells(on_first)
    # The later report names only 8 October: 9 October keeps its earlier figure.
    assert pickup_cells(on_later) == {("2027-10-08", "king"): 9, ("2027-10-09", "king"): 6}
    assert len(stored_pickup(session, wedding)) == 3


def test_report_posted_late_for_an_earlier_date_does_not_override_a_later_report(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    later = {
        "as_of": "2027-09-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 9}],
    }
    earlier = {
        "as_of": "2027-08-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 4}],
    }
    for body in (later, earlier):
        response = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)
        assert response.status_code == 201, response.text

    assert pickup_cells(read_actuals(client, admin_key, wedding, "2027-08-15")) == {("2027-10-08", "king"): 4}
    assert pickup_cells(read_actuals(client, admin_key, wedding, "2027-09-15")) == {("2027-10-08", "king"): 9}


def test_second_report_on_the_same_date_replaces_the_first_for_that_date(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    for rooms in (5, 8):
        response = post_csv(
            client,
            admin_key,
            wedding,
            f"night,room_type,room_nights\n2027-10-08,king,{rooms}\n",
            as_of="2027-09-01",
        )
        assert response.status_code == 201, response.text

    assert pickup_cells(read_actuals(client, admin_key, wedding, "2027-09-01")) == {("2027-10-08", "king"): 8}


def test_assessment_uses_the_pickup_as_it_stood_on_its_as_of_date(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    _, terms = sample_terms(WEDDING)
    full = [
        {"night": cell["night"], "room_type": cell["room_type"], "room_nights": cell["rooms"]}
        for cell in terms["block"]
    ]
    short = {
        "as_of": "2027-10-11",
        "entries": [{"night": "2027-10-09", "room_type": "king", "room_nights": 5}],
    }
    for body in ({"as_of": "2027-10-10", "entries": full}, short):
        response = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)
        assert response.status_code == 201, response.text

    def total(as_of: str) -> str:
        response = client.get(
            f"/api/v1/contracts/{wedding}/assessment", params={"as_of": as_of}, headers=bearer(admin_key)
        )
        assert response.status_code == 200, response.text
        amount: str = response.json()["assessment"]["total"]["amount"]
        return amount

    # A full block owes nothing (the deposit is never applied below zero). From 11 October 9 October's
    # king rooms stand at 5 of 20: 40 of 55 RN is below the cliff's 41, so all 15 unused RN × 259.00
    # are charged, less the 1,500.00 deposit.
    assert total("2027-10-10") == "0.00"
    assert total("2027-10-11") == "2385.00"


# --- Idempotency-Key -----------------------------------------------------------------------------------


def test_retry_with_the_same_idempotency_key_and_body_replays_the_answer_without_writing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "night,room_type,room_nights\n2027-10-08,king,3\n2027-10-09,king,4\n"
    headers = {**bearer(admin_key), "Content-Type": "text/csv", "Idempotency-Key": "pms-export-0001"}

    def send() -> Response:
        return client.post(
            pickup_url(wedding), params={"as_of": "2027-09-01"}, headers=headers, content=text.encode()
        )

    first = send()
    retry = send()

    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(stored_pickup(session, wedding)) == 2
    assert repo.ingestion(session, "key:" + admin_key_id(session, admin_key), "pms-export-0001") is not None


def test_an_upload_retried_with_its_idempotency_key_is_replayed_though_its_boundary_changed(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = b"night,room_type,room_nights\n2027-10-08,king,3\n"
    headers = {**bearer(admin_key), "Idempotency-Key": "upload-0001"}

    def send(content: bytes) -> Response:
        return client.post(
            pickup_url(wedding),
            params={"as_of": "2027-09-01"},
            headers=headers,
            files={"file": ("pickup.csv", content, "text/csv")},
        )

    first, retry, other = send(text), send(text), send(text.replace(b",3", b",4"))

    assert first.status_code == 201, first.text
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert [field for field, _ in errors(other)] == ["Idempotency-Key"]
    assert len(stored_pickup(session, wedding)) == 1


def admin_key_id(session: Session, key: str) -> str:
    record = repo.api_key_by_prefix(session, key.split("_")[1])
    assert record is not None
    return str(record.id)


def test_same_idempotency_key_with_a_different_body_is_rejected_naming_the_header(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    headers = {**bearer(admin_key), "Idempotency-Key": "report-42"}
    body = {
        "as_of": "2027-09-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 3}],
    }
    changed = {**body, "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 4}]}

    first = client.post(pickup_url(wedding), headers=headers, json=body)
    reused = client.post(pickup_url(wedding), headers=headers, json=changed)

    assert first.status_code == 201, first.text
    assert reused.status_code == 422, reused.text
    assert [field for field, _ in errors(reused)] == ["Idempotency-Key"]
    assert stored_pickup(session, wedding) == [("2027-09-01", "2027-10-08", "king", "in_block", 3, None)]


def test_same_idempotency_key_with_another_as_of_is_a_different_request(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "night,room_type,room_nights\n2027-10-08,king,3\n"
    headers = {**bearer(admin_key), "Content-Type": "text/csv", "Idempotency-Key": "csv-7"}

    first = client.post(pickup_url(wedding), params={"as_of": "2027-09-01"}, headers=headers, content=text)
    other = client.post(pickup_url(wedding), params={"as_of": "2027-09-02"}, headers=headers, content=text)

    assert first.status_code == 201, first.text
    assert other.status_code == 422, other.text
    assert [field for field, _ in errors(other)] == ["Idempotency-Key"]
    assert len(stored_pickup(session, wedding)) == 1


@pytest.mark.parametrize("key", ["k" * 201, "tab\there"])
def test_unusable_idempotency_key_is_rejected_naming_the_header_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session, key: str
) -> None:
    body = {
        "as_of": "2027-09-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 3}],
    }

    response = client.post(
        pickup_url(wedding), headers={**bearer(admin_key), "Idempotency-Key": key}, json=body
    )

    assert response.status_code == 422, response.text
    assert [field for field, _ in errors(response)] == ["Idempotency-Key"]
    assert stored_pickup(session, wedding) == []
    assert repo.count_rows(session, IngestionRecord) == 0


def test_idempotency_key_of_the_longest_allowed_length_is_accepted(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    body = {
        "as_of": "2027-09-01",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 3}],
    }
    headers = {**bearer(admin_key), "Idempotency-Key": "k" * 200}

    first = client.post(pickup_url(wedding), headers=headers, json=body)
    retry = client.post(pickup_url(wedding), headers=headers, json=body)

    assert first.status_code == 201, first.text
    assert retry.headers.get("Idempotent-Replayed") == "true"


def test_rejected_report_under_an_idempotency_key_leaves_the_key_free_for_a_corrected_one(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    headers = {**bearer(admin_key), "Content-Type": "text/csv", "Idempotency-Key": "fix-and-retry"}

    bad = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers=headers,
        content="night,room_type,room_nights\n2027-10-08,king,x\n",
    )
    fixed = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers=headers,
        content="night,room_type,room_nights\n2027-10-08,king,6\n",
    )

    assert bad.status_code == 422, bad.text
    assert fixed.status_code == 201, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers
    assert stored_pickup(session, wedding) == [("2027-09-01", "2027-10-08", "king", "in_block", 6, None)]


# --- other actuals and their effect on the assessment ----------------------------------------------------


def assess(client: TestClient, key: str, contract_id: int, as_of: str) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/contracts/{contract_id}/assessment", params={"as_of": as_of}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    assessment: dict[str, Any] = response.json()["assessment"]
    return assessment


def test_cancellation_notice_turns_the_remedy_into_the_contracts_cancellation_fee(
    client: TestClient, admin_key: str
) -> None:
    contract_id = create_contract(client, admin_key, DENTAL)
    before = assess(client, admin_key, contract_id, "2027-03-10")

    recorded = client.post(
        f"/api/v1/contracts/{contract_id}/actuals",
        headers=bearer(admin_key),
        json={"as_of": "2027-03-02", "cancellation_notice_date": "2027-03-02"},
    )
    after = assess(client, admin_key, contract_id, "2027-03-10")

    assert recorded.status_code == 201, recorded.text
    assert recorded.json() == {"contract_id": contract_id, "as_of": "2027-03-02", "rows": 1}
    assert before["remedy"] != "cancellation"
    assert after["remedy"] == "cancellation"
    # 100 days' notice: 60 % of (80 % room revenue 71,680.00 + F&B 40,000.00 + rental 6,000.00).
    assert [(line["kind"], line["amount"]["amount"]) for line in after["lines"]] == [
        ("cancellation", "70608.00"),
        ("deposit", "-15000.00"),
        ("deposit", "-15000.00"),
    ]
    assert after["total"]["amount"] == "40608.00"
    actuals = read_actuals(client, admin_key, contract_id, "2027-03-10")
    assert actuals["cancellation_notice_date"] == "2027-03-02"
    assert read_actuals(client, admin_key, contract_id, "2027-03-01")["cancellation_notice_date"] is None


def test_fnb_spend_recorded_as_actuals_shrinks_the_fnb_attrition_line(
    client: TestClient, admin_key: str
) -> None:
    contract_id = create_contract(client, admin_key, CONGRESS)
    _, terms = sample_terms(CONGRESS)
    entries = [
        {"night": cell["night"], "room_type": cell["room_type"], "room_nights": cell["rooms"]}
        for cell in terms["block"]
    ]
    pickup = client.post(
        pickup_url(contract_id), headers=bearer(admin_key), json={"as_of": "2027-04-20", "entries": entries}
    )
    assert pickup.status_code == 201, pickup.text

    def fnb_line(as_of: str) -> str:
        lines = assess(client, admin_key, contract_id, as_of)["lines"]
        amounts: list[str] = [line["amount"]["amount"] for line in lines if line["kind"] == "fnb_attrition"]
        assert len(amounts) == 1, lines
        return amounts[0]

    without_spend = fnb_line("2027-05-03")
    recorded = client.post(
        f"/api/v1/contracts/{contract_id}/actuals",
        headers=bearer(admin_key),
        json={
            "as_of": "2027-05-01",
            "fnb_spend": [
                {"category": "banquet_food", "amount": "61250.00"},
                {"category": "banquet_beverage", "amount": "14380.00"},
                {"category": "bars", "amount": "6900.00"},
            ],
        },
    )

    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["rows"] == 3
    # Threshold 90 % × 95,000.00 = 85,500.00; with no spend all of it is short.
    assert without_spend == "85500.00"
    # Counted spend 61,250.00 + 14,380.00 (bars not counted) leaves 9,870.00 short.
    assert fnb_line("2027-05-03") == "9870.00"
    assert fnb_line("2027-04-30") == "85500.00"


def test_later_fnb_report_replaces_a_category_and_keeps_the_others(
    client: TestClient, admin_key: str
) -> None:
    contract_id = create_contract(client, admin_key, CONGRESS)
    url = f"/api/v1/contracts/{contract_id}/actuals"
    first = {
        "as_of": "2027-05-01",
        "fnb_spend": [
            {"category": "banquet_food", "amount": "61250.00"},
            {"category": "banquet_beverage", "amount": "14380.00"},
        ],
    }
    later = {"as_of": "2027-05-02", "fnb_spend": [{"category": "banquet_food", "amount": "70000.00"}]}
    for body in (first, later):
        response = client.post(url, headers=bearer(admin_key), json=body)
        assert response.status_code == 201, response.text

    spend = {
        row["category"]: row["amount"]["amount"]
        for row in read_actuals(client, admin_key, contract_id, "2027-05-03")["fnb_spend"]
    }

    assert spend == {"banquet_food": "70000.00", "banquet_beverage": "14380.00"}


def test_inventory_report_is_recorded_and_read_back_per_night(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    response = client.post(
        f"/api/v1/contracts/{wedding}/actuals",
        headers=bearer(admin_key),
        json={
            "as_of": "2027-10-12",
            "inventory": [
                {"night": "2027-10-08", "unsold_rooms": 0, "resold_rooms": 3, "resold_rate": "250.00"},
                {"night": "2027-10-09", "unsold_rooms": 4},
            ],
            "fnb_notice_date": "2027-09-01",
        },
    )

    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 3
    actuals = read_actuals(client, admin_key, wedding, "2027-10-12")
    assert [(row["night"], row["unsold_rooms"], row["resold_rooms"]) for row in actuals["inventory"]] == [
        ("2027-10-08", 0, 3),
        ("2027-10-09", 4, 0),
    ]
    assert actuals["inventory"][0]["resold_rate"] == {"amount": "250.00", "currency": "USD"}
    assert actuals["fnb_notice_date"] == "2027-09-01"
    assert read_actuals(client, admin_key, wedding, "2027-10-11")["inventory"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"as_of": "2027-10-12"}, ""),
        ({"as_of": "2027-10-12", "cancellation_resold_revenue": "10.00"}, "cancellation_resold_revenue"),
        (
            {"as_of": "2027-10-12", "fnb_spend": [{"category": "banquet_food", "amount": 1.5}]},
            "fnb_spend[0].amount",
        ),
        (
            {"as_of": "2027-10-12", "inventory": [{"night": "2027-10-08", "resold_rooms": 2}]},
            "inventory[0].resold_rate",
        ),
        (
            {"as_of": "2027-10-12", "fnb_spend": [{"category": "banquet_food", "amount": "1.00 EUR"}]},
            "fnb_spend[0].amount",
        ),
    ],
)
def test_actuals_that_cannot_be_recorded_are_rejected_naming_the_field_and_save_nothing(
    client: TestClient, admin_key: str, wedding: int, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/api/v1/contracts/{wedding}/actuals", headers=bearer(admin_key), json=body)

    assert response.status_code == 422, response.text
    assert field in [name for name, _ in errors(response)]
    actuals = read_actuals(client, admin_key, wedding, "2027-10-12")
    assert (actuals["fnb_spend"], actuals["inventory"], actuals["cancellation_notice_date"]) == ([], [], None)


def test_actuals_retried_with_the_same_idempotency_key_are_recorded_once(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    headers = {**bearer(admin_key), "Idempotency-Key": "notice-1"}
    body = {"as_of": "2027-09-01", "inventory": [{"night": "2027-10-08", "unsold_rooms": 2}]}
    url = f"/api/v1/contracts/{wedding}/actuals"

    first = client.post(url, headers=headers, json=body)
    retry = client.post(url, headers=headers, json=body)
    changed = client.post(url, headers=headers, json={**body, "as_of": "2027-09-02"})

    assert first.status_code == 201, first.text
    assert (retry.status_code, retry.json(), retry.headers["Idempotent-Replayed"]) == (
        201,
        first.json(),
        "true",
    )
    assert changed.status_code == 422, changed.text
    assert [field for field, _ in errors(changed)] == ["Idempotency-Key"]
    assert len(read_actuals(client, admin_key, wedding, "2027-09-30")["inventory"]) == 1


# --- pickup on the cut-off date ------------------------------------------------------------------------


def test_pickup_as_of_the_cutoff_date_becomes_the_cutoff_pickup_when_released_rooms_do_not_count(
    client: TestClient, admin_key: str
) -> None:
    _, terms = sample_terms(WEDDING)  # cut-off 2027-09-08
    contract_id = create_contract(
        client, admin_key, WEDDING, attrition={**terms["attrition"], "released_rooms_count": False}
    )
    reports = [
        ("2027-09-01", [("2027-10-08", "king", 6)]),
        ("2027-09-08", [("2027-10-08", "king", 8), ("2027-10-09", "double", 5)]),
        ("2027-09-20", [("2027-10-08", "king", 12), ("2027-10-09", "suite", 2)]),
    ]
    for as_of, cells in reports:
        body = {
            "as_of": as_of,
            "entries": [{"night": n, "room_type": t, "room_nights": r} for n, t, r in cells],
        }
        response = client.post(pickup_url(contract_id), headers=bearer(admin_key), json=body)
        assert response.status_code == 201, response.text

    before_cutoff = read_actuals(client, admin_key, contract_id, "2027-09-07")
    after_cutoff = read_actuals(client, admin_key, contract_id, "2027-10-15")

    assert before_cutoff["cutoff_pickup"] == []
    # The 20 September report changes pickup but not what stood on the cut-off date.
    assert after_cutoff["cutoff_pickup"] == [
        {"night": "2027-10-08", "room_type": "king", "rooms": 8},
        {"night": "2027-10-09", "room_type": "double", "rooms": 5},
    ]
    assert pickup_cells(after_cutoff)[("2027-10-08", "king")] == 12


def test_assessment_after_the_cutoff_drops_released_rooms_from_the_baseline(
    client: TestClient, admin_key: str
) -> None:
    _, terms = sample_terms(WEDDING)
    counting = create_contract(client, admin_key, WEDDING)
    releasing = create_contract(
        client,
        admin_key,
        WEDDING,
        id="alvarez-chen-wedding-2027-released",
        attrition={**terms["attrition"], "released_rooms_count": False},
    )
    at_cutoff = [
        {"night": "2027-10-08", "room_type": "king", "room_nights": 10},
        {"night": "2027-10-08", "room_type": "double", "room_nights": 5},
        {"night": "2027-10-09", "room_type": "king", "room_nights": 18},
        {"night": "2027-10-09", "room_type": "double", "room_nights": 6},
        {"night": "2027-10-09", "room_type": "suite", "room_nights": 1},
    ]
    for contract_id in (counting, releasing):
        response = client.post(
            pickup_url(contract_id),
            headers=bearer(admin_key),
            json={"as_of": "2027-09-08", "entries": at_cutoff},
        )
        assert response.status_code == 201, response.text

    kept = assess(client, admin_key, counting, "2027-10-18")
    released = assess(client, admin_key, releasing, "2027-10-18")

    # Counting released rooms keeps the sample's cliff charge on 55 RN; releasing them drops the baseline
    # to the 40 RN on the books at cut-off, which the 40 RN picked up meet.
    assert kept["total"]["amount"] == "2385.00"
    assert released["total"]["amount"] == "0.00"
    steps = next(line for line in released["lines"] if line["kind"] == "room_attrition")["steps"]
    assert (
        steps[0] == "Baseline (block after valid reductions) = 40 room nights over 2 nights (contracted 55)."
    )


def test_assessment_after_the_cutoff_without_pickup_on_the_cutoff_date_says_what_is_missing(
    client: TestClient, admin_key: str
) -> None:
    _, terms = sample_terms(WEDDING)
    contract_id = create_contract(
        client, admin_key, WEDDING, attrition={**terms["attrition"], "released_rooms_count": False}
    )
    late = {
        "as_of": "2027-09-20",
        "entries": [{"night": "2027-10-08", "room_type": "king", "room_nights": 3}],
    }
    assert client.post(pickup_url(contract_id), headers=bearer(admin_key), json=late).status_code == 201

    response = client.get(
        f"/api/v1/contracts/{contract_id}/assessment",
        params={"as_of": "2027-10-18"},
        headers=bearer(admin_key),
    )

    assert response.status_code == 422, response.text
    assert "cutoff_pickup" in response.text


def test_pickup_outside_the_stay_is_refused_unless_it_is_shoulder_pickup(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    body = {
        "as_of": "2027-09-01",
        "entries": [
            {"night": "2027-10-07", "room_type": "king", "room_nights": 4},
            {"night": "2027-10-10", "room_type": "king", "room_nights": 2, "source": "shoulder"},
        ],
    }

    refused = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)
    body["entries"][0]["source"] = "shoulder"
    accepted = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)
    assessed = client.get(
        f"/api/v1/contracts/{wedding}/assessment", params={"as_of": "2027-09-01"}, headers=bearer(admin_key)
    )

    assert refused.status_code == 422, refused.text
    assert [field for field, _ in errors(refused)] == ["entries[0].night"]
    assert accepted.status_code == 201, accepted.text
    assert assessed.status_code == 200, assessed.text
    assert [row[1] for row in stored_pickup(session, wedding)] == ["2027-10-07", "2027-10-10"]


def test_csv_source_written_as_words_is_read_as_the_source_it_names(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "Night,Room Type,Rooms,Source\n2027-10-08,king,3,Outside Block\n2027-10-08,king,2,Billed No-Show\n"

    response = post_csv(client, admin_key, wedding, text, as_of="2027-08-15")

    assert response.status_code == 201, response.text
    assert [row[3] for row in stored_pickup(session, wedding)] == ["outside_block", "billed_no_show"]


def test_an_empty_uploaded_file_is_refused_naming_the_file_field(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    response = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers=bearer(admin_key),
        files={"file": ("pickup.csv", b"", "text/csv")},
    )

    assert response.status_code == 422, response.text
    assert [problem["field"] for problem in response.json()["errors"]] == ["file"]
    assert stored_pickup(session, wedding) == []


@pytest.mark.parametrize(
    ("night", "refused"),
    [("2027-10-01", False), ("2027-09-30", True), ("2027-10-16", False), ("2027-10-17", True)],
)
def test_shoulder_pickup_is_for_the_seven_nights_either_side_of_the_stay(
    client: TestClient, admin_key: str, wedding: int, session: Session, night: str, refused: bool
) -> None:
    # The wedding block's nights are Oct 8 and 9 (departure Oct 10): shoulder nights run Oct 1 to Oct 16.
    body = {
        "as_of": "2027-09-01",
        "entries": [{"night": night, "room_type": "king", "room_nights": 2, "source": "shoulder"}],
    }

    response = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)

    if refused:
        assert response.status_code == 422, response.text
        assert [field for field, _ in errors(response)] == ["entries[0].night"]
        assert "more than 7 nights from the stay" in response.text
        assert stored_pickup(session, wedding) == []
    else:
        assert response.status_code == 201, response.text
