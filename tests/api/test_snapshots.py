"""Exposure snapshots: the dashboard and GET /exposure read them, refreshed after writes (here called
directly, as ``contract_changed`` will), on read for a bounded number of contracts, and otherwise
shown as being updated. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col

from app.persistence import snapshot_repository as snapshot_repo
from app.persistence.records import ExposureSnapshotRecord
from app.services import snapshots
from app.services.assessments import hotel_today
from tests.api.conftest import bearer
from tests.api.test_forecasts import Hotel, terms
from tests.web.test_staff_pages import sign_in_as

TIMEZONE = "America/Los_Angeles"


def _today() -> date:
    return hotel_today(TIMEZONE)


def _exposure(client: TestClient, key: str, **params: str | int) -> dict[str, object]:
    response = client.get("/api/v1/exposure", headers=bearer(key), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.fixture
def portfolio(client: TestClient, admin_key: str) -> tuple[Hotel, dict[str, int]]:
    hotel = Hotel(client, admin_key)
    today = _today()
    ids: dict[str, int] = {}
    for reference, weeks, booked in (
        ("steady", 10, (40, 40)),
        ("slow", 6, (5, 5)),
        ("middling", 8, (20, 18)),
    ):
        arrival = today + timedelta(weeks=weeks)
        ids[reference] = hotel.contract(terms(reference, arrival))
        hotel.pickup(ids[reference], today, booked, arrival=arrival)
    ids["dropped"] = hotel.contract(terms("dropped", today + timedelta(weeks=5)), status="cancelled")
    return hotel, ids


def test_exposure_read_from_snapshots_equals_the_forecast_made_on_request(
    client: TestClient, admin_key: str, session: Session, portfolio: tuple[Hotel, dict[str, int]]
) -> None:
    hotel, ids = portfolio
    for contract_id in ids.values():
        assert snapshots.refresh_contract_snapshot(session, contract_id)
    session.commit()

    stored = _exposure(client, admin_key, property_id=hotel.id)
    computed = _exposure(client, admin_key, property_id=hotel.id, as_of=_today().isoformat())

    assert stored == computed
    assert [item["reference"] for item in stored["items"]] == ["slow", "middling", "steady"]  # type: ignore[index]
    snapshot = session.get(ExposureSnapshotRecord, ids["slow"])
    assert snapshot is not None
    assert snapshot.exposure_state == "forecast"
    assert snapshot.expected_minor is not None
    assert snapshot.expected_minor > 0
    dropped = session.get(ExposureSnapshotRecord, ids["dropped"])
    assert dropped is not None
    assert dropped.exposure_state == "closed"


def test_missing_and_out_of_date_snapshots_are_refreshed_on_read(
    client: TestClient, admin_key: str, session: Session, portfolio: tuple[Hotel, dict[str, int]]
) -> None:
    hotel, ids = portfolio
    # No snapshot was made after the writes: the read makes them (three contracts, within the bound).
    first = _exposure(client, admin_key, property_id=hotel.id)
    assert first["total"] == 3
    assert session.get(ExposureSnapshotRecord, ids["steady"]) is not None

    hotel.set_status(ids["slow"], "cancelled")  # status differs from the snapshot's: out of date

    second = _exposure(client, admin_key, property_id=hotel.id)
    assert [item["reference"] for item in second["items"]] == ["middling", "steady"]  # type: ignore[index]


def test_beyond_the_bound_a_contract_without_a_snapshot_is_shown_as_being_updated(
    client: TestClient,
    admin_key: str,
    session: Session,
    portfolio: tuple[Hotel, dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hotel, ids = portfolio
    # Contracts stored before snapshots existed (a write refreshes its contract's snapshot since).
    session.execute(
        sa.delete(ExposureSnapshotRecord).where(col(ExposureSnapshotRecord.contract_id).in_(ids.values()))
    )
    session.commit()
    monkeypatch.setattr(snapshots, "REFRESH_ON_READ", 1)

    body = _exposure(client, admin_key, property_id=hotel.id)

    assert body["total"] == 1
    waiting = [item for item in body["not_forecast"] if "being updated" in item["reason"]]  # type: ignore[union-attr]
    assert len(waiting) == 2
    sign_in_as(client, session, None)
    page = client.get("/", params={"property_id": str(hotel.id)}).text
    # Four contracts, two with snapshots after the two reads: the others are being updated.
    assert page.count("being updated") == 2
    refreshed = snapshots.refresh_contracts(session, list(ids.values()))
    assert refreshed == len(ids)


def test_dashboard_sorts_by_pickup_in_sql_with_contracts_without_a_figure_last(
    client: TestClient, session: Session, admin_key: str, portfolio: tuple[Hotel, dict[str, int]]
) -> None:
    hotel, ids = portfolio
    sign_in_as(client, session, None)

    html = client.get("/", params={"sort": "pickup", "dir": "desc", "property_id": str(hotel.id)}).text

    listed = [int(found) for found in re.findall(r'data-contract="(\d+)"', html)]
    # steady 80 %, middling 38 %, slow 10 %, and the cancelled one has pickup 0 %.
    assert listed == [ids["steady"], ids["middling"], ids["slow"], ids["dropped"]]
    rows = snapshot_repo.dashboard_page(
        session,
        snapshot_repo.Selection(visible=None, property_id=hotel.id),
        "pickup",
        descending=False,
        page=snapshot_repo.Page(limit=2, offset=0),
    )
    assert [record.id for record, _ in rows[0]] == [ids["dropped"], ids["slow"]]
    assert rows[1] == 4
