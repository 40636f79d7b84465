"""The staff pages over HTTP on SQLite and PostgreSQL: access, CSRF, escaping, forms and what they save."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.api.deps import SESSION_COOKIE
from app.contract_files import load_document
from app.documents import ContractDocument
from app.persistence.records import InvoiceRecord, PickupSnapshotRecord, StaffSessionRecord
from app.services import auth
from app.services.assessments import assess_contract, hotel_today
from app.services.contracts import load_contract, update_contract
from app.services.imports import import_document
from app.web.contract_page import terms_diff
from app.web.pickup_page import cell_name
from tests.api.conftest import CONTRACTS

ADMIN = auth.Principal("test", None, can_write=True, is_admin=True)
CONGRESS = CONTRACTS / "medical-congress-fnb-rental.yaml"  # Chicago, cumulative attrition, USD
ELSEWHERE = CONTRACTS / "wedding-block-cliff.yaml"  # another hotel


@dataclass(frozen=True, slots=True)
class Hotel:
    contract_id: int
    other_contract_id: int
    csrf: str


def _document(path: Path, name: str | None = None) -> ContractDocument:
    document = load_document(path)
    if name is None:
        return document
    return document.model_copy(update={"contract": document.contract.model_copy(update={"name": name})})


def _import(session: Session, path: Path, name: str | None = None) -> int:
    # Without the file's actuals: pickup starts empty, so the pages' figures come from what tests enter.
    document = _document(path, name).model_copy(update={"actuals": None})
    return import_document(session, document).contract_id


def sign_in_as(client: TestClient, session: Session, property_ids: frozenset[int] | None) -> str:
    """A staff user (of ``property_ids``, or an administrator) with a session cookie; returns its CSRF."""
    email = f"staff{len(property_ids or ())}@harbor.example"
    user = auth.create_staff_user(
        session,
        email,
        "a long enough password",
        is_admin=property_ids is None,
        property_ids=property_ids or frozenset(),
    )
    token = auth.open_staff_session(session, user)
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)
    client.headers["Accept"] = "text/html"  # as a browser asks: errors come back as pages
    record = session.exec(select(StaffSessionRecord).where(StaffSessionRecord.user_id == user.id)).one()
    return record.csrf_token


@pytest.fixture
def hotel(client: TestClient, session: Session) -> Hotel:
    """Signed in as staff of the congress's hotel only; another hotel has a contract too."""
    contract_id = _import(session, CONGRESS)
    other = _import(session, ELSEWHERE)
    property_id = load_contract(session, ADMIN, contract_id).record.property_id
    session.commit()
    return Hotel(contract_id, other, sign_in_as(client, session, frozenset({property_id})))


def _today(session: Session, contract_id: int) -> date:
    return hotel_today(load_contract(session, ADMIN, contract_id).terms.property.timezone)


def _total(session: Session, contract_id: int, day: date) -> Decimal:
    return assess_contract(session, ADMIN, contract_id, day).assessment.total.amount


def _snapshots(session: Session, contract_id: int) -> list[PickupSnapshotRecord]:
    session.expire_all()
    return list(
        session.exec(select(PickupSnapshotRecord).where(PickupSnapshotRecord.contract_id == contract_id))
    )


def _grid_form(session: Session, contract_id: int, rooms: int, day: date, csrf: str) -> dict[str, str]:
    terms = load_contract(session, ADMIN, contract_id).terms
    return {
        "csrf_token": csrf,
        "as_of": day.isoformat(),
        **{cell_name(cell.night, cell.room_type): str(min(rooms, cell.rooms)) for cell in terms.block},
    }


# --- access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/contracts/1", "/contracts/1/pickup", "/?sort=exposure&dir=desc"])
def test_a_signed_out_visit_is_sent_to_sign_in_and_back(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)

    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    form = client.get(location)
    assert re.search(r'name="next" value="([^"]*)"', form.text).group(1).replace("&amp;", "&") == path  # type: ignore[union-attr]


def test_another_hotels_contract_is_404_on_every_page_and_form(client: TestClient, hotel: Hotel) -> None:
    other = hotel.other_contract_id

    for path in (f"/contracts/{other}", f"/contracts/{other}/pickup"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    posted = client.post(f"/contracts/{other}/pickup", data={"csrf_token": hotel.csrf, "as_of": "2027-01-01"})
    assert posted.status_code == 404
    assert client.post(f"/contracts/{other}/invoices", data={"csrf_token": hotel.csrf}).status_code == 404
    dashboard = client.get("/")
    assert f'data-contract="{hotel.contract_id}"' in dashboard.text
    assert f'data-contract="{other}"' not in dashboard.text


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
def test_a_form_post_without_the_sessions_csrf_token_is_403_and_saves_nothing(
    client: TestClient, session: Session, hotel: Hotel, token: str | None
) -> None:
    form = _grid_form(session, hotel.contract_id, 10, _today(session, hotel.contract_id), hotel.csrf)
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token

    grid = client.post(f"/contracts/{hotel.contract_id}/pickup", data=form, follow_redirects=False)
    upload = client.post(
        f"/contracts/{hotel.contract_id}/pickup/csv",
        data={
            "csrf_token": token or "",
            "csv_text": "night,room_type,room_nights\n2027-04-14,king,5\n",
            "confirm": "yes",
        },
        follow_redirects=False,
    )
    invoice = client.post(
        f"/contracts/{hotel.contract_id}/invoices", data={"csrf_token": token or ""}, follow_redirects=False
    )
    logout = client.post("/logout", data={"csrf_token": token or ""}, follow_redirects=False)

    assert [grid.status_code, upload.status_code, invoice.status_code, logout.status_code] == [403] * 4
    assert _snapshots(session, hotel.contract_id) == []
    session.expire_all()
    assert session.exec(select(InvoiceRecord)).all() == []
    assert client.get("/").status_code == 200  # still signed in


# --- escaping ------------------------------------------------------------------------------------------


def test_a_contract_name_with_markup_is_shown_as_text(client: TestClient, session: Session) -> None:
    name = '<script>alert("x")</script> & Co'
    contract_id = _import(session, CONGRESS, name=name)
    session.commit()
    sign_in_as(client, session, None)

    pages = [
        client.get("/"),
        client.get(f"/contracts/{contract_id}"),
        client.get(f"/contracts/{contract_id}/pickup"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert '<script>alert("x")' not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page.text


# --- the dashboard -------------------------------------------------------------------------------------


def test_dashboard_sorts_by_exposure_and_filters_by_property_and_arrival(
    client: TestClient, session: Session
) -> None:
    ids = [
        _import(session, path)
        for path in (CONGRESS, ELSEWHERE, CONTRACTS / "reunion-no-attrition-clause.yaml")
    ]
    session.commit()
    sign_in_as(client, session, None)
    totals = {contract_id: _total(session, contract_id, _today(session, contract_id)) for contract_id in ids}

    def listed(html: str) -> list[int]:
        return [int(found) for found in re.findall(r'data-contract="(\d+)"', html)]

    by_arrival = listed(client.get("/").text)
    by_exposure = listed(client.get("/", params={"sort": "exposure", "dir": "desc"}).text)

    arrivals = {i: load_contract(session, ADMIN, i).terms.arrival_date for i in ids}
    assert by_arrival == sorted(ids, key=lambda i: (arrivals[i], i))
    assert by_exposure == sorted(ids, key=lambda i: -totals[i])
    congress = load_contract(session, ADMIN, ids[0]).record
    only = client.get("/", params={"property_id": str(congress.property_id)})
    assert listed(only.text) == [ids[0]]
    window = client.get(
        "/",
        params={
            "arrival_from": congress.arrival_date.isoformat(),
            "arrival_to": congress.arrival_date.isoformat(),
        },
    )
    assert listed(window.text) == [ids[0]]


def test_dashboard_shows_pickup_and_current_exposure_in_the_property_locale(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    day = _today(session, hotel.contract_id)
    client.post(
        f"/contracts/{hotel.contract_id}/pickup",
        data=_grid_form(session, hotel.contract_id, 50, day, hotel.csrf),
    )
    total = _total(session, hotel.contract_id, day)
    block = sum(cell.rooms for cell in load_contract(session, ADMIN, hotel.contract_id).terms.block)
    booked = sum(min(50, cell.rooms) for cell in load_contract(session, ADMIN, hotel.contract_id).terms.block)

    html = client.get("/").text

    row = re.search(rf'data-contract="{hotel.contract_id}".*?</tr>', html, re.S)
    assert row is not None
    assert f"{booked} of {block}" in row.group(0)
    assert f"${total:,.2f}" in row.group(0)


def test_dashboard_filter_with_a_bad_date_is_422_with_the_message_beside_the_field(
    client: TestClient, hotel: Hotel
) -> None:
    response = client.get("/", params={"arrival_from": "next tuesday"})

    assert response.status_code == 422
    assert 'id="arrival_from-error"' in response.text
    assert "is not a date" in response.text
    assert 'value="next tuesday"' in response.text


# --- the contract page ---------------------------------------------------------------------------------


def test_contract_page_shows_terms_grid_chart_assessment_and_actions(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    contract_id = hotel.contract_id
    day = _today(session, contract_id)
    total = _total(session, contract_id, day)

    html = client.get(f"/contracts/{contract_id}").text

    assert "The group must use 80% of the baseline" in html
    assert 'id="block-grid"' in html
    assert "<svg" in html
    assert f'<span class="value" id="assessment-total">${total:,.2f}</span>' in html
    for link in (
        f"/contracts/{contract_id}/edit",
        f"/contracts/{contract_id}/pickup",
        f"/contracts/{contract_id}/share",
        f"/api/v1/contracts/{contract_id}/report.pdf",
    ):
        assert f'href="{link}"' in html, link
    assert f'action="/contracts/{contract_id}/invoices/preview"' in html


def test_the_as_of_form_answers_htmx_with_the_fragment_only(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    departure = load_contract(session, ADMIN, hotel.contract_id).terms.departure_date

    fragment = client.get(
        f"/contracts/{hotel.contract_id}",
        params={"as_of": departure.isoformat()},
        headers={"HX-Request": "true"},
    )
    full = client.get(f"/contracts/{hotel.contract_id}", params={"as_of": "not a date"})

    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="as-of-sections">')
    assert "<html" not in fragment.text
    assert f"${_total(session, hotel.contract_id, departure):,.2f}" in fragment.text
    assert full.status_code == 422
    assert 'id="as_of-error"' in full.text


def test_the_version_history_lists_each_changed_term(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    stored = load_contract(session, ADMIN, hotel.contract_id)
    terms = stored.version.terms
    changed = {
        **terms,
        "attrition": {**terms["attrition"], "performance_pct": "75"},
        "payment_terms_days": 45,
    }
    update_contract(
        session,
        ADMIN,
        hotel.contract_id,
        stored.record.revision,
        {"contract": changed, "note": "renegotiated"},
    )
    session.commit()

    html = client.get(f"/contracts/{hotel.contract_id}").text

    assert "Version 2" in html
    assert "renegotiated" in html
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert ("Performance (% of the block to use)", "80", "75") in rows
    assert ("Payment due after (days)", "—", "45") in rows
    assert len(rows) == 2


def test_terms_diff_names_added_removed_and_changed_paths() -> None:
    before = {"a": 1, "block": [{"rooms": 5}, {"rooms": 6}], "gone": "x"}
    after = {"a": 1, "block": [{"rooms": 5}, {"rooms": 7}, {"rooms": 1}], "new": True}

    assert terms_diff(before, after) == (
        ("block[1].rooms", "6", "7"),
        ("block[2].rooms", "—", "1"),
        ("gone", "x", "—"),
        ("new", "—", "true"),
    )


def test_issuing_an_invoice_redirects_back_with_a_notice_and_lists_its_pdf(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    confirmed = {"csrf_token": hotel.csrf, "language": "fr", "confirm": "yes", "interim": "yes"}
    response = client.post(f"/contracts/{hotel.contract_id}/invoices", data=confirmed, follow_redirects=False)

    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/contracts/{hotel.contract_id}?issued=")
    page = client.get(response.headers["location"])
    session.expire_all()
    [invoice] = session.exec(select(InvoiceRecord)).all()
    assert invoice.language == "fr"
    assert f"Invoice {invoice.number} was issued." in page.text
    assert f'href="/api/v1/invoices/{invoice.number}.pdf"' in page.text
    again = client.post(f"/contracts/{hotel.contract_id}/invoices", data=confirmed)
    assert again.status_code == 409  # one is outstanding: shown on the page, beside the form
    assert "outstanding" in again.text


def test_an_invoice_in_an_unknown_language_is_422_beside_the_field(client: TestClient, hotel: Hotel) -> None:
    response = client.post(
        f"/contracts/{hotel.contract_id}/invoices",
        data={"csrf_token": hotel.csrf, "language": "xx", "confirm": "yes"},
    )

    assert response.status_code == 422
    assert 'id="invoice-language-error"' in response.text


# --- pickup entry --------------------------------------------------------------------------------------


def test_the_grid_saves_pickup_and_the_contract_page_owes_less(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    day = _today(session, hotel.contract_id)
    before = _total(session, hotel.contract_id, day)

    response = client.post(
        f"/contracts/{hotel.contract_id}/pickup",
        data=_grid_form(session, hotel.contract_id, 60, day, hotel.csrf),
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/contracts/{hotel.contract_id}?as_of={day.isoformat()}")
    after = _total(session, hotel.contract_id, day)
    assert after < before
    page = client.get(response.headers["location"])
    assert f'id="assessment-total">${after:,.2f}<' in page.text
    terms = load_contract(session, ADMIN, hotel.contract_id).terms
    assert len(_snapshots(session, hotel.contract_id)) == len(terms.block)
    form = client.get(f"/contracts/{hotel.contract_id}/pickup").text
    first = terms.block[0]
    assert f'name="{cell_name(first.night, first.room_type)}" value="{min(60, first.rooms)}"' in form


def test_a_bad_grid_is_422_with_the_input_kept_and_nothing_saved(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    terms = load_contract(session, ADMIN, hotel.contract_id).terms
    form = _grid_form(session, hotel.contract_id, 7, _today(session, hotel.contract_id), hotel.csrf)
    bad = cell_name(terms.block[1].night, terms.block[1].room_type)
    form[bad] = "twelve"
    form["as_of"] = "2027-02-30"

    response = client.post(f"/contracts/{hotel.contract_id}/pickup", data=form)

    assert response.status_code == 422
    assert (
        f'id="{bad}" name="{bad}" value="twelve" aria-invalid="true" aria-describedby="{bad}-error"'
        in response.text
    )
    assert "enter a whole number of rooms" in response.text
    assert 'value="2027-02-30"' in response.text
    assert 'id="pickup-as-of-error"' in response.text
    good = cell_name(terms.block[0].night, terms.block[0].room_type)
    assert f'name="{good}" value="7"' in response.text
    assert _snapshots(session, hotel.contract_id) == []


def test_a_csv_without_the_required_columns_is_422_and_saves_nothing(
    client: TestClient, session: Session, hotel: Hotel
) -> None:
    response = client.post(
        f"/contracts/{hotel.contract_id}/pickup/csv",
        data={
            "csrf_token": hotel.csrf,
            "as_of": "2026-12-01",
            "csv_text": "date,rooms\n2027-04-14,3\n",
            "confirm": "yes",
        },
    )

    assert response.status_code == 422
    assert 'id="csv-file-error"' in response.text
    assert "room_type" in response.text
    assert _snapshots(session, hotel.contract_id) == []
