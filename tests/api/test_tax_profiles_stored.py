"""Shipped tax profiles and the rounding term stored through the API, on SQLite and PostgreSQL: what
goes in (inclusion, conditions, sources, uncertainty, VAT category) comes back unchanged, and a profile
the engine refuses is a 422 naming the field, with nothing written (docs/taxes.md)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.contract_files import load_document
from app.engine.contract import Contract, TaxProfile
from app.persistence.records import PropertyRecord
from app.tax_profiles import load_tax_profiles
from tests.api.conftest import bearer, property_body, sample_files

PROFILES = load_tax_profiles()


def _property(client: TestClient, key: str, currency: str, profile: dict[str, Any] | None) -> Any:
    return client.post(
        "/api/v1/properties",
        headers=bearer(key),
        json=property_body(currency=currency, tax_profile=profile),
    )


@pytest.mark.parametrize("code", sorted(PROFILES))
def test_a_shipped_profile_given_to_a_property_reads_back_unchanged(
    code: str, client: TestClient, admin_key: str
) -> None:
    document = PROFILES[code]
    sent = document.profile.model_dump(mode="json", exclude_unset=True)

    created = _property(client, admin_key, document.currency, sent)

    assert created.status_code == 201, created.text
    read = client.get(created.headers["location"], headers=bearer(admin_key))
    assert read.status_code == 200
    assert TaxProfile.model_validate(read.json()["tax_profile"], strict=False) == document.profile


def test_a_profile_outside_the_scope_without_its_reason_is_422_and_writes_nothing(
    client: TestClient, admin_key: str, session: Session
) -> None:
    before = len(session.exec(select(PropertyRecord)).all())

    response = _property(client, admin_key, "EUR", {"name": "Catalonia", "vat_category": "O"})

    assert response.status_code == 422, response.text
    body = response.json()
    assert "exemption reason" in response.text
    assert "tax_profile" in str(body)
    assert len(session.exec(select(PropertyRecord)).all()) == before


def test_a_contract_with_a_rounding_term_and_conditional_tax_reads_back_unchanged(
    client: TestClient, admin_key: str
) -> None:
    path = next(path for path in sample_files() if path.stem == "corporate-sales-meeting-per-night")
    raw = load_document(path).model_dump(mode="json", exclude_unset=True)["contract"]
    texas = PROFILES["US-TX"].profile.model_dump(mode="json", exclude_unset=True)
    terms = {key: value for key, value in raw.items() if key != "property"}
    terms |= {
        "rounding": {"increment": "whole_unit", "scope": "on_total", "method": "half_even"},
        "tax_override": texas,
    }
    prop = _property(client, admin_key, raw["currency"], None)
    assert prop.status_code == 201, prop.text

    created = client.post(
        "/api/v1/contracts",
        headers=bearer(admin_key),
        json={"property_id": prop.json()["id"], "contract": terms},
    )

    assert created.status_code == 201, created.text
    read = client.get(f"/api/v1/contracts/{created.json()['id']}", headers=bearer(admin_key))
    assert read.status_code == 200, read.text
    stored = Contract.model_validate(read.json()["contract"], strict=False)
    assert stored.rounding.increment == "whole_unit"
    assert stored.rounding.method == "half_even"
    assert stored.tax_override == PROFILES["US-TX"].profile


def test_a_contract_with_a_rounding_step_finer_than_a_cent_is_422_naming_the_field(
    client: TestClient, admin_key: str
) -> None:
    path = next(path for path in sample_files() if path.stem == "corporate-sales-meeting-per-night")
    raw = load_document(path).model_dump(mode="json", exclude_unset=True)["contract"]
    terms = {key: value for key, value in raw.items() if key != "property"}
    terms["rounding"] = {"increment": "step", "step": "0.001"}
    prop = _property(client, admin_key, raw["currency"], None)

    response = client.post(
        "/api/v1/contracts",
        headers=bearer(admin_key),
        json={"property_id": prop.json()["id"], "contract": terms},
    )

    assert response.status_code == 422, response.text
    assert "finer than the smallest USD amount" in response.text
    assert "rounding" in response.text


def test_a_property_takes_a_shipped_profile_by_code_and_overrides_its_uncertain_rule(
    client: TestClient, admin_key: str
) -> None:
    """``tax_profile_code: gb`` copies the shipped UK profile; the property then overrides the uncertain
    F&B rule by sending its edited copy back (docs/taxes.md, "A property's profile")."""
    created = client.post(
        "/api/v1/properties",
        headers=bearer(admin_key),
        json=property_body(currency="GBP", timezone="Europe/London", tax_profile_code="gb"),
    )
    assert created.status_code == 201, created.text
    stored = created.json()
    assert "tax_profile_code" not in stored
    assert TaxProfile.model_validate(stored["tax_profile"], strict=False) == PROFILES["GB"].profile
    uncertain = [index for index, rule in enumerate(stored["tax_profile"]["taxes"]) if rule.get("uncertain")]
    assert uncertain, "the UK profile ships an uncertain rule to override"

    edited = dict(stored["tax_profile"])
    edited["taxes"] = [dict(rule) for rule in edited["taxes"]]
    edited["taxes"][uncertain[0]] |= {"uncertain": False, "note": "Confirmed by our adviser, 2026-11"}
    body = property_body(currency="GBP", timezone="Europe/London", tax_profile=edited)
    replaced = client.put(
        created.headers["location"],
        headers=bearer(admin_key) | {"If-Match": created.headers["etag"]},
        json=body,
    )
    assert replaced.status_code == 200, replaced.text

    read = client.get(created.headers["location"], headers=bearer(admin_key)).json()["tax_profile"]
    profile = TaxProfile.model_validate(read, strict=False)
    assert not profile.taxes[uncertain[0]].uncertain
    assert profile.taxes[uncertain[0]].note == "Confirmed by our adviser, 2026-11"
    assert profile.vat_category == PROFILES["GB"].profile.vat_category


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"currency": "GBP", "tax_profile_code": "xx"}, "no tax profile is shipped for 'xx'"),
        ({"currency": "EUR", "tax_profile_code": "GB"}, "the GB tax profile is for GBP amounts"),
        (
            {"currency": "GBP", "tax_profile_code": "GB", "tax_profile": {"name": "Mine"}},
            "give a tax profile code or a tax profile, not both",
        ),
    ],
)
def test_a_profile_code_that_cannot_be_copied_is_422_and_writes_nothing(
    body: dict[str, Any], says: str, client: TestClient, admin_key: str, session: Session
) -> None:
    before = len(session.exec(select(PropertyRecord)).all())

    response = client.post("/api/v1/properties", headers=bearer(admin_key), json=property_body(**body))

    assert response.status_code == 422, response.text
    assert says in response.text
    assert len(session.exec(select(PropertyRecord)).all()) == before
