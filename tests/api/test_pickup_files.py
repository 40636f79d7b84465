"""The API's pickup entry points refuse room types outside the block, and take .xlsx workbooks
(multipart upload or a body of the workbook media type), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from babel import Locale
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services.pickup_files import XLSX_MEDIA_TYPE, locale_date_order
from tests.api.conftest import bearer
from tests.api.test_pickup import errors, pickup_url, post_csv, stored_pickup, wedding
from tests.workbooks import workbook, zip_bomb

__all__ = ["wedding"]  # the fixture, used by name

# The wedding sample: nights 2027-10-08 and 2027-10-09; room types king, double, suite.
KNOWN = "(king, double, suite)"


def test_json_pickup_naming_a_pms_code_is_422_naming_the_blocks_room_types_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    body = {
        "as_of": "2027-09-01",
        "entries": [
            {"night": "2027-10-08", "room_type": "king", "room_nights": 10},
            {"night": "2027-10-08", "room_type": "KNG", "room_nights": 3},
        ],
    }

    response = client.post(pickup_url(wedding), headers=bearer(admin_key), json=body)

    assert response.status_code == 422, response.text
    assert errors(response) == [("entries[1].room_type", None)]
    assert response.json()["errors"][0]["message"] == f"room type KNG is not in the block {KNOWN}"
    assert stored_pickup(session, wedding) == []


def test_csv_body_with_an_unknown_room_type_names_its_line(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    text = "night,room_type,room_nights\n2027-10-08,king,4\n2027-10-09,twin,2\n"

    response = post_csv(client, admin_key, wedding, text, as_of="2027-09-01")

    assert response.status_code == 422, response.text
    assert errors(response) == [("room_type", 3)]
    assert "room type twin is not in the block" in response.text
    assert stored_pickup(session, wedding) == []


def test_what_if_pickup_with_an_unknown_room_type_is_422(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    response = client.post(
        f"/api/v1/contracts/{wedding}/what-if",
        headers=bearer(admin_key),
        json={
            "as_of": "2027-10-10",
            "pickup": [{"night": "2027-10-08", "room_type": "twin", "room_nights": 5}],
        },
    )

    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["pickup[0].room_type"]
    assert f"room type twin is not in the block {KNOWN}" in response.text


def test_an_xlsx_upload_is_read_from_its_first_sheet_with_date_cells_and_numbers(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    data = workbook(
        [["2027-10-08", "king", 99]],  # on the second sheet: not read
        first_sheet=[
            ["Night", "Type", "Rooms", "Rate", "Source"],
            [datetime(2027, 10, 8), "king", 12, None, None],
            [date(2027, 10, 9), "double", 3.0, 199.5, "outside block"],
        ],
    )

    response = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers=bearer(admin_key),
        files={"file": ("pickup.xlsx", data, XLSX_MEDIA_TYPE)},
    )

    assert response.status_code == 201, response.text
    assert stored_pickup(session, wedding) == [
        ("2027-09-01", "2027-10-08", "king", "in_block", 12, None),
        ("2027-09-01", "2027-10-09", "double", "outside_block", 3, "199.5"),
    ]


def test_an_xlsx_body_with_a_bad_row_names_row_and_column_and_saves_nothing(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    data = workbook(
        [
            ["as_of", "night", "room_type", "room_nights"],
            ["2027-09-01", "2027-10-08", "king", 4],
            ["2027-09-01", "2027-10-09", "twin", 4],
            ["2027-09-01", "2027-10-09", "king", "ten"],
        ]
    )

    response = client.post(
        pickup_url(wedding), headers={**bearer(admin_key), "Content-Type": XLSX_MEDIA_TYPE}, content=data
    )

    assert response.status_code == 422, response.text
    assert sorted(errors(response), key=lambda error: error[1] or 0) == [("room_type", 3), ("room_nights", 4)]
    assert stored_pickup(session, wedding) == []


def test_a_workbook_that_unpacks_past_the_bound_is_refused_before_it_is_parsed(
    client: TestClient, admin_key: str, wedding: int, session: Session
) -> None:
    data = zip_bomb(45_000_000)
    assert len(data) < 200_000

    response = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers={**bearer(admin_key), "Content-Type": XLSX_MEDIA_TYPE},
        content=data,
    )

    assert response.status_code == 422, response.text
    assert "unpacks to more than 40 MB" in response.json()["detail"]
    assert [error["field"] for error in response.json()["errors"]] == ["file"]
    assert stored_pickup(session, wedding) == []


def test_a_file_that_looks_like_a_zip_but_is_not_a_workbook_is_422_naming_the_file(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    response = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers={**bearer(admin_key), "Content-Type": XLSX_MEDIA_TYPE},
        content=b"PK\x03\x04 not really a zip",
    )

    assert response.status_code == 422, response.text
    assert "not an Excel workbook" in response.json()["detail"]


def test_the_api_csv_keeps_dates_iso_only(client: TestClient, admin_key: str, wedding: int) -> None:
    response = post_csv(
        client, admin_key, wedding, "night,room_type,room_nights\n10/08/2027,king,4\n", as_of="2027-09-01"
    )

    assert response.status_code == 422, response.text
    assert errors(response) == [("night", 2)]
    assert "YYYY-MM-DD" in response.text


def test_a_workbook_row_past_the_limit_is_refused_naming_it(
    client: TestClient, admin_key: str, wedding: int
) -> None:
    rows = [["night", "room_type", "room_nights"]] + [["2027-10-08", "king", 1]] * 10_001

    response = client.post(
        pickup_url(wedding),
        params={"as_of": "2027-09-01"},
        headers={**bearer(admin_key), "Content-Type": XLSX_MEDIA_TYPE},
        content=workbook(rows),
    )

    assert response.status_code == 422, response.text
    assert errors(response) == [("", 10_002)]
    assert "at most 10,000 rows" in response.text


def test_an_empty_cell_is_named_in_words(client: TestClient, admin_key: str, wedding: int) -> None:
    response = post_csv(
        client, admin_key, wedding, "night,room_type,room_nights\n2027-10-08,,4\n", as_of="2027-09-01"
    )

    assert response.status_code == 422, response.text
    assert errors(response) == [("room_type", 2)]
    assert response.json()["errors"][0]["message"] == "empty: give the room type"


@pytest.mark.parametrize(
    ("locale", "order"),
    [("en", "month_first"), ("en_US", "month_first"), ("fr", "day_first"), ("en_GB", "day_first")],
)
def test_the_suggested_date_order_is_the_locales_short_date(locale: str, order: str) -> None:
    assert locale_date_order(Locale.parse(locale)).value == order
