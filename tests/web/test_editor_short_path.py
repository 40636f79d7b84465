"""The editor's short path (issue 14, point 4), over HTTP on SQLite and PostgreSQL: the few fields a plain
contract needs with every other term under "More terms", rooms the same every night, numbers written as
the hotel writes them, accounts of the chosen hotel (and a new one made in place), the preset that matches
the terms, and no JSON/YAML box."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.persistence import repositories as repo
from app.persistence.records import AccountRecord, ContractRecord
from app.services.contracts import load_contract
from app.services.properties import AccountCreate, PropertyCreate, create_account, create_property
from tests.web.test_editor_pages import (
    ADMIN,
    form_fields,
    input_tag,
    post_form,
    saved_contract,
    sign_in,
)


def _hotel(session: Session, name: str, locale: str = "en", currency: str = "USD") -> int:
    record = create_property(session, ADMIN, PropertyCreate(name=name, currency=currency, locale=locale))
    assert record.id is not None
    return record.id


@pytest.fixture
def hotels(client: TestClient, session: Session) -> dict[str, int]:
    """Three hotels (English, French, German) with an account each, and a user of all three."""
    found = {
        "en": _hotel(session, "Harbor Point Hotel"),
        "fr": _hotel(session, "Hôtel du Port", "fr_FR", "EUR"),
        "de": _hotel(session, "Hafenhotel", "de_DE", "EUR"),
    }
    for code, property_id in found.items():
        create_account(session, ADMIN, AccountCreate(property_id=property_id, name=f"Account of {code}"))
    sign_in(client, session, "sales@example.com", property_ids=frozenset(found.values()))
    return found


def _new(client: TestClient, property_id: int, **extra: str) -> dict[str, Any]:
    """The new-contract form with a hotel chosen (the round trip a browser makes) and the short path."""
    fields = form_fields(client.get("/contracts/new").text)
    fields["property_id"] = str(property_id)
    fields = form_fields(post_form(client, "/contracts/new", {**fields, "action": "choose_property"}).text)
    fields.update(
        {
            "group.name": "Pacific Dental Society",
            "arrival_date": "2027-05-10",
            "departure_date": "2027-05-13",
            "block.type.0": "king",
            "block.same.0.rooms": "40",
            "block.type.1": "double",
            "block.same.1.rooms": "20",
            "block.same.rate": "189.00",
        }
    )
    fields.update(extra)
    return fields


def _block(session: Session, contract_id: int) -> list[tuple[str, str, int, str]]:
    session.expire_all()
    terms = load_contract(session, ADMIN, contract_id).terms
    return [(c.night.isoformat(), c.room_type, c.rooms, str(c.rate.amount)) for c in terms.block]


# --- 1. the short path ---------------------------------------------------------------------------


def test_the_short_path_comes_first_and_every_other_term_is_under_more_terms_closed(
    client: TestClient, hotels: dict[str, int]
) -> None:
    html = client.get("/contracts/new").text
    short, more = html.split('<details class="more-terms" id="more-terms"', 1)
    more = more.split('class="actions sticky-actions"', 1)[0]

    assert more.startswith(">")  # closed: no "open"
    for name in (
        "property_id",
        "account_id",
        "group.name",
        "arrival_date",
        "departure_date",
        "block.type.0",
        "block.same.0.rooms",
        "block.same.rate",
        "attrition.performance_pct",
        "attrition.damages_pct",
        "attrition.evaluation_mode",
    ):
        assert f'name="{name}"' in short, name
    for name in ("payment_terms_days", "attrition.resale_mode", "fnb.minimum", "tax_override.name"):
        assert f'name="{name}"' in more, name
        assert f'name="{name}"' not in short, name
    # Each term shows its default in words.
    assert "Default: 100 %" in short  # damages
    assert '<option value="">Default (cumulative)</option>' in short  # a choice: its blank option
    assert "Default: 30" in more  # payment terms, days
    assert '<option value="">Default (no)</option>' in more
    # The evaluation reads as words, not the engine's values.
    assert ">night by night<" in short
    assert ">per_night<" not in short
    # 2 room types to fill without a click; their Remove buttons sit in their own box.
    assert 'name="block.type.1"' in short
    assert 'name="block.type.2"' not in short
    assert re.search(r'<details id="nights">', short)  # the grid is there, folded


def test_an_error_in_a_more_term_opens_more_terms_and_one_in_the_short_path_does_not(
    client: TestClient, hotels: dict[str, int]
) -> None:
    more = post_form(client, "/contracts/new", {**_new(client, hotels["en"]), "payment_terms_days": "-5"})
    assert more.status_code == 422
    assert '<details class="more-terms" id="more-terms" open>' in more.text
    assert 'aria-invalid="true"' in input_tag(more.text, "f-payment_terms_days")

    short = post_form(
        client, "/contracts/new", {**_new(client, hotels["en"]), "attrition.damages_pct": "180"}
    )
    assert short.status_code == 422
    assert '<details class="more-terms" id="more-terms">' in short.text


def test_rooms_the_same_every_night_fill_every_night_of_the_stay_and_save(
    client: TestClient, session: Session, hotels: dict[str, int]
) -> None:
    response = post_form(client, "/contracts/new", {**_new(client, hotels["en"]), "action": "save"})

    assert response.status_code == 303
    contract_id = saved_contract(response)
    assert sorted(_block(session, contract_id)) == sorted(
        (night, room_type, rooms, "189.00")
        for night in ("2027-05-10", "2027-05-11", "2027-05-12")
        for room_type, rooms in (("king", 40), ("double", 20))
    )
    page = client.get(response.headers["location"]).text
    assert "Saved version 1 of the terms." in page


def test_a_night_changed_in_the_grid_keeps_its_number_and_a_new_same_number_replaces_every_night(
    client: TestClient, session: Session, hotels: dict[str, int]
) -> None:
    contract_id = saved_contract(
        post_form(client, "/contracts/new", {**_new(client, hotels["en"]), "action": "save"})
    )
    fields = form_fields(client.get(f"/contracts/{contract_id}/edit").text)
    assert (fields["block.same.0.rooms"], fields["block.same.rate"]) == ("40", "189.00")
    fields["block.1.0.rooms"] = "45"  # night 2, king, in the grid

    response = post_form(client, f"/contracts/{contract_id}/edit", {**fields, "action": "save"})
    assert response.headers["location"] == f"/contracts/{contract_id}?terms_saved=2"
    kings = [rooms for _, room_type, rooms, _ in _block(session, contract_id) if room_type == "king"]
    assert kings == [40, 45, 40]

    fields = form_fields(client.get(f"/contracts/{contract_id}/edit").text)
    assert fields["block.same.0.rooms"] == ""  # the nights differ
    assert '<details id="nights" open>' in client.get(f"/contracts/{contract_id}/edit").text
    fields.update({"block.same.0.rooms": "30", "departure_date": "2027-05-14"})  # and one night more
    post_form(client, f"/contracts/{contract_id}/edit", {**fields, "action": "save"})
    block = _block(session, contract_id)
    assert [rooms for _, room_type, rooms, _ in block if room_type == "king"] == [30, 30, 30, 30]
    assert [rooms for _, room_type, rooms, _ in block if room_type == "double"] == [20, 20, 20, 20]


# --- 2. numbers as the hotel writes them -----------------------------------------------------------


@pytest.mark.parametrize(
    ("hotel", "rate", "minimum"),
    [("en", "15,000.50", "15,000"), ("fr", "15 000,50", "15 000"), ("de", "15.000,50", "15.000")],
)
def test_numbers_are_read_with_the_hotel_s_grouping_and_decimal_sign(
    client: TestClient, session: Session, hotels: dict[str, int], hotel: str, rate: str, minimum: str
) -> None:
    fields = _new(client, hotels[hotel], **{"block.same.rate": rate, "fnb.minimum": minimum})

    response = post_form(client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 303, response.text[-3000:]
    contract_id = saved_contract(response)
    assert {rate for *_, rate in _block(session, contract_id)} == {"15000.50"}
    assert load_contract(session, ADMIN, contract_id).version.terms["fnb"]["minimum"]["amount"] == "15000"
    # Shown again as the hotel writes it, and saved unchanged it adds no version.
    edit = form_fields(client.get(f"/contracts/{contract_id}/edit").text)
    assert edit["block.same.rate"] == {"en": "15000.50", "fr": "15000,50", "de": "15000,50"}[hotel]
    again = post_form(client, f"/contracts/{contract_id}/edit", {**edit, "action": "save"})
    assert again.headers["location"].endswith("&unchanged=1")


@pytest.mark.parametrize(("hotel", "text"), [("en", "1,5"), ("de", "15000.50"), ("en", "12 cents")])
def test_a_number_the_hotel_would_not_write_is_refused_naming_the_field(
    client: TestClient, session: Session, hotels: dict[str, int], hotel: str, text: str
) -> None:
    before = repo.count_rows(session, ContractRecord)
    fields = _new(client, hotels[hotel], **{"attrition.damages_pct": "180", "fnb.minimum": text})

    response = post_form(client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 422
    example = {"en": "15,000.50", "de": "15.000,50"}[hotel]
    assert re.search(
        rf'<a href="#f-fnb-minimum">F&amp;B minimum \(net of tax and service\)</a>: '
        rf"“{re.escape(text)}” is not a number as this hotel writes them: write it like {re.escape(example)}",
        response.text,
    )
    # The rest of the form is checked in the same Save.
    assert 'aria-invalid="true"' in input_tag(response.text, "f-attrition-damages_pct")
    assert f'value="{text}"' in input_tag(response.text, "f-fnb-minimum")
    assert repo.count_rows(session, ContractRecord) == before


# --- 3. accounts of the chosen hotel, and a new one in place ---------------------------------------


def _options(html: str, select_id: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found
    return re.findall(r"<option value=\"[^\"]*\"[^>]*>([^<]*)</option>", found[1])


def test_the_account_list_holds_only_the_chosen_hotel_s_accounts(
    client: TestClient, hotels: dict[str, int]
) -> None:
    blank = client.get("/contracts/new").text
    assert _options(blank, "f-account_id") == ["— none —"]
    assert "Choose the property first" in blank

    fields = form_fields(blank)
    for code in ("en", "fr"):
        fields["property_id"] = str(hotels[code])
        html = post_form(client, "/contracts/new", {**fields, "action": "choose_property"}).text
        assert _options(html, "f-account_id") == ["— none —", f"Account of {code}"]
        fields = form_fields(html)
    fields["account_id"] = re.search(r'<option value="(\d+)"[^>]*>Account of fr', html)[1]  # type: ignore[index]
    fields["property_id"] = str(hotels["de"])  # another hotel: the fr account is no longer chosen
    html = post_form(client, "/contracts/new", {**fields, "action": "choose_property"}).text
    assert form_fields(html)["account_id"] == ""
    # With htmx the property's change swaps the form (the select posts it).
    tag = input_tag(client.get("/contracts/new").text, "f-property_id")
    assert 'hx-trigger="change"' in tag
    assert "choose_property" in tag


def test_a_new_account_is_made_in_the_editor_without_losing_the_form(
    client: TestClient, session: Session, hotels: dict[str, int]
) -> None:
    fields = _new(client, hotels["fr"])
    fields.update(
        {"new_account.name": "Société Dentaire", "new_account.code": "SD-77", "new_account.language": "fr"}
    )

    html = post_form(client, "/contracts/new", {**fields, "action": "add_account"}).text

    kept = form_fields(html)
    assert kept["group.name"] == "Pacific Dental Society"
    assert kept["block.same.1.rooms"] == "20"
    assert kept["group.account"] == "SD-77"
    assert "Account Société Dentaire added and chosen." in html
    session.expire_all()
    made = list(repo.list_accounts(session, None, hotels["fr"], repo.Page(50, 0))[0])
    new = next(a for a in made if a.name == "Société Dentaire")
    assert (new.language, kept["account_id"]) == ("fr", str(new.id))
    response = post_form(client, "/contracts/new", {**kept, "action": "save"})
    assert load_contract(session, ADMIN, saved_contract(response)).record.account_id == new.id

    again = post_form(client, "/contracts/new", {**fields, "action": "add_account"}).text
    assert "already has an account of that name" in again
    assert '<details class="new-account wide" id="new-account" open>' in again
    assert repo.count_rows(session, AccountRecord) == 4


# --- 4. the preset box shows the terms' preset -----------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "shown"),
    [
        ({}, "No attrition clause"),
        (
            {
                "attrition.performance_pct": "80",
                "attrition.damages_pct": "80",
                "attrition.evaluation_mode": "cumulative",
            },
            "80 % cumulative, 80 % of rate",
        ),
        (
            {"attrition.performance_pct": "90", "attrition.evaluation_mode": "per_night"},
            "Per night 90 %, full rate",
        ),
        ({"attrition.performance_pct": "75", "attrition.evaluation_mode": "cumulative"}, "Custom terms"),
    ],
)
def test_the_preset_box_shows_the_preset_the_terms_match_or_custom_terms(
    client: TestClient, session: Session, hotels: dict[str, int], terms: dict[str, str], shown: str
) -> None:
    response = post_form(client, "/contracts/new", {**_new(client, hotels["en"], **terms), "action": "save"})
    html = client.get(f"/contracts/{saved_contract(response)}/edit").text

    selected = re.findall(r'<option value="[^"]*" selected>([^<]*)</option>', html.split('id="f-preset"')[1])
    assert selected[0] == shown
    assert f'<strong id="preset-now">{shown}</strong>' in html


# --- 5. no JSON or YAML box ------------------------------------------------------------------------


def test_no_text_box_and_the_tax_profile_is_a_structured_form(
    client: TestClient, session: Session, hotels: dict[str, int]
) -> None:
    fields = _new(client, hotels["en"])
    page = client.get("/contracts/new").text
    # No term is typed as JSON or YAML: the only text boxes are free-text notes.
    boxes = re.findall(r'<textarea[^>]*\bname="([^"]+)"', page)
    assert all(name.endswith("note") for name in boxes), boxes
    assert "JSON" not in page
    assert "YAML" not in page
    fields = form_fields(
        post_form(client, "/contracts/new", {**fields, "action": "add_row:tax_override.taxes"}).text
    )
    fields.update(
        {
            "tax_override.name": "City taxes",
            "tax_override.service_charge_pct": "10",
            "tax_override.service_charge_kinds": ["room_attrition", "cancellation"],
            "tax_override.taxes.0.name": "Sales tax",
            "tax_override.taxes.0.rate_pct": "8.5",
            "tax_override.taxes.0.kinds": ["cancellation", "room_attrition"],
            "tax_override.taxes.0.on_service_charge": "false",
        }
    )
    html = post_form(client, "/contracts/new", {**fields, "action": "add_row:tax_override.taxes"}).text
    assert ">Food and beverage attrition</label>" in html or "food and beverage attrition</label>" in html
    fields = form_fields(html)
    assert sorted(fields["tax_override.taxes.0.kinds"]) == ["cancellation", "room_attrition"]  # kept ticked
    fields = form_fields(
        post_form(client, "/contracts/new", {**fields, "action": "remove_row:tax_override.taxes:1"}).text
    )

    response = post_form(client, "/contracts/new", {**fields, "action": "save"})

    contract_id = saved_contract(response)
    assert load_contract(session, ADMIN, contract_id).version.terms["tax_override"] == {
        "name": "City taxes",
        "service_charge_pct": "10",
        "service_charge_kinds": ["cancellation", "room_attrition"],
        "taxes": [
            {
                "name": "Sales tax",
                "rate_pct": "8.5",
                "kinds": ["cancellation", "room_attrition"],
                "on_service_charge": False,
            }
        ],
    }
    edit = client.get(f"/contracts/{contract_id}/edit").text
    assert all(name.endswith("note") for name in re.findall(r'<textarea[^>]*\bname="([^"]+)"', edit))
    assert re.search(
        r'<p id="elsewhere">This contract has no block reduction and no off-line room recorded\. '
        rf'Record them on the block-changes page\. <a href="/contracts/{contract_id}/block-changes">',
        edit,
    )


def test_reductions_and_off_line_rooms_from_the_block_changes_page_are_kept_by_the_editor(
    client: TestClient, session: Session, hotels: dict[str, int]
) -> None:
    contract_id = saved_contract(
        post_form(client, "/contracts/new", {**_new(client, hotels["en"]), "action": "save"})
    )
    page = client.get(f"/contracts/{contract_id}/block-changes").text
    revision = re.search(r'name="revision" value="(\d+)"', page)
    assert revision
    saved = post_form(
        client,
        f"/contracts/{contract_id}/block-changes/offline",
        {"revision": revision[1], "off:2027-05-11:king": "2", "csrf_token": _csrf(page)},
    )
    assert saved.status_code == 303, saved.text[-2000:]
    session.expire_all()
    stored = load_contract(session, ADMIN, contract_id).version.terms["offline_rooms"]
    assert stored == [{"night": "2027-05-11", "room_type": "king", "rooms": 2}]

    edit = client.get(f"/contracts/{contract_id}/edit").text
    assert "and 2 off-line room nights recorded" in edit
    fields = form_fields(edit)
    fields["attrition.performance_pct"] = "85"
    post_form(client, f"/contracts/{contract_id}/edit", {**fields, "action": "save"})
    session.expire_all()
    terms = load_contract(session, ADMIN, contract_id).version.terms
    assert terms["offline_rooms"] == stored
    history = client.get(f"/contracts/{contract_id}").text.split('id="versions-heading"')[1]
    assert '<th scope="row">Off-line rooms, row 1: Night</th><td>—</td><td>May 11, 2027</td>' in history
    assert "offline_rooms" not in history
    assert "2027-05-11" not in history  # the date as the hotel writes it
    assert terms["attrition"]["performance_pct"] == "85"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found[1]
