"""The pickup page's file upload over HTTP on SQLite and PostgreSQL: the report date defaults to today at
the hotel, the file is kept through each step, dates may be written as the hotel writes them (with a
day-first / month-first choice when they read both ways), room types outside the block and any bad row
save nothing, and .xlsx workbooks are read like CSV."""

from __future__ import annotations

import base64
import html
import re
from datetime import date, datetime

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.services.pickup_files import XLSX_MEDIA_TYPE
from tests.web.test_staff_pages import Hotel, _snapshots, _today, hotel
from tests.workbooks import workbook, zip_bomb

__all__ = ["hotel"]  # the fixture, used by name

# The congress sample (Chicago, locale en: month first): nights 2027-04-14 to 04-17, room types king, double.


def upload(client: TestClient, hotel: Hotel, name: str, data: bytes, **fields: str) -> Response:
    media = XLSX_MEDIA_TYPE if name.endswith(".xlsx") else "text/csv"
    return client.post(
        f"/contracts/{hotel.contract_id}/pickup/csv",
        data={"csrf_token": hotel.csrf, **fields},
        files={"file": (name, data, media)},
        follow_redirects=False,
    )


def step(client: TestClient, hotel: Hotel, page: Response, **fields: str) -> Response:
    """The next post of the page's upload form, without choosing the file again: as a browser does, a
    multipart body (the form's enctype) whose file part is empty and has no name."""
    form = hidden_fields(page.text)
    return client.post(
        f"/contracts/{hotel.contract_id}/pickup/csv",
        data={**form, "csrf_token": hotel.csrf, **fields},
        files={"file": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


def hidden_fields(text: str) -> dict[str, str]:
    form = text[
        text.index('id="pickup-csv-form"') : text.index("</form>", text.index('id="pickup-csv-form"'))
    ]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    }


def rejected(text: str) -> list[tuple[int, str, str]]:
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td>([^<]*)</td><td>([^<]+)</td></tr>', text)
    return [(int(line), html.unescape(column), html.unescape(message)) for line, column, message in rows]


def saved(session: Session, hotel: Hotel) -> list[tuple[str, str, str, int]]:
    return sorted(
        (row.as_of.isoformat(), row.night.isoformat(), row.room_type, row.room_nights)
        for row in _snapshots(session, hotel.contract_id)
    )


def test_the_report_date_defaults_to_today_at_the_hotel(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    page = client.get(f"/contracts/{hotel.contract_id}/pickup")

    today = _today(session, hotel.contract_id).isoformat()
    assert re.search(rf'<input id="csv-as-of" name="as_of" type="date" value="{today}"', page.text)


def test_a_bad_date_keeps_the_file_and_correcting_it_previews_then_confirm_saves(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    text = b"night,room_type,room_nights\n2027-04-14,king,40\n2027-04-15,double,30\n"

    first = upload(client, hotel, "pickup.csv", text, as_of="2026-02-30")

    assert first.status_code == 422
    assert 'id="csv-as-of-error"' in first.text
    assert base64.b64decode(hidden_fields(first.text)["kept_file"]) == text
    assert "Using <strong>pickup.csv</strong>" in first.text
    assert "Confirm and save" not in first.text

    preview = step(client, hotel, first, as_of="2026-12-01")

    assert preview.status_code == 200, preview.text
    assert "2 rows to save" in preview.text
    assert saved(session, hotel) == []

    confirmed = step(client, hotel, preview, as_of="2026-12-01", confirm="yes")

    assert confirmed.status_code == 303, confirmed.text
    assert saved(session, hotel) == [
        ("2026-12-01", "2027-04-14", "king", 40),
        ("2026-12-01", "2027-04-15", "double", 30),
    ]


def test_confirming_after_changing_the_date_previews_again_instead_of_saving(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    preview = upload(
        client, hotel, "p.csv", b"night,room_type,room_nights\n2027-04-14,king,4\n", as_of="2026-12-01"
    )

    changed = step(client, hotel, preview, as_of="2026-12-02", confirm="yes")

    assert changed.status_code == 200
    assert "Confirm and save 1 row" in changed.text
    assert saved(session, hotel) == []


def test_a_file_with_any_bad_row_lists_every_problem_by_row_and_column_and_offers_no_save(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    text = (
        b"Night,Type,Rooms\n"
        b"2027-04-14,king,40\n"
        b"2027-04-15,twin,3\n"  # not a room type of the block
        b"2027-05-15,king,3\n"  # not a night of the block
        b"2027-04-16,double,-2\n"
    )

    preview = upload(client, hotel, "pickup.csv", text, as_of="2026-12-01")

    assert preview.status_code == 422
    assert rejected(preview.text) == [
        (3, "B (Type)", "room type twin is not in the block (king, double)"),
        (4, "A (Night)", rejected(preview.text)[1][2]),
        (5, "C (Rooms)", rejected(preview.text)[2][2]),
    ]
    assert "not a night of the block" in rejected(preview.text)[1][2]
    assert "Confirm and save" not in preview.text
    assert "previewed" not in hidden_fields(preview.text)

    forced = step(client, hotel, preview, as_of="2026-12-01", confirm="yes")

    assert forced.status_code == 422
    assert saved(session, hotel) == []


def test_dates_as_the_hotel_writes_them_are_read_and_the_file_settles_the_order(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    text = b"as_of,night,room_type,room_nights\n12/01/2026,04/14/2027,king,5\n12/01/2026,4/15/27,double,6\n"

    preview = upload(client, hotel, "pickup.csv", text, as_of="")
    confirmed = step(client, hotel, preview, confirm="yes")

    assert preview.status_code == 200, preview.text
    assert 'id="date-order"' not in preview.text
    assert confirmed.status_code == 303, confirmed.text
    assert saved(session, hotel) == [
        ("2026-12-01", "2027-04-14", "king", 5),
        ("2026-12-01", "2027-04-15", "double", 6),
    ]


def test_dates_that_read_both_ways_ask_for_the_order_suggesting_the_locales_and_the_choice_is_applied(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    text = b"as_of,night,room_type,room_nights\n03/01/2026,2027-04-14,king,5\n"

    asked = upload(client, hotel, "pickup.csv", text)

    assert asked.status_code == 422
    assert 'id="date-order"' in asked.text
    assert "03/01/2026 could be day first or month first" in asked.text
    assert re.search(
        r'value="month_first" checked', asked.text
    )  # locale en writes 1/3/26 for 3 January... no: M/d/yy
    assert "Confirm and save" not in asked.text

    day_first = step(client, hotel, asked, date_order="day_first")
    confirmed = step(client, hotel, day_first, date_order="day_first", confirm="yes")

    assert day_first.status_code == 200, day_first.text
    assert "as of Jan 3, 2026" in day_first.text
    assert confirmed.status_code == 303, day_first.text
    assert saved(session, hotel) == [("2026-01-03", "2027-04-14", "king", 5)]


def test_an_xlsx_workbook_is_previewed_and_saved_like_a_csv(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    data = workbook(
        [
            ["night", "room_type", "room_nights", "as_of"],
            [datetime(2027, 4, 14), "king", 12, date(2026, 12, 1)],
            ["04/16/2027", "double", 7.0, "2026-12-01"],
        ]
    )

    preview = upload(client, hotel, "pickup.xlsx", data)
    confirmed = step(client, hotel, preview, confirm="yes")

    assert preview.status_code == 200, preview.text
    assert "2 rows to save" in preview.text
    assert confirmed.status_code == 303, confirmed.text
    assert saved(session, hotel) == [
        ("2026-12-01", "2027-04-14", "king", 12),
        ("2026-12-01", "2027-04-16", "double", 7),
    ]


def test_a_workbook_bomb_and_a_broken_workbook_are_refused_at_the_file_field(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    bomb = upload(client, hotel, "big.xlsx", zip_bomb(45_000_000), as_of="2026-12-01")
    broken = upload(client, hotel, "broken.xlsx", b"PK\x03\x04 nothing", as_of="2026-12-01")

    assert bomb.status_code == broken.status_code == 422
    assert "unpacks to more than 40 MB" in bomb.text
    assert "not an Excel workbook" in broken.text
    assert 'id="csv-file-error"' in bomb.text
    assert saved(session, hotel) == []


def test_a_kept_file_over_starlettes_default_field_size_travels_back(
    client: TestClient, hotel: Hotel
) -> None:
    rows = "".join(f"2027-04-14,king,{index},{'x' * 900}\n" for index in range(1_300))
    text = f"night,room_type,room_nights,note\n{rows}".encode()
    assert 1_000_000 < len(text) < 2_000_000

    first = upload(client, hotel, "big.csv", text, as_of="2026-13-01")
    again = step(client, hotel, first, as_of="2026-14-01")

    assert first.status_code == again.status_code == 422, again.text
    assert 'id="csv-as-of-error"' in again.text
    assert base64.b64decode(hidden_fields(again.text)["kept_file"]) == text


def test_a_long_list_of_problems_is_cut_short_with_a_count(client: TestClient, hotel: Hotel) -> None:
    text = "night,room_type,room_nights\n" + "2027-04-14,twin,1\n" * 250

    response = upload(client, hotel, "p.csv", text.encode(), as_of="2026-12-01")

    assert response.status_code == 422
    assert len(rejected(response.text)) == 100
    assert "250 problems to fix" in response.text
    assert "and 150 more" in response.text


def test_a_file_over_the_upload_limit_is_refused(client: TestClient, hotel: Hotel) -> None:
    response = upload(client, hotel, "huge.csv", b"night,room_type,room_nights\n" + b" " * 2_000_000)

    assert response.status_code == 422
    assert "larger than 2 MB" in response.text
    assert "kept_file" not in response.text


def test_a_file_without_a_report_date_asks_for_it_beside_the_date_and_keeps_the_file(
    client: TestClient, hotel: Hotel
) -> None:
    text = b"night,room_type,room_nights\n2027-04-14,king,4\n"

    response = upload(client, hotel, "p.csv", text, as_of="")

    assert response.status_code == 422
    assert re.search(r'id="csv-as-of-error">give the report date', response.text)
    assert 'id="csv-file-error"' not in response.text
    assert base64.b64decode(hidden_fields(response.text)["kept_file"]) == text


def test_a_day_first_file_is_read_day_first_even_at_a_month_first_hotel(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    text = b"night;room_type;room_nights\n15/04/2027;king;4\n16.04.27;double;2\n"

    preview = upload(client, hotel, "p.csv", text, as_of="2026-12-01")
    confirmed = step(client, hotel, preview, as_of="2026-12-01", confirm="yes")

    assert confirmed.status_code == 303, preview.text
    assert saved(session, hotel) == [
        ("2026-12-01", "2027-04-15", "king", 4),
        ("2026-12-01", "2027-04-16", "double", 2),
    ]


def test_a_date_that_fits_neither_order_is_named_by_row_and_column(client: TestClient, hotel: Hotel) -> None:
    text = b"night,room_type,room_nights\n04/14/2027,king,4\n13/14/2027,king,2\n"

    response = upload(client, hotel, "p.csv", text, as_of="2026-12-01")

    assert response.status_code == 422
    assert rejected(response.text) == [
        (3, "A (night)", "'13/14/2027' is not a date (YYYY-MM-DD, or day/month/year or month/day/year)")
    ]
