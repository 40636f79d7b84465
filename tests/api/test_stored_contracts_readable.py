"""Nothing stored that later fails: what validation accepts, every read of it can compute; a stored row
that cannot be read (written by an older version, or edited by hand) is named for its one contract.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.api.deps import SESSION_COOKIE
from app.engine.limits import MAX_AMOUNT, MAX_NAME_CHARS
from app.engine.money import minor_units
from app.persistence.records import ContractVersionRecord
from app.services import auth, snapshots
from tests.api.conftest import bearer, property_body

ARRIVAL = date(2027, 6, 1)
CURRENCIES = ("USD", "JPY", "KWD")  # two, none and three decimal places
_references = itertools.count(1)


def amounts(currency: str, *, low: int = 0) -> st.SearchStrategy[str]:
    """Amounts up to the largest accepted, at the currency's minor unit, the extremes weighted in."""
    places = minor_units(currency)
    quantum = Decimal(1).scaleb(-places)
    edge = st.sampled_from([MAX_AMOUNT, MAX_AMOUNT - quantum, quantum, Decimal(low)])
    any_amount = st.decimals(min_value=low, max_value=MAX_AMOUNT, places=places, allow_nan=False)
    return st.one_of(edge, any_amount).map(lambda value: f"{value:.{places}f}")


PCTS = st.one_of(
    st.sampled_from([Decimal(0), Decimal(100), Decimal("99.9999"), Decimal("0.0001")]),
    st.decimals(min_value=0, max_value=100, places=4, allow_nan=False),
).map(str)
ROOMS = st.one_of(st.sampled_from([0, 1, 100_000]), st.integers(min_value=0, max_value=100_000))
NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
    min_size=1,
    max_size=MAX_NAME_CHARS,
)


@st.composite
def contracts(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid contract (moderate size, extreme magnitudes and digits) and a pickup report for it."""
    currency = draw(st.sampled_from(CURRENCIES))
    nights = draw(st.integers(min_value=1, max_value=12))
    types = draw(st.integers(min_value=1, max_value=3))
    block = [
        {
            "night": (ARRIVAL + timedelta(days=n)).isoformat(),
            "room_type": f"T{t}",
            "rooms": draw(ROOMS),
            "rate": draw(amounts(currency)),
        }
        for n in range(nights)
        for t in range(types)
    ]
    block[0]["rooms"] = max(1, block[0]["rooms"])
    mode = draw(
        st.sampled_from(
            ["cumulative", "per_night", "per_night_with_credit", "peak_night", "revenue", "greater_of"]
        )
    )
    terms: dict[str, Any] = {
        "id": f"c{next(_references)}",
        "name": draw(NAMES),
        "group": {"name": draw(NAMES), "segment": "corporate"},
        "currency": currency,
        "arrival_date": ARRIVAL.isoformat(),
        "departure_date": (ARRIVAL + timedelta(days=nights)).isoformat(),
        "block": block,
        "attrition": {
            "performance_pct": draw(PCTS),
            "damages_pct": draw(PCTS),
            "evaluation_mode": mode,
            "threshold_semantics": draw(st.sampled_from(["deductible", "cliff"])),
            "minimum_rounding": draw(st.sampled_from(["ceil", "floor", "half_up", "exact"])),
        },
        "reduction_rights": [{"until_days_before_arrival": 14, "max_pct": draw(PCTS)}],
        "deposits": [{"received_date": "2027-01-05", "amount": draw(amounts(currency))}],
    }
    if draw(st.booleans()):
        terms["fnb"] = {"minimum": draw(amounts(currency)), "allowance_pct": draw(PCTS)}
    if draw(st.booleans()):
        terms["cancellation"] = {
            "tiers": [{"min_days": 0, "max_days": 60, "pct": draw(PCTS)}, {"min_days": 61, "pct": draw(PCTS)}]
        }
    pickup = {
        "as_of": (ARRIVAL - timedelta(days=20)).isoformat(),
        "entries": [
            {"night": cell["night"], "room_type": cell["room_type"], "room_nights": draw(ROOMS)}
            for cell in block
        ],
    }
    return terms, pickup


def staff_session(client: TestClient, session: Session) -> None:
    user = auth.create_staff_user(session, "reader@example.com", "a long enough password", is_admin=True)
    client.cookies.set(SESSION_COOKIE, auth.open_staff_session(session, user))
    session.commit()


def create(client: TestClient, key: str, property_id: int, terms: dict[str, Any]) -> int:
    created = client.post(
        "/api/v1/contracts", headers=bearer(key), json={"property_id": property_id, "contract": terms}
    )
    assert created.status_code == 201, created.text
    contract_id: int = created.json()["id"]
    return contract_id


def test_every_read_of_a_stored_valid_contract_answers_without_a_server_error(
    client: TestClient, session: Session, admin_key: str
) -> None:
    staff_session(client, session)
    hotels: dict[str, int] = {}
    for currency in CURRENCIES:
        made = client.post(
            "/api/v1/properties", headers=bearer(admin_key), json=property_body(currency=currency)
        )
        assert made.status_code == 201, made.text
        hotels[currency] = made.json()["id"]

    @settings(
        max_examples=5,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(contracts())
    def reads_answer(drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
        terms, pickup = drawn
        contract_id = create(client, admin_key, hotels[terms["currency"]], terms)
        base = f"/api/v1/contracts/{contract_id}"
        posted = client.post(f"{base}/pickup", headers=bearer(admin_key), json=pickup)
        assert posted.status_code == 201, posted.text
        before, departure = pickup["as_of"], terms["departure_date"]
        answers = {
            url: client.get(url, headers=bearer(admin_key))
            for url in (
                base,
                f"{base}/versions",
                f"{base}/assessment?as_of={before}",
                f"{base}/assessment?as_of={departure}",
                f"{base}/forecast?as_of={before}",
                f"{base}/report.pdf?as_of={before}",
                f"/api/v1/exposure?as_of={before}",
                "/",
                f"/contracts/{contract_id}?as_of={before}",
            )
        }
        answers["invoice"] = client.post(
            f"{base}/invoices", headers=bearer(admin_key), json={"as_of": departure, "issue_date": departure}
        )
        failed = {url: (r.status_code, r.text[:300]) for url, r in answers.items() if r.status_code >= 500}
        assert not failed, (terms, failed)
        assert answers[f"{base}/assessment?as_of={departure}"].status_code == 200

    reads_answer()


# --- a stored row that cannot be read --------------------------------------------------------------


def small_terms(reference: str) -> dict[str, Any]:
    return {
        "id": reference,
        "group": {"name": f"Group {reference}"},
        "currency": "USD",
        "arrival_date": ARRIVAL.isoformat(),
        "departure_date": (ARRIVAL + timedelta(days=2)).isoformat(),
        "block": [
            {
                "night": (ARRIVAL + timedelta(days=n)).isoformat(),
                "room_type": "king",
                "rooms": 20,
                "rate": "150.00",
            }
            for n in range(2)
        ],
        "attrition": {"performance_pct": 80},
    }


def test_a_stored_contract_that_no_longer_validates_is_named_on_its_own_pages_only(
    client: TestClient, session: Session, admin_key: str
) -> None:
    staff_session(client, session)
    hotel = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body()).json()["id"]
    good = create(client, admin_key, hotel, small_terms("good-one"))
    bad = create(client, admin_key, hotel, small_terms("broken-one"))
    edited = client.get(f"/api/v1/contracts/{bad}", headers=bearer(admin_key)).json()["contract"]
    # As an older version of the service stored it, before amounts were bounded.
    edited["block"][0]["rate"] = {"amount": "1" + "0" * 26, "currency": "USD"}
    session.execute(
        sa.update(ContractVersionRecord).where(ContractVersionRecord.contract_id == bad).values(terms=edited)
    )
    session.commit()
    day = (ARRIVAL - timedelta(days=20)).isoformat()

    assessment = client.get(f"/api/v1/contracts/{bad}/assessment?as_of={day}", headers=bearer(admin_key))
    assert assessment.status_code == 409
    problem = assessment.json()
    assert f"contract {bad} (version 1) cannot be read" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["contract.block[0].rate"]
    assert "larger than the largest amount accepted" in problem["errors"][0]["message"]

    for url in (f"/api/v1/contracts/{bad}/forecast?as_of={day}", f"/api/v1/contracts/{bad}/report.pdf"):
        assert client.get(url, headers=bearer(admin_key)).status_code == 409

    # The resource itself still reads (with its ETag), so the contract can be amended back to health.
    stored = client.get(f"/api/v1/contracts/{bad}", headers=bearer(admin_key))
    assert stored.status_code == 200

    portfolio = client.get(f"/api/v1/exposure?as_of={day}", headers=bearer(admin_key))
    assert portfolio.status_code == 200
    body = portfolio.json()
    assert [item["contract_id"] for item in body["items"]] == [good]
    [skipped] = body["not_forecast"]
    assert skipped["contract_id"] == bad
    assert "contract.block[0].rate" in skipped["reason"]

    # The dashboard reads snapshots; the refresh job (or the next write) makes them from what is stored.
    assert snapshots.refresh_contracts(session, [good, bad]) == 2
    session.commit()
    dashboard = client.get("/", headers={"Accept": "text/html"})
    assert dashboard.status_code == 200
    assert "Group good-one" in dashboard.text
    assert f"contract {bad} (version 1) cannot be read" in dashboard.text

    page = client.get(f"/contracts/{bad}", headers={"Accept": "text/html"})
    assert page.status_code == 409
    assert "cannot be read" in page.text
    assert "contract.block[0].rate" in page.text
    assert client.get(f"/contracts/{good}", headers={"Accept": "text/html"}).status_code == 200

    amended = client.put(
        f"/api/v1/contracts/{bad}",
        headers={**bearer(admin_key), "If-Match": stored.headers["ETag"]},
        json={"contract": small_terms("broken-one")},
    )
    assert amended.status_code == 200, amended.text
    fixed = client.get(f"/api/v1/contracts/{bad}/assessment?as_of={day}", headers=bearer(admin_key))
    assert fixed.status_code == 200


def test_stored_actuals_that_no_longer_validate_are_named_for_their_contract(
    client: TestClient, session: Session, admin_key: str
) -> None:
    hotel = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body()).json()["id"]
    contract_id = create(client, admin_key, hotel, small_terms("edited-pickup"))
    day = (ARRIVAL - timedelta(days=20)).isoformat()
    report = {
        "as_of": day,
        "entries": [{"night": ARRIVAL.isoformat(), "room_type": "king", "room_nights": 5}],
    }
    assert client.post(
        f"/api/v1/contracts/{contract_id}/pickup", headers=bearer(admin_key), json=report
    ).is_success
    session.execute(
        sa.text("UPDATE pickup_snapshots SET room_nights = -5 WHERE contract_id = :id"), {"id": contract_id}
    )
    session.commit()

    answer = client.get(f"/api/v1/contracts/{contract_id}/assessment?as_of={day}", headers=bearer(admin_key))

    assert answer.status_code == 409
    assert f"stored actuals of contract {contract_id}" in answer.json()["detail"]
    assert answer.json()["errors"][0]["field"] == "actuals.pickup[0].room_nights"
