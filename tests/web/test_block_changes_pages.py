"""Reductions, off-line rooms and a contract's own tax, entered as form fields (not YAML): each save is an
amendment that adds a contract version and is validated as the contract is, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services.contracts import load_contract
from tests.api.conftest import CONTRACTS
from tests.web.test_actuals_pages import _signed_in
from tests.web.test_staff_pages import ADMIN, CONGRESS, _total

NORTHWIND = CONTRACTS / "corporate-sales-meeting-per-night.yaml"  # review right: 15 % of 380, 50 used
NORTHWIND_DAY = date(2027, 2, 8)
CONGRESS_DAY = date(2027, 5, 3)


def _terms(session: Session, contract_id: int):  # type: ignore[no-untyped-def]
    session.expire_all()
    return load_contract(session, ADMIN, contract_id)


def _revision(session: Session, contract_id: int) -> str:
    return str(_terms(session, contract_id).record.revision)


def test_a_reduction_by_percentage_adds_a_version_and_lowers_the_minimum(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, NORTHWIND)
    before = _total(session, contract_id, NORTHWIND_DAY)
    version = _terms(session, contract_id).record.current_version

    response = client.post(
        f"/contracts/{contract_id}/block-changes/reduction",
        data={
            "csrf_token": csrf,
            "revision": _revision(session, contract_id),
            "right": "0",
            "notice_date": "2026-11-24",
            "mode": "pct",
            "pct": "2",
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    stored = _terms(session, contract_id)
    assert stored.record.current_version == version + 1
    added = stored.terms.reductions[-1]
    # 2 % of each cell of the original block, rounded down: 80 → 1, 120 → 2, 30 → 0, 120 → 2, 30 → 0.
    assert added.room_nights == 5
    assert _total(session, contract_id, NORTHWIND_DAY) < before
    page = client.get(response.headers["location"])
    assert "Reduction saved" in page.text


def test_a_reduction_beyond_the_rights_is_refused_in_words_beside_the_form_and_adds_no_version(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, NORTHWIND)
    version = _terms(session, contract_id).record.current_version

    response = client.post(
        f"/contracts/{contract_id}/block-changes/reduction",
        data={
            "csrf_token": csrf,
            "revision": _revision(session, contract_id),
            "right": "0",
            "notice_date": "2026-11-24",
            "mode": "cells",
            "red:2027-01-26:king": "10",
        },
    )

    assert response.status_code == 422
    error = re.search(r'id="notice_date-error">([^<]*)<', response.text)
    assert error is not None
    assert "goes beyond the rights in force" in error.group(1)
    assert "2026-11" not in error.group(1)  # dates as the hotel writes them
    assert 'value="10"' in response.text
    assert _terms(session, contract_id).record.current_version == version


def test_off_line_rooms_entered_in_a_grid_come_off_the_block(client: TestClient, session: Session) -> None:
    contract_id, csrf = _signed_in(client, session, NORTHWIND)
    before = _total(session, contract_id, NORTHWIND_DAY)

    response = client.post(
        f"/contracts/{contract_id}/block-changes/offline",
        data={"csrf_token": csrf, "revision": _revision(session, contract_id), "off:2027-01-25:king": "10"},
        follow_redirects=False,
    )

    assert response.status_code == 303
    offline = _terms(session, contract_id).terms.offline_rooms
    assert [(cell.night, cell.room_type, cell.rooms) for cell in offline] == [(date(2027, 1, 25), "king", 10)]
    assert _total(session, contract_id, NORTHWIND_DAY) < before
    refused = client.post(
        f"/contracts/{contract_id}/block-changes/offline",
        data={"csrf_token": csrf, "revision": _revision(session, contract_id), "off:2027-01-25:king": "ten"},
    )
    assert refused.status_code == 422
    assert 'id="off:2027-01-25:king-error"' in refused.text


def test_a_contracts_own_tax_replaces_the_hotels_and_ticking_the_hotels_profile_restores_it(
    client: TestClient, session: Session
) -> None:
    contract_id, csrf = _signed_in(client, session, CONGRESS)
    with_hotel_tax = _total(session, contract_id, CONGRESS_DAY)
    url = f"/contracts/{contract_id}/block-changes/tax"

    missing = client.post(
        url,
        data={
            "csrf_token": csrf,
            "revision": _revision(session, contract_id),
            "tax_name": "Exempt group",
            "tax0_name": "State tax",
            "tax0_kinds": "fnb_attrition",
        },
    )
    assert missing.status_code == 422
    assert 'id="tax0_rate_pct-error"' in missing.text
    assert _terms(session, contract_id).terms.tax_override is None

    saved = client.post(
        url,
        data={
            "csrf_token": csrf,
            "revision": _revision(session, contract_id),
            "tax_name": "Exempt group",
            "service_charge_pct": "0",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    override = _terms(session, contract_id).terms.tax_override
    assert override is not None
    assert override.name == "Exempt group"
    assert override.taxes == ()
    assert _total(session, contract_id, CONGRESS_DAY) < with_hotel_tax
    page = client.get(f"/contracts/{contract_id}/block-changes")
    assert 'value="Exempt group"' in page.text
    assert "fnb_attrition" not in page.text.replace('value="fnb_attrition"', "")

    restored = client.post(
        url,
        data={"csrf_token": csrf, "revision": _revision(session, contract_id), "use_property": "on"},
        follow_redirects=False,
    )
    assert restored.status_code == 303
    assert _terms(session, contract_id).terms.tax_override is None
    assert _total(session, contract_id, CONGRESS_DAY) == with_hotel_tax


def test_a_change_made_meanwhile_is_not_overwritten(client: TestClient, session: Session) -> None:
    contract_id, csrf = _signed_in(client, session, NORTHWIND)
    stale = str(int(_revision(session, contract_id)) - 1)

    response = client.post(
        f"/contracts/{contract_id}/block-changes/offline",
        data={"csrf_token": csrf, "revision": stale, "off:2027-01-25:king": "3"},
    )

    assert response.status_code == 422
    assert "changed by someone else" in response.text
    assert _terms(session, contract_id).terms.offline_rooms == ()


@pytest.mark.parametrize("form", ["reduction", "offline", "tax"])
def test_block_change_forms_without_the_csrf_token_are_403_and_change_nothing(
    client: TestClient, session: Session, form: str
) -> None:
    contract_id, _ = _signed_in(client, session, NORTHWIND)
    version = _terms(session, contract_id).record.current_version

    response = client.post(
        f"/contracts/{contract_id}/block-changes/{form}",
        data={"revision": _revision(session, contract_id), "off:2027-01-25:king": "3", "use_property": "on"},
    )

    assert response.status_code == 403
    assert _terms(session, contract_id).record.current_version == version
