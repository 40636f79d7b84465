"""Share links and the planner's page over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.contract_files import load_document
from app.persistence import repositories as repo
from app.persistence.records import (
    AssessmentRecord,
    ContractRecord,
    ContractVersionRecord,
    PickupSnapshotRecord,
    ShareLinkRecord,
    utc_now,
)
from app.services import auth, sharing
from app.services.errors import ForbiddenError
from app.services.imports import load_demo
from tests.api.conftest import sample_files
from tests.web.test_editor_pages import form_fields, post_form, sign_in

# A cumulative contract whose today's assessment and what-if the engine can compute before arrival.
SAMPLE = "northwind-sko-2027"


@pytest.fixture
def hotel(client: TestClient, session: Session) -> TestClient:
    wanted = {"corporate-sales-meeting-per-night", "convention-last-room-sold"}
    load_demo(session, [(path, load_document(path)) for path in sample_files() if path.stem in wanted])
    session.commit()
    sign_in(client, session, "sales@example.com", property_ids=None)
    return client


def _contract(session: Session, reference: str = SAMPLE) -> ContractRecord:
    found = session.exec(select(ContractRecord).where(ContractRecord.reference == reference)).one()
    return found


def _create(client: TestClient, contract_id: int, **fields: str) -> tuple[int, str]:
    page = client.get(f"/contracts/{contract_id}/share").text
    token = re.findall(r'name="csrf_token" value="([^"]*)"', page)[0]
    response = post_form(
        client, f"/contracts/{contract_id}/share", {"csrf_token": token, "action": "create", **fields}
    )
    urls = re.findall(r'id="new-url">([^<]*)<', response.text)
    return response.status_code, urls[0].removeprefix("http://testserver") if urls else response.text


def test_a_created_link_is_shown_once_and_only_its_hash_is_stored(
    hotel: TestClient, session: Session
) -> None:
    contract = _contract(session)
    assert contract.id is not None

    status, path = _create(hotel, contract.id, label="Sent to Dana", expires_in_days="45")

    assert status == 201
    assert path.startswith("/share/")
    token = path.removeprefix("/share/")
    assert len(token) >= 43
    link = session.exec(select(ShareLinkRecord).where(ShareLinkRecord.contract_id == contract.id)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in link.token_hash
    assert timedelta(days=44) < link.expires_at - link.created_at <= timedelta(days=45)
    listing = hotel.get(f"/contracts/{contract.id}/share").text
    assert "Sent to Dana" in listing
    assert token not in listing
    assert "active" in listing


@pytest.mark.parametrize("days", ["0", "366", "soon"])
def test_an_expiry_out_of_range_is_refused_beside_the_field(
    hotel: TestClient, session: Session, days: str
) -> None:
    contract = _contract(session)
    assert contract.id is not None

    status, html = _create(hotel, contract.id, label="x", expires_in_days=days)

    assert status == 422
    assert re.search(r'id="expires_in_days"[^>]*aria-invalid="true"', html)
    assert f'value="{days}"' in html
    assert repo.count_rows(session, ShareLinkRecord) == 0


def test_the_planner_page_needs_no_login_shows_the_contract_and_escapes_user_text(
    hotel: TestClient, session: Session
) -> None:
    contract = _contract(session)
    assert contract.id is not None
    _, path = _create(hotel, contract.id)
    planner = TestClient(hotel.app)
    other = _contract(session, "agla-convention-2027")

    page = planner.get(path)

    assert page.status_code == 200
    assert "Northwind" in page.text
    assert "Still needed to owe nothing" in page.text
    assert re.search(r'id="owed-total">[^<]*\$[\d,]+\.\d\d<', page.text)
    assert "<svg" in page.text  # the pickup chart
    assert other.name not in page.text
    assert "/contracts/" not in page.text
    assert "Sign in" not in page.text


def test_user_text_on_the_planner_page_is_escaped(hotel: TestClient, session: Session) -> None:
    contract = _contract(session)
    assert contract.id is not None
    fields = form_fields(hotel.get(f"/contracts/{contract.id}/edit").text)
    fields["group.name"] = '<img src=x onerror="alert(1)">'
    assert post_form(hotel, f"/contracts/{contract.id}/edit", {**fields, "action": "save"}).status_code == 303
    _, path = _create(hotel, contract.id)

    page = TestClient(hotel.app).get(path).text

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_a_revoked_or_expired_or_unknown_link_gets_the_same_410_page(
    hotel: TestClient, session: Session
) -> None:
    contract = _contract(session)
    assert contract.id is not None
    _, revoked = _create(hotel, contract.id, label="to revoke")
    _, expired = _create(hotel, contract.id, label="to expire")
    link_id = session.exec(select(ShareLinkRecord.id).where(ShareLinkRecord.label == "to revoke")).one()
    page = hotel.get(f"/contracts/{contract.id}/share").text
    token = re.findall(r'name="csrf_token" value="([^"]*)"', page)[0]
    response = post_form(
        hotel,
        f"/contracts/{contract.id}/share",
        {"csrf_token": token, "action": "revoke", "link_id": str(link_id)},
    )
    assert response.status_code == 303
    link = session.exec(select(ShareLinkRecord).where(ShareLinkRecord.label == "to expire")).one()
    link.expires_at = utc_now() - timedelta(seconds=1)
    session.add(link)
    session.commit()
    planner = TestClient(hotel.app)

    answers = [planner.get(path) for path in (revoked, expired, "/share/" + "x" * 43)]
    answers.append(planner.post(revoked + "/what-if", data={"night.0": "1"}))

    assert [a.status_code for a in answers] == [410, 410, 410, 410]
    assert len({a.text for a in answers}) == 1
    assert "This link is no longer valid" in answers[0].text
    assert "password" not in answers[0].text.lower()


def test_the_what_if_recomputes_the_damages_and_writes_nothing(hotel: TestClient, session: Session) -> None:
    contract = _contract(session)
    assert contract.id is not None
    _, path = _create(hotel, contract.id)
    planner = TestClient(hotel.app)
    fields = form_fields(planner.get(path).text, "what-if-form")
    tables = (ContractRecord, ContractVersionRecord, PickupSnapshotRecord, AssessmentRecord, ShareLinkRecord)
    before = [repo.count_rows(session, table) for table in tables]

    full = planner.post(path + "/what-if", data={k: "1000" for k in fields if k.startswith("night.")})
    none = planner.post(path + "/what-if", data={k: "0" for k in fields if k.startswith("night.")})
    fragment = planner.post(
        path + "/what-if",
        data={k: "0" for k in fields if k.startswith("night.")},
        headers={"HX-Request": "true"},
    )

    assert full.status_code == none.status_code == fragment.status_code == 200
    owed_full = re.findall(r'id="what-if-total">([^<]*)<', full.text)
    owed_none = re.findall(r'id="what-if-total">([^<]*)<', none.text)
    assert owed_full
    assert owed_none
    assert owed_full != owed_none
    assert fragment.text.lstrip().startswith('<section class="card what-if" id="what-if"')
    assert [repo.count_rows(session, table) for table in tables] == before


def test_a_bad_what_if_value_is_named_beside_its_night(hotel: TestClient, session: Session) -> None:
    contract = _contract(session)
    assert contract.id is not None
    _, path = _create(hotel, contract.id)

    response = TestClient(hotel.app).post(path + "/what-if", data={"night.0": "lots"})

    assert response.status_code == 422
    assert re.search(r'id="wi-0"[^>]*aria-invalid="true"', response.text)
    assert 'value="lots"' in response.text


def test_a_read_only_principal_cannot_create_or_revoke_links(hotel: TestClient, session: Session) -> None:
    contract = _contract(session)
    assert contract.id is not None
    _, path = _create(hotel, contract.id)
    opened = sharing.open_share_link(session, path.removeprefix("/share/"))
    assert opened.principal.can_write is False
    assert opened.principal.property_ids == frozenset({contract.property_id})
    read_only = auth.Principal("key:read", frozenset({contract.property_id}), can_write=False, is_admin=False)

    for principal in (opened.principal, read_only):
        with pytest.raises(ForbiddenError):
            sharing.create_share_link(session, principal, contract.id, {"label": "x"})
        with pytest.raises(ForbiddenError):
            sharing.revoke_share_link(session, principal, contract.id, opened.link_id)
    assert repo.count_rows(session, ShareLinkRecord) == 1


def test_staff_of_another_property_cannot_see_or_make_links(hotel: TestClient, session: Session) -> None:
    contract = _contract(session)
    other = _contract(session, "agla-convention-2027")
    assert contract.id is not None
    sign_in(hotel, session, "elsewhere@example.com", property_ids=frozenset({other.property_id}))

    assert hotel.get(f"/contracts/{contract.id}/share").status_code == 404
    page = hotel.get(f"/contracts/{other.id}/share").text
    token = re.findall(r'name="csrf_token" value="([^"]*)"', page)[0]
    response = post_form(hotel, f"/contracts/{contract.id}/share", {"csrf_token": token, "action": "create"})
    assert response.status_code == 404
    assert session.exec(select(col(ShareLinkRecord.id))).all() == []
