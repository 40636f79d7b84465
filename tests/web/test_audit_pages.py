"""The outside-block audit page over HTTP, on SQLite and PostgreSQL: linked from the contract and actuals
pages, an upload's matches listed with their confidence in words and percent, a decision taken by a
named user, and a bad file shown by file, line and column with nothing stored."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.contract_files import load_document
from app.persistence import repositories as repo
from app.persistence.records import AuditMatchRecord, AuditRunRecord, ContractRecord
from app.services.imports import load_demo
from tests.api.conftest import CONTRACTS
from tests.web.test_editor_pages import sign_in

SAMPLE = "incentive-trip-greater-of.yaml"  # 2027-02-17 to 2027-02-21; ocean_king, garden_king, suite

REGISTRATIONS = (
    "First name,Last name,Arrival,Departure,Email\n"
    "Chidi,Okafor,2027-02-17,2027-02-21,chidi@example.org\n"
    "Wei,Li,2027-02-18,2027-02-20,\n"
)
RESERVATIONS = (
    "Conf No,Guest,Arrival,Departure,Room type,Rate code\n"
    'A1,"OKAFOR, Chidi",2027-02-17,2027-02-21,OCK,BAR\n'
    'A2,"Li, W.",2027-02-18,2027-02-20,suite,OTA\n'
    "A3,Someone Else,2027-02-18,2027-02-20,suite,OTA\n"
)


@pytest.fixture
def contract(client: TestClient, session: Session) -> ContractRecord:
    load_demo(session, [(CONTRACTS / SAMPLE, load_document(CONTRACTS / SAMPLE))])
    session.commit()
    found = session.exec(select(ContractRecord)).one()
    sign_in(client, session, "sales@example.com", property_ids=frozenset({found.property_id}))
    return found


def _token(html: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]*)"', html)[0]


def _upload(client: TestClient, path: str, registrations: str, reservations: str) -> str:
    token = _token(client.get(path).text)
    response = client.post(
        path,
        data={"csrf_token": token},
        files={
            "registrations": ("attendees.csv", registrations.encode()),
            "reservations": ("pms-export.csv", reservations.encode()),
        },
        follow_redirects=False,
    )
    return f"{response.status_code} {response.headers.get('location', '')} {response.text}"


def test_the_contract_and_actuals_pages_link_to_the_audit_page(
    client: TestClient, contract: ContractRecord
) -> None:
    assert (
        f'href="/contracts/{contract.id}/audit">Outside-block audit<'
        in client.get(f"/contracts/{contract.id}").text
    )
    assert (
        f'href="/contracts/{contract.id}/audit">Find attendees'
        in client.get(f"/contracts/{contract.id}/actuals").text
    )
    page = client.get(f"/contracts/{contract.id}/audit")
    assert page.status_code == 200
    assert "No audit yet." in page.text
    assert 'enctype="multipart/form-data"' in page.text


def test_an_upload_lists_its_matches_and_a_confirmation_is_credited_and_signed(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    path = f"/contracts/{contract.id}/audit"

    answer = _upload(client, path, REGISTRATIONS, RESERVATIONS)

    run = session.exec(select(AuditRunRecord)).one()
    assert answer.startswith(f"303 /contracts/{contract.id}/audit?audit={run.id}")
    page = client.get(f"{path}?audit={run.id}").text
    assert "2 proposed: 0 confirmed, 0 rejected, 2 waiting for review" in page
    assert "Very likely, 100%" in page  # Okafor: the same name and the same stay
    assert "name 100% alike, stays 100% shared" in page
    assert "4 room nights, garden_king, from Feb 17, 2027" in page  # OCK is no block type: the cheapest
    assert "2 room nights, suite, from Feb 18, 2027" in page
    okafor = session.exec(select(AuditMatchRecord).where(AuditMatchRecord.confirmation == "A1")).one()

    decided = client.post(
        f"/contracts/{contract.id}/audit/{run.id}/matches/{okafor.id}",
        data={"csrf_token": _token(page), "action": "confirm"},
        follow_redirects=False,
    )

    assert decided.status_code == 303, decided.text
    after = client.get(f"{path}?audit={run.id}").text
    assert "1 confirmed" in after
    assert "Confirmed: credited" in after
    assert "by sales@example.com, " in after  # who decided, and when at the hotel
    session.expire_all()
    credited = [
        row for row in repo.pickup_history(session, contract.id or 0) if row.source == "outside_block"
    ]
    assert [(row.night.isoformat(), row.room_type, row.room_nights) for row in credited] == [
        ("2027-02-17", "garden_king", 1),
        ("2027-02-18", "garden_king", 1),
        ("2027-02-19", "garden_king", 1),
        ("2027-02-20", "garden_king", 1),
    ]


def test_a_bad_file_is_shown_by_file_line_and_column_and_nothing_is_stored(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    path = f"/contracts/{contract.id}/audit"
    bad = REGISTRATIONS + "Ana,Souza,2027-02-30,2027-02-21,\n"

    answer = _upload(client, path, bad, RESERVATIONS)

    assert answer.startswith("422")
    assert "Registration list, line 4: column C (Arrival): &#39;2027-02-30&#39; is not a date" in answer
    assert session.exec(select(AuditRunRecord)).all() == []


def test_a_decision_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, session: Session, contract: ContractRecord
) -> None:
    path = f"/contracts/{contract.id}/audit"
    _upload(client, path, REGISTRATIONS, RESERVATIONS)
    run = session.exec(select(AuditRunRecord)).one()
    match = session.exec(select(AuditMatchRecord)).first()
    assert match is not None

    refused = client.post(
        f"/contracts/{contract.id}/audit/{run.id}/matches/{match.id}",
        data={"action": "confirm"},
        follow_redirects=False,
    )

    assert refused.status_code == 403
    session.expire_all()
    assert {row.status for row in session.exec(select(AuditMatchRecord))} == {"pending"}
