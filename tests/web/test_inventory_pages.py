"""The hotel inventory page over HTTP on SQLite and PostgreSQL: linked from the hotel details page, a grid
of nights saved as one report (who entered what listed), an upload, refused input kept with its message
beside the night and status 422, and another hotel's staff see nothing."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.persistence.records import HotelInventoryRecord, PropertyRecord
from app.services.contracts import load_contract
from tests.web.test_staff_pages import ADMIN, CONGRESS, ELSEWHERE, _import, sign_in_as


def _hotels(session: Session) -> tuple[int, int]:
    mine = load_contract(session, ADMIN, _import(session, CONGRESS)).record.property_id
    other = load_contract(session, ADMIN, _import(session, ELSEWHERE)).record.property_id
    session.commit()
    return mine, other


def _stored(session: Session, property_id: int) -> list[tuple[str, str, int, int | None]]:
    session.expire_all()
    rows = session.exec(
        select(HotelInventoryRecord)
        .where(HotelInventoryRecord.property_id == property_id)
        .order_by(HotelInventoryRecord.id)  # type: ignore[arg-type]
    ).all()
    return [(row.as_of.isoformat(), row.night.isoformat(), row.unsold_rooms, row.capacity) for row in rows]


def test_staff_save_two_nights_from_the_grid_and_see_them_with_who_entered_them(
    client: TestClient, session: Session
) -> None:
    property_id, _ = _hotels(session)
    csrf = sign_in_as(client, session, frozenset({property_id}))
    details = client.get(f"/properties/{property_id}/details")
    assert f'href="/properties/{property_id}/inventory"' in details.text
    path = f"/properties/{property_id}/inventory"

    saved = client.post(
        path,
        data={
            "csrf_token": csrf,
            "night_from": "2027-03-07",
            "night_to": "2027-03-10",
            "as_of": "2027-03-01",
            "capacity-2027-03-07": "600",
            "out_of_order-2027-03-07": "10",
            "rooms_sold-2027-03-07": "580",
            "unsold_rooms-2027-03-09": "7",
        },
        follow_redirects=False,
    )

    assert saved.status_code == 303, saved.text
    assert _stored(session, property_id) == [
        ("2027-03-01", "2027-03-07", 10, 600),
        ("2027-03-01", "2027-03-09", 7, None),
    ]
    page = client.get(saved.headers["location"])
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Saved 2 nights." in text
    assert "10 unsold (600 rooms, 10 out of order, 580 sold)" in text
    assert "Who entered what" in text
    assert "as of Mar 1, 2027, by staff1@harbor.example" in text


def test_a_night_that_does_not_add_up_comes_back_422_with_its_message_and_nothing_saved(
    client: TestClient, session: Session
) -> None:
    property_id, _ = _hotels(session)
    csrf = sign_in_as(client, session, frozenset({property_id}))

    refused = client.post(
        f"/properties/{property_id}/inventory",
        data={
            "csrf_token": csrf,
            "night_from": "2027-03-07",
            "night_to": "2027-03-10",
            "as_of": "2027-03-01",
            "capacity-2027-03-08": "20",
            "out_of_order-2027-03-08": "30",
            "rooms_sold-2027-03-08": "0",
        },
    )

    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "out of order (30) is more than capacity (20)" in text
    assert 'value="30"' in text
    assert "out_of_order" not in text.replace('name="out_of_order', "").replace(
        'id="out_of_order', ""
    ).replace('for="out_of_order', "")
    assert _stored(session, property_id) == []


def test_an_uploaded_csv_is_saved_whole_or_its_problems_listed_by_row(
    client: TestClient, session: Session
) -> None:
    property_id, _ = _hotels(session)
    csrf = sign_in_as(client, session, frozenset({property_id}))
    path = f"/properties/{property_id}/inventory/upload"
    bad = "night,unsold_rooms\n2027-03-07,4\n2027-03-08,lots\n"
    good = "night;capacity;rooms_sold\n2027-03-07;100;90\n"

    refused = client.post(
        path,
        data={"csrf_token": csrf, "as_of": "2027-03-01"},
        files={"file": ("inv.csv", bad.encode(), "text/csv")},
    )
    saved = client.post(
        path,
        data={
            "csrf_token": csrf,
            "as_of": "2027-03-01",
            "night_from": "2027-03-07",
            "night_to": "2027-03-08",
        },
        files={"file": ("inv.csv", good.encode(), "text/csv")},
        follow_redirects=False,
    )

    assert refused.status_code == 422
    assert "Unsold rooms" in refused.text
    assert "<td>3</td>" in refused.text
    assert saved.status_code == 303, saved.text
    assert _stored(session, property_id) == [("2027-03-01", "2027-03-07", 10, 100)]


def test_an_upload_reads_local_dates_as_the_pickup_upload_does_and_asks_the_order_when_ambiguous(
    client: TestClient, session: Session
) -> None:
    """The pickup upload's date reader: 23/03/2027 can only be day first, so 24.03.27 is too; 07/03/2027
    and 08/03/2027 read both ways, so the page asks (the Chicago hotel's month first suggested), and
    with day first chosen they are March 7 and 8."""
    property_id, _ = _hotels(session)
    csrf = sign_in_as(client, session, frozenset({property_id}))
    path = f"/properties/{property_id}/inventory/upload"
    form = {"csrf_token": csrf, "as_of": "2027-03-01"}
    clear = "night,unsold_rooms,as_of\n23/03/2027,4,20/03/2027\n24.03.27,5,\n"
    ambiguous = "night,unsold_rooms\n07/03/2027,4\n08/03/2027,5\n"

    read = client.post(path, data=form, files={"file": ("a.csv", clear.encode(), "text/csv")})
    asked = client.post(path, data=form, files={"file": ("b.csv", ambiguous.encode(), "text/csv")})
    chosen = client.post(
        path,
        data=form | {"date_order": "day_first"},
        files={"file": ("b.csv", ambiguous.encode(), "text/csv")},
        follow_redirects=False,
    )

    # The first file's as_of column says 20/03/2027 on one row and nothing (the form's date) on the other.
    assert read.status_code == 422
    assert "split the file by report date" in read.text
    assert asked.status_code == 422
    text = html.unescape(asked.text)
    assert "07/03/2027 could be day first or month first" in text
    assert "which comes first?" in text
    assert '<input type="radio" name="date_order" value="month_first" checked>' in asked.text
    assert chosen.status_code == 303, chosen.text
    assert _stored(session, property_id) == [
        ("2027-03-01", "2027-03-07", 4, None),
        ("2027-03-01", "2027-03-08", 5, None),
    ]
    one_date = "night,unsold_rooms,as_of\n23/03/2027,4,20/03/2027\n24.03.27,5,20/03/2027\n"
    saved = client.post(
        path, data=form, files={"file": ("c.csv", one_date.encode(), "text/csv")}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    assert _stored(session, property_id)[2:] == [
        ("2027-03-20", "2027-03-23", 4, None),
        ("2027-03-20", "2027-03-24", 5, None),
    ]


def test_without_local_dates_a_file_reads_iso_dates_only_naming_the_line() -> None:
    """The API's uploads (no ``local_dates``) keep to YYYY-MM-DD, as the pickup API does."""
    from app.services.hotel_inventory import parse_inventory_table
    from app.services.pickup_files import PickupFileError, read_csv

    table = read_csv("night,unsold_rooms\n2027-03-07,4\n23/03/2027,5\n")

    with pytest.raises(PickupFileError) as refused:
        parse_inventory_table(table, date(2027, 3, 1))

    assert [(p.field, p.line, p.message) for p in refused.value.problems] == [
        ("night", 3, "'23/03/2027' is not a date (YYYY-MM-DD)")
    ]
    assert parse_inventory_table(table, date(2027, 3, 1), local_dates=True).nights[1].night == date(
        2027, 3, 23
    )


def test_another_hotels_staff_get_404_and_a_post_without_csrf_is_403(
    client: TestClient, session: Session
) -> None:
    property_id, other = _hotels(session)
    sign_in_as(client, session, frozenset({other}))

    seen = client.get(f"/properties/{property_id}/inventory")
    forged = client.post(
        f"/properties/{other}/inventory", data={"unsold_rooms-2027-03-07": "3", "as_of": "2027-03-01"}
    )

    assert seen.status_code == 404
    assert forged.status_code == 403
    assert _stored(session, other) == []


def test_a_range_over_two_months_is_refused_with_the_default_nights_shown(
    client: TestClient, session: Session
) -> None:
    property_id, _ = _hotels(session)
    sign_in_as(client, session, frozenset({property_id}))

    page = client.get(
        f"/properties/{property_id}/inventory", params={"night_from": "2027-01-01", "night_to": "2027-06-01"}
    )

    assert page.status_code == 422
    assert "Show at most 62 nights at once." in page.text


def test_the_contract_page_names_the_other_groups_share_and_the_planner_page_anonymises_it(
    client: TestClient, session: Session, admin_key: str
) -> None:
    """The issue's two groups, short 10 and 20 on a night with 20 unsold, in invoice order: 10 and 10."""
    from app.services import sharing
    from tests.api.test_hotel_inventory import make_two_groups

    property_id, _, second = make_two_groups(client, admin_key)
    sign_in_as(client, session, frozenset({property_id}))

    staff_page = client.get(f"/contracts/{second}", params={"as_of": "2026-11-20"})
    _, token = sharing.create_share_link(session, ADMIN, second, {"label": "planner"})
    session.commit()
    client.cookies.clear()
    planner = client.get(f"/share/{token}")

    assert staff_page.status_code == 200
    text = html.unescape(staff_page.text)
    assert "Unsold rooms shared with other groups" in text
    assert "First Group Convention: short 10, gets 10" in text
    assert planner.status_code == 200
    shared = html.unescape(planner.text)
    assert "another group: short 10, gets 10" in shared
    assert "First Group" not in shared


def test_an_invoice_whose_share_of_unsold_rooms_changed_is_flagged_with_the_credit_note_path(
    client: TestClient, session: Session, admin_key: str
) -> None:
    """The first group is invoiced for its share, 10 of the 20 unsold (2,000.00). The hotel then reports
    only 5 unsold that night: its share is now min(10, 5) = 5, so the invoice is flagged."""
    from tests.api.conftest import bearer
    from tests.api.test_hotel_inventory import NIGHT, make_two_groups

    property_id, first, _ = make_two_groups(client, admin_key)
    headers = bearer(admin_key) | {"Accept": "application/json"}
    issued = client.post(f"/api/v1/contracts/{first}/invoices", headers=headers, json={"as_of": "2026-11-20"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["total"]["amount"] == "2000.00"
    sign_in_as(client, session, frozenset({property_id}))
    before = client.get(f"/contracts/{first}")
    report = {"as_of": "2026-11-16", "nights": [{"night": NIGHT, "unsold_rooms": 5}]}
    assert (
        client.post(f"/api/v1/properties/{property_id}/inventory", headers=headers, json=report).status_code
        == 201
    )

    after = client.get(f"/contracts/{first}")

    assert before.status_code == after.status_code == 200
    assert "have changed" not in before.text
    text = html.unescape(after.text)
    assert "The shares of the hotel's unsold rooms this invoice billed have changed" in text
    assert "Nov 10, 2026: 10 billed, 5 now" in text
    number = issued.json()["number"]
    assert f'href="#credit-{number}"' in text
    assert f'<details id="credit-{number}" open>' in text


def test_the_hotel_details_page_sets_the_sharing_rule_in_words_and_refreshes_the_contracts(
    client: TestClient, session: Session, admin_key: str
) -> None:
    """The issue's two groups (short 10 and 20 on 20 unsold) take 10 and 10 in invoice order; saved as
    pro rata on the hotel details page, their stored snapshots read 7 and 13 rooms (1,400.00, 2,600.00)."""
    from tests.api.test_hotel_inventory import make_two_groups, snapshot_totals
    from tests.web.test_party_pages import SELLER_FORM

    property_id, first, second = make_two_groups(client, admin_key)
    csrf = sign_in_as(client, session, frozenset({property_id}))
    path = f"/properties/{property_id}/details"
    page = client.get(path)
    shown = html.unescape(re.sub(r"<[^>]+>", " ", page.text))
    revision = page.text.split('name="revision" value="', 1)[1].split('"', 1)[0]

    saved = client.post(
        path,
        data={"csrf_token": csrf, "revision": revision, **SELLER_FORM, "last_room_sold_sharing": "pro_rata"},
        follow_redirects=False,
    )

    assert page.status_code == 200
    assert "Unsold rooms shared among groups" in shown
    assert "In the order the groups were invoiced" in shown
    assert "Groups already invoiced take their shortfall first" in shown
    assert "In proportion to each group's shortfall" in shown
    assert "invoice_order" not in shown  # words, not values
    assert "pro_rata" not in shown
    assert 'value="invoice_order" aria-describedby="sharing-1-hint" checked' in page.text
    assert saved.status_code == 303, saved.text
    session.expire_all()
    record = session.get(PropertyRecord, property_id)
    assert record is not None
    assert record.last_room_sold_sharing == "pro_rata"
    assert snapshot_totals(session, first, second) == ["1400.00", "2600.00"]
    again = client.get(saved.headers["location"])
    assert 'value="pro_rata" aria-describedby="sharing-2-hint" checked' in again.text


def test_a_sharing_rule_the_hotel_does_not_have_is_refused_beside_it(
    client: TestClient, session: Session
) -> None:
    from tests.web.test_party_pages import SELLER_FORM

    property_id, _ = _hotels(session)
    csrf = sign_in_as(client, session, frozenset({property_id}))
    path = f"/properties/{property_id}/details"
    revision = client.get(path).text.split('name="revision" value="', 1)[1].split('"', 1)[0]

    refused = client.post(
        path,
        data={"csrf_token": csrf, "revision": revision, **SELLER_FORM, "last_room_sold_sharing": "lottery"},
        follow_redirects=False,
    )

    assert refused.status_code == 422
    assert 'id="last_room_sold_sharing-error">choose one of the ways of sharing below' in refused.text
    assert "pro_rata" not in re.sub(r"<[^>]+>", " ", refused.text)
    session.expire_all()
    record = session.get(PropertyRecord, property_id)
    assert record is not None
    assert record.last_room_sold_sharing == "invoice_order"


def test_the_invoices_list_flags_an_uncredited_invoice_whose_shares_changed_with_its_credit_note_form(
    client: TestClient, session: Session, admin_key: str
) -> None:
    """As above: the first group's invoice billed 10 of the 20 unsold rooms; the hotel then reports 5, so
    the hotels' invoices list flags it and links to its credit-note form; once credited, no flag."""
    from tests.api.conftest import bearer
    from tests.api.test_hotel_inventory import NIGHT, make_two_groups

    property_id, first, _ = make_two_groups(client, admin_key)
    headers = bearer(admin_key) | {"Accept": "application/json"}
    issued = client.post(f"/api/v1/contracts/{first}/invoices", headers=headers, json={"as_of": "2026-11-20"})
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    sign_in_as(client, session, frozenset({property_id}))
    before = client.get("/invoices")
    report = {"as_of": "2026-11-16", "nights": [{"night": NIGHT, "unsold_rooms": 5}]}
    inventory = f"/api/v1/properties/{property_id}/inventory"
    assert client.post(inventory, headers=headers, json=report).status_code == 201

    after = client.get("/invoices")
    contract_page = client.get(f"/contracts/{first}")
    credited = client.post(
        f"/api/v1/invoices/{number}/credit-note", headers=headers, json={"reason": "share changed"}
    )
    once_credited = client.get("/invoices")

    assert before.status_code == after.status_code == 200
    assert "have changed" not in before.text
    text = html.unescape(after.text)
    assert f"The shares of the hotel's unsold rooms invoice {number} billed have changed" in text
    assert "Nov 10, 2026: 10 billed, 5 now" in text
    assert f'href="/contracts/{first}#credit-{number}"' in text
    assert f'<details id="credit-{number}" open>' in contract_page.text
    assert credited.status_code == 201, credited.text
    assert "have changed" not in once_credited.text
