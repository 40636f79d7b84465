"""The staff contract page stays light for a long stay: its per-night tables are folded under their
totals; a month or less shows them open. A date that is not YYYY-MM-DD is named beside the field."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.api.deps import SESSION_COOKIE
from app.services import auth
from tests.api.conftest import bearer, property_body

ARRIVAL = date(2027, 6, 1)


def terms(reference: str, nights: int) -> dict[str, Any]:
    return {
        "id": reference,
        "group": {"name": f"Crew {reference}"},
        "currency": "USD",
        "arrival_date": ARRIVAL.isoformat(),
        "departure_date": (ARRIVAL + timedelta(days=nights)).isoformat(),
        "block": [
            {
                "night": (ARRIVAL + timedelta(days=n)).isoformat(),
                "room_type": "king",
                "rooms": 10,
                "rate": "120.00",
            }
            for n in range(nights)
        ],
        "attrition": {"performance_pct": 80, "evaluation_mode": "per_night"},
    }


def page_of(client: TestClient, session: Session, admin_key: str, nights: int) -> str:
    hotel = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body()).json()["id"]
    made = client.post(
        "/api/v1/contracts",
        headers=bearer(admin_key),
        json={"property_id": hotel, "contract": terms(f"stay-{nights}", nights)},
    )
    assert made.status_code == 201, made.text
    user = auth.create_staff_user(session, "staff@example.com", "a long enough password", is_admin=True)
    client.cookies.set(SESSION_COOKIE, auth.open_staff_session(session, user))
    session.commit()
    page = client.get(f"/contracts/{made.json()['id']}?as_of=2027-05-01")
    assert page.status_code == 200, page.text
    return page.text


def test_a_long_stay_folds_its_per_night_tables(client: TestClient, session: Session, admin_key: str) -> None:
    html = page_of(client, session, admin_key, 45)
    assert html.count('<details class="long-stay">') == 3
    assert "Every night by room type (45 nights)" in html


def test_a_month_shows_its_per_night_tables_open(
    client: TestClient, session: Session, admin_key: str
) -> None:
    html = page_of(client, session, admin_key, 31)
    assert '<details class="long-stay">' not in html
    assert 'id="block-grid"' in html


def test_a_number_for_the_as_of_date_is_named_not_read_as_1970(
    client: TestClient, session: Session, admin_key: str
) -> None:
    page_of(client, session, admin_key, 2)
    contract_id = client.get("/api/v1/contracts", headers=bearer(admin_key)).json()["items"][0]["id"]
    page = client.get(f"/contracts/{contract_id}?as_of=0")
    assert (
        "&#39;0&#39; is not a date: use YYYY-MM-DD" in page.text
        or "'0' is not a date: use YYYY-MM-DD" in page.text
    )
