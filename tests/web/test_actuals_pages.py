"""The actuals pages over HTTP on SQLite and PostgreSQL: each form saves through the services (with who
entered it), the assessment changes, bad input is refused beside its field with nothing saved, and a
post without the session's CSRF token is refused."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.persistence.records import (
    FnbActualRecord,
    InventoryReportRecord,
    NoticeRecord,
    PickupSnapshotRecord,
    StaffSessionRecord,
)
from app.services.contracts import load_contract
from app.services.errors import InvalidInputError, Problem
from app.web.missing import missing_input
from tests.api.conftest import CONTRACTS
from tests.web.test_staff_pages import ADMIN, CONGRESS, _import, _total, sign_in_as

LAST_ROOM_SOLD = CONTRACTS / "convention-last-room-sold.yaml"  # San Antonio, per night, last room sold
CONGRESS_DAY = date(2027, 5, 3)  # after the congress's departure: the assessment is final
CONVENTION_DAY = date(2027, 3, 29)


def _signed_in(client: TestClient, session: Session, path: object) -> tuple[int, str]:
    contract_id = _import(session, path)  # type: ignore[arg-type]
    property_id = load_contract(session, ADMIN, contract_id).record.property_id
    session.commit()
    return contract_id, sign_in_as(client, session, frozenset({property_id}))


def _rows(session: Session, table: type, contract_id: int) -> list:  # type: ignore[type-arg]
    session.expire_all()
    return list(session.exec(select(table).where(table.contract_id == contract_id)))


def _user_label(session: Session) -> str:
    user_id = session.exec(select(StaffSessionRecord)).first().user_id  # type: ignore[union-attr]
    return f"user:{user_id}"


# --- F&B spend ---------------------------------------------------------------------------------------


def test_fnb_spend_entered_in_the_page_lowers_what_the_congress_owes_and_names_who_entered_it(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)
    before = _total(session, contract_id, CONGRESS_DAY)

    response = client.post(
        f"/contracts/{contract_id}/actuals/fnb",
        data={
            "csrf_token": csrf,
            "as_of": CONGRESS_DAY.isoformat(),
            "fnb:banquet_food": "61,250.00",  # the hotel locale's grouping is accepted
            "fnb:banquet_beverage": "14380",
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/contracts/{contract_id}/actuals?as_of=2027-05-03")
    after = _total(session, contract_id, CONGRESS_DAY)
    assert after < before
    # The F&B minimum is 95,000 with a 10 % allowance: 85,500 − 75,630 = 9,870 short instead of 85,500.
    assert before - after >= Decimal("75630.00")
    rows = _rows(session, FnbActualRecord, contract_id)
    assert sorted((row.category, row.amount) for row in rows) == [
        ("banquet_beverage", "14380"),
        ("banquet_food", "61250.00"),
    ]
    assert {row.recorded_by for row in rows} == {_user_label(session)}
    page = client.get(response.headers["location"])
    assert "F&amp;B spend saved." in page.text
    history = page.text.split('id="history"')[1]
    assert "Banquet food" in history
    assert "$61,250.00" in history
    assert "staff1@harbor.example" in history  # who entered it (the user's name, else e-mail)
    assert "banquet_food" not in history


def test_an_amount_that_is_not_one_is_refused_beside_its_field_with_the_input_kept_and_nothing_saved(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)

    response = client.post(
        f"/contracts/{contract_id}/actuals/fnb",
        data={
            "csrf_token": csrf,
            "as_of": CONGRESS_DAY.isoformat(),
            "fnb:banquet_food": "61250",
            "fnb:bars": "lots",
        },
    )

    assert response.status_code == 422
    assert 'id="fnb:bars-error"' in response.text
    assert "&#39;lots&#39; is not an amount" in response.text
    assert 'value="lots"' in response.text
    assert 'value="61250"' in response.text
    assert _rows(session, FnbActualRecord, contract_id) == []


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
@pytest.mark.parametrize(
    ("form", "field", "value"),
    [
        ("fnb", "fnb:banquet_food", "1000"),
        ("inventory", "inv:2027-04-14:unsold_rooms", "3"),
        ("credited", "room_nights", "3"),
        ("notices", "fnb_notice_date", "2027-03-01"),
    ],
)
def test_every_actuals_form_without_the_sessions_csrf_token_is_403_and_saves_nothing(
    client: TestClient, session: Session, form: str, field: str, value: str, token: str | None
) -> None:
    contract_id, _ = _signed_in(client, session, CONGRESS)
    data = {
        "as_of": "2027-04-01",
        field: value,
        "night": "2027-04-14",
        "room_type": "king",
        "source": "staff",
    }
    if token is not None:
        data["csrf_token"] = token

    response = client.post(f"/contracts/{contract_id}/actuals/{form}", data=data)

    assert response.status_code == 403
    for table in (FnbActualRecord, InventoryReportRecord, NoticeRecord, PickupSnapshotRecord):
        assert _rows(session, table, contract_id) == []


# --- inventory ---------------------------------------------------------------------------------------


def test_the_last_room_sold_sample_says_it_needs_inventory_links_the_form_and_is_assessed_once_entered(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, LAST_ROOM_SOLD)
    url = f"/contracts/{contract_id}?as_of={CONVENTION_DAY.isoformat()}"

    page = client.get(url)
    assert page.status_code == 200
    missing = page.text.split('id="assessment-missing"')[1].split("</div>")[0]
    assert "unsold rooms" in missing
    assert f'href="/contracts/{contract_id}/actuals#inventory"' in missing
    assert "actuals.inventory" not in page.text
    assert "last_room_sold" not in page.text
    assert "Exposure report (PDF)" not in page.text
    dashboard = client.get("/")
    row = dashboard.text.split(f'data-contract="{contract_id}"')[1].split("</tr>")[0]
    assert f'href="/contracts/{contract_id}/actuals#inventory"' in row
    assert "actuals.inventory" not in dashboard.text

    form = {"csrf_token": csrf, "as_of": CONVENTION_DAY.isoformat()}
    for night, unsold in (
        ("2027-03-07", "5"),
        ("2027-03-08", "0"),
        ("2027-03-09", "40"),
        ("2027-03-10", "25"),
    ):
        form[f"inv:{night}:unsold_rooms"] = unsold
    form["inv:2027-03-09:other_groups_charged_rooms"] = "30"
    saved = client.post(f"/contracts/{contract_id}/actuals/inventory", data=form, follow_redirects=False)

    assert saved.status_code == 303
    total = _total(session, contract_id, CONVENTION_DAY)
    assert total > 0
    page = client.get(url)
    assert 'id="assessment-missing"' not in page.text
    assert "Exposure report (PDF)" in page.text
    rows = _rows(session, InventoryReportRecord, contract_id)
    assert len(rows) == 4
    assert {row.recorded_by for row in rows} == {_user_label(session)}


def test_resold_rooms_without_a_rate_are_refused_beside_the_rate_in_words_and_nothing_is_saved(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, LAST_ROOM_SOLD)

    response = client.post(
        f"/contracts/{contract_id}/actuals/inventory",
        data={
            "csrf_token": csrf,
            "as_of": CONVENTION_DAY.isoformat(),
            "inv:2027-03-07:unsold_rooms": "5",
            "inv:2027-03-08:resold_rooms": "4",
        },
    )

    assert response.status_code == 422
    error = re.search(r'id="inv:2027-03-08:resold_rate-error">([^<]*)<', response.text)
    assert error is not None
    assert "rate" in error.group(1)
    assert "_" not in error.group(1)
    assert 'value="4"' in response.text
    assert _rows(session, InventoryReportRecord, contract_id) == []


# --- credited pickup and notices ---------------------------------------------------------------------


def test_credited_pickup_by_source_is_saved_with_its_source_and_lowers_what_is_owed(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)
    before = _total(session, contract_id, CONGRESS_DAY)

    response = client.post(
        f"/contracts/{contract_id}/actuals/credited",
        data={
            "csrf_token": csrf,
            "as_of": CONGRESS_DAY.isoformat(),
            "source": "outside_block",
            "night": "2027-04-15",
            "room_type": "king",
            "room_nights": "60",
            "rate": "209.00",
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    rows = _rows(session, PickupSnapshotRecord, contract_id)
    assert [(row.source, row.room_nights, row.recorded_by) for row in rows] == [
        ("outside_block", 60, _user_label(session))
    ]
    assert _total(session, contract_id, CONGRESS_DAY) < before
    page = client.get(response.headers["location"])
    assert "Outside the block (audit matches)" in page.text.split('id="history"')[1]


def test_credited_pickup_on_a_night_outside_the_block_is_refused_unless_it_is_a_shoulder_night(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)
    data = {
        "csrf_token": csrf,
        "as_of": CONGRESS_DAY.isoformat(),
        "source": "staff",
        "night": "2027-04-13",
        "room_type": "king",
        "room_nights": "5",
    }

    refused = client.post(f"/contracts/{contract_id}/actuals/credited", data=data)

    assert refused.status_code == 422
    error = re.search(r'id="night-error">([^<]*)<', refused.text)
    assert error is not None
    assert "Shoulder nights" in error.group(1)
    assert _rows(session, PickupSnapshotRecord, contract_id) == []
    shoulder = client.post(
        f"/contracts/{contract_id}/actuals/credited",
        data=data | {"source": "shoulder"},
        follow_redirects=False,
    )
    assert shoulder.status_code == 303
    assert [row.source for row in _rows(session, PickupSnapshotRecord, contract_id)] == ["shoulder"]


def test_notices_are_saved_with_their_dates_and_a_bad_date_is_refused_beside_its_field(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)
    url = f"/contracts/{contract_id}/actuals/notices"

    refused = client.post(
        url, data={"csrf_token": csrf, "as_of": "2027-03-01", "cancellation_notice_date": "1 March"}
    )
    assert refused.status_code == 422
    assert 'id="cancellation_notice_date-error"' in refused.text
    assert _rows(session, NoticeRecord, contract_id) == []

    saved = client.post(
        url,
        data={"csrf_token": csrf, "as_of": "2027-03-01", "fnb_notice_date": "2027-02-20"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    rows = _rows(session, NoticeRecord, contract_id)
    assert [(row.kind, row.notice_date) for row in rows] == [("fnb", date(2027, 2, 20))]
    page = client.get(saved.headers["location"])
    assert "F&amp;B notice" in page.text.split('id="history"')[1]


@pytest.mark.parametrize(
    ("field", "link"),
    [
        ("actuals.inventory", "/contracts/7/actuals#inventory"),
        ("actuals.cutoff_pickup", "/contracts/7/pickup?as_of=2027-02-12"),
        ("actuals.cancellation_notice_date", "/contracts/7/actuals#notices"),
        ("actuals.manual_damages", "/contracts/7/actuals"),
        ("contract.fnb", ""),
    ],
)
def test_what_an_assessment_misses_is_said_in_words_with_the_form_that_supplies_it(
    field: str, link: str
) -> None:
    error = InvalidInputError(
        f"{field}: the engine's words", [Problem(field, f"{field}: the engine's words")]
    )

    missing = missing_input(error, 7, date(2027, 2, 12))

    assert missing.href == link
    assert field not in missing.text
    assert missing.text


def test_an_amount_with_more_decimals_than_the_currency_has_is_refused_by_the_service_beside_its_field(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)

    response = client.post(
        f"/contracts/{contract_id}/actuals/fnb",
        data={"csrf_token": csrf, "as_of": CONGRESS_DAY.isoformat(), "fnb:bars": "10.005"},
    )

    assert response.status_code == 422
    error = re.search(r'id="fnb:bars-error">([^<]*)<', response.text)
    assert error is not None
    assert "decimal" in error.group(1)
    assert "fnb_spend" not in response.text
    assert _rows(session, FnbActualRecord, contract_id) == []


def test_a_field_longer_than_its_bound_is_refused_before_it_is_read(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)

    response = client.post(
        f"/contracts/{contract_id}/actuals/inventory",
        data={"csrf_token": csrf, "as_of": CONGRESS_DAY.isoformat(), "inv:2027-04-14:unsold_rooms": "9" * 41},
    )

    assert response.status_code == 422
    error = re.search(r'id="inv:2027-04-14:unsold_rooms-error">([^<]*)<', response.text)
    assert error is not None
    assert "at most 40 characters" in error.group(1)
    assert _rows(session, InventoryReportRecord, contract_id) == []
