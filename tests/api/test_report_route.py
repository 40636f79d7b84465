"""GET /api/v1/contracts/{id}/report.pdf over the database (SQLite and PostgreSQL): the exposure report of
a stored contract, its figures checked against the API's own assessment and forecast."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from app.pdf.i18n import translations
from app.services.auth import Access
from tests.api.conftest import bearer, property_body
from tests.pdf.rendering import flat

ARRIVAL = date(2027, 6, 14)
AS_OF = ARRIVAL - timedelta(days=30)
BLOCK = (60, 80, 40)


def contract_terms(reference: str = "report-1") -> dict[str, Any]:
    nights = [ARRIVAL + timedelta(days=index) for index in range(len(BLOCK))]
    return {
        "id": reference,
        "name": "Summer Summit",
        "group": {"name": "Summit <Partners> & Co", "segment": "corporate"},
        "currency": "EUR",
        "arrival_date": ARRIVAL.isoformat(),
        "departure_date": (ARRIVAL + timedelta(days=len(BLOCK))).isoformat(),
        "block": [
            {"night": night.isoformat(), "room_type": "double", "rooms": rooms, "rate": "150.00"}
            for night, rooms in zip(nights, BLOCK, strict=True)
        ],
        "reduction_rights": [{"name": "Review", "until_days_before_arrival": 21, "max_pct": 20}],
        "attrition": {"performance_pct": 80, "damages_pct": 90, "evaluation_mode": "per_night"},
    }


class Stored:
    """A property, an account and a contract with pickup on the books, made through the API."""

    def __init__(
        self, client: TestClient, key: str, *, account_language: str = "pt", locale: str = "fr_FR"
    ) -> None:
        self.client, self.key = client, key
        prop = client.post(
            "/api/v1/properties",
            headers=bearer(key),
            json=property_body(
                name="Hotel Porto Mar", currency="EUR", locale=locale, timezone="Europe/Lisbon"
            ),
        )
        assert prop.status_code == 201, prop.text
        self.property_id: int = prop.json()["id"]
        account = client.post(
            "/api/v1/accounts",
            headers=bearer(key),
            json={"property_id": self.property_id, "name": "Summit Partners", "language": account_language},
        )
        assert account.status_code == 201, account.text
        created = client.post(
            "/api/v1/contracts",
            headers=bearer(key),
            json={
                "property_id": self.property_id,
                "account_id": account.json()["id"],
                "status": "definite",
                "contract": contract_terms(),
            },
        )
        assert created.status_code == 201, created.text
        self.id: int = created.json()["id"]
        posted = client.post(
            f"/api/v1/contracts/{self.id}/pickup",
            headers=bearer(key),
            json={
                "as_of": AS_OF.isoformat(),
                "entries": [
                    {
                        "night": (ARRIVAL + timedelta(days=i)).isoformat(),
                        "room_type": "double",
                        "room_nights": n,
                    }
                    for i, n in enumerate((30, 42, 15))
                ],
            },
        )
        assert posted.status_code == 201, posted.text

    def report(self, key: str | None = None, **params: str) -> Any:
        return self.client.get(
            f"/api/v1/contracts/{self.id}/report.pdf", headers=bearer(key or self.key), params=params
        )

    def json(self, path: str, **params: str) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/contracts/{self.id}/{path}", headers=bearer(self.key), params=params
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    run = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    )
    return flat(run.stdout)


def money(amount: str, locale: str) -> str:
    return flat(format_currency(Decimal(amount), "EUR", locale=locale))


def test_report_of_a_stored_contract_has_what_is_owed_and_the_forecast_in_the_accounts_language(
    client: TestClient, admin_key: str, tmp_path: Path
) -> None:
    stored = Stored(client, admin_key)
    response = stored.report(as_of=AS_OF.isoformat())

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")
    text = text_of(response.content, tmp_path)
    _ = translations("pt").gettext  # the account's language
    assert flat(_("Exposure report")) in text
    assessment = stored.json("assessment", as_of=AS_OF.isoformat())["assessment"]
    assert Decimal(assessment["total"]["amount"]) > 0
    # The account's language is pt, and the property's locale (fr_FR) is not Portuguese: numbers follow
    # Portugal's (pt_BR is a language of its own).
    assert f"{flat(_('Owed today'))} {money(assessment['total']['amount'], 'pt_PT')}" in text
    forecast = stored.json("forecast", as_of=AS_OF.isoformat())
    for scenario in forecast["scenarios"]:
        assert f"{scenario['room_nights']} {money(scenario['damages']['amount'], 'pt_PT')}" in text
    assert "Review" in text
    assert "Summit <Partners> & Co" in text  # typed text printed as typed


def test_lang_overrides_the_account_and_numbers_follow_the_property_locale_in_that_language(
    client: TestClient, admin_key: str, tmp_path: Path
) -> None:
    stored = Stored(client, admin_key, account_language="en", locale="pt_PT")
    response = stored.report(as_of=AS_OF.isoformat(), lang="pt")

    assert response.status_code == 200, response.text
    text = text_of(response.content, tmp_path)
    assert "Relatório de exposição" in text
    total = stored.json("assessment", as_of=AS_OF.isoformat())["assessment"]["total"]["amount"]
    assert money(total, "pt_PT") != money(total, "pt")  # 1 234,50 € against € 1.234,50
    assert f"Devido hoje {money(total, 'pt_PT')}" in text
    english = text_of(stored.report(as_of=AS_OF.isoformat()).content, tmp_path)  # the account's language
    assert f"Owed today {money(total, 'en')}" in english


def test_account_language_without_a_catalog_falls_back_to_the_property_locale(
    client: TestClient, admin_key: str, tmp_path: Path
) -> None:
    stored = Stored(client, admin_key, account_language="de", locale="ro_RO")
    response = stored.report(as_of=AS_OF.isoformat())

    assert response.status_code == 200, response.text
    assert "Raport de expunere" in text_of(response.content, tmp_path)


def test_report_after_the_stay_has_no_forecast_and_says_why(
    client: TestClient, admin_key: str, tmp_path: Path
) -> None:
    stored = Stored(client, admin_key)
    after = (ARRIVAL + timedelta(days=len(BLOCK))).isoformat()
    response = stored.report(as_of=after, lang="en")

    assert response.status_code == 200, response.text
    text = text_of(response.content, tmp_path)
    assert "No forecast: the stay has begun, so the pickup to date is what counts." in text
    total = stored.json("assessment", as_of=after)["assessment"]["total"]["amount"]
    assert f"Owed today {money(total, 'en')}" in text


@pytest.mark.parametrize(
    ("params", "field"),
    [({"lang": "de"}, "query.lang"), ({"as_of": "2027-02-30"}, "query.as_of")],
)
def test_bad_query_is_a_422_problem_naming_the_field(
    client: TestClient, admin_key: str, params: dict[str, str], field: str
) -> None:
    stored = Stored(client, admin_key)
    response = stored.report(**params)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_read_access_suffices_and_another_propertys_key_gets_404(
    client: TestClient, admin_key: str, make_key: Callable[[Access, set[int]], str]
) -> None:
    stored = Stored(client, admin_key)
    other = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body(name="Elsewhere"))
    assert other.status_code == 201, other.text

    reader = make_key(Access.READ, {stored.property_id})
    outsider = make_key(Access.READ_WRITE, {other.json()["id"]})

    assert stored.report(reader, as_of=AS_OF.isoformat()).status_code == 200
    hidden = stored.report(outsider, as_of=AS_OF.isoformat())
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    missing = client.get("/api/v1/contracts/999999/report.pdf", headers=bearer(admin_key))
    assert missing.status_code == 404
    assert client.get(f"/api/v1/contracts/{stored.id}/report.pdf").status_code == 401
