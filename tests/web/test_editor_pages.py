"""The contract editor over HTTP, on SQLite and PostgreSQL: forms posted as a browser without JavaScript
posts them (the fields the page itself rendered), answers read from the HTML and from the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, get_args, get_origin
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import BaseModel
from sqlmodel import Session

from app.api.deps import SESSION_COOKIE
from app.contract_files import load_document
from app.engine.contract import Contract
from app.persistence import repositories as repo
from app.persistence.records import ContractRecord, ContractVersionRecord
from app.services import auth
from app.services.contracts import load_contract, update_contract
from app.services.imports import load_demo
from app.services.properties import PropertyCreate, create_property
from app.web.editor_forms import ELSEWHERE, GROUPS, SCALARS
from tests.api.conftest import sample_files

ADMIN = auth.Principal("test", None, can_write=True, is_admin=True)


# --- a browser's form submission, without a browser ----------------------------------------------


class _FormFields(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = found.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and found.get("name"):
            kind = found.get("type") or "text"
            if kind in ("submit", "button") or (kind == "checkbox" and "checked" not in found):
                return
            self.fields.append((str(found["name"]), found.get("value") or ""))
        elif tag == "select":
            self._select, self._options = found.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((found.get("value") or "", "selected" in found))
        elif tag == "textarea":
            self._textarea, self._text = found.get("name"), ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [
                v for v, _ in self._options[:1]
            ]
            self.fields.append((self._select, chosen[0] if chosen else ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def form_fields(html: str, form_id: str = "editor-form") -> dict[str, Any]:
    """The fields a browser would submit from the form (no submit button), by name; a name sent more
    than once (ticked checkboxes) has the list of its values."""
    parser = _FormFields(form_id)
    parser.feed(html)
    found: dict[str, Any] = {}
    for name, value in parser.fields:
        if name in found:
            found[name] = [*(found[name] if isinstance(found[name], list) else [found[name]]), value]
        else:
            found[name] = value
    return found


def post_form(client: TestClient, url: str, fields: dict[str, Any], **headers: str) -> Response:
    return client.post(
        url,
        content=urlencode(fields, doseq=True),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        follow_redirects=False,
    )


def saved_contract(response: Response) -> int:
    """The contract a save redirected to (``/contracts/7?terms_saved=1``)."""
    found = re.fullmatch(r"/contracts/(\d+)\?terms_saved=\d+(&unchanged=1)?", response.headers["location"])
    assert found, response.headers["location"]
    return int(found[1])


def input_tag(html: str, element_id: str) -> str:
    found = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert found, f"no field #{element_id}"
    return found.group(0)


# --- fixtures -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Staffed:
    client: TestClient
    property_id: int


def sign_in(client: TestClient, session: Session, email: str, *, property_ids: frozenset[int] | None) -> None:
    user = auth.create_staff_user(
        session,
        email,
        "a long enough password",
        is_admin=property_ids is None,
        property_ids=property_ids or frozenset(),
    )
    client.cookies.set(SESSION_COOKIE, auth.open_staff_session(session, user))
    session.commit()


@pytest.fixture
def staffed(client: TestClient, session: Session) -> Staffed:
    hotel = create_property(
        session,
        ADMIN,
        PropertyCreate(name="Harbor <Point> Hotel", currency="USD", timezone="America/Los_Angeles"),
    )
    assert hotel.id is not None
    sign_in(client, session, "sales@example.com", property_ids=frozenset({hotel.id}))
    return Staffed(client, hotel.id)


@pytest.fixture
def samples(client: TestClient, session: Session) -> Iterator[TestClient]:
    load_demo(session, [(path, load_document(path)) for path in sample_files()])
    session.commit()
    sign_in(client, session, "editor@example.com", property_ids=None)
    return client


def new_contract_fields(client: TestClient, property_id: int) -> dict[str, Any]:
    fields = form_fields(client.get("/contracts/new").text)
    fields.update(
        {
            "property_id": str(property_id),
            "group.name": "Pacific Dental Society",
            "arrival_date": "2027-05-10",
            "departure_date": "2027-05-12",
            "block.night.0": "2027-05-10",
            "block.type.0": "king",
            "block.0.0.rooms": "50",
            "block.0.0.rate": "189.00",
            "attrition.performance_pct": "80",
        }
    )
    return fields


# --- tests ----------------------------------------------------------------------------------------


def test_the_form_has_a_field_for_every_term_of_the_contract_model() -> None:
    covered = set(SCALARS) | set(GROUPS) | set(ELSEWHERE) | {"block", "property", "stacking_order"}

    def leaves(model: type[BaseModel], prefix: str) -> Iterator[str]:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            if path in covered:
                continue
            nested = [
                a for a in get_args(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                nested = [info.annotation]
            if nested and get_origin(info.annotation) is not tuple:
                yield from leaves(nested[0], f"{path}.")
            else:
                yield path

    assert list(leaves(Contract, "")) == []


def test_the_new_contract_form_shows_each_engine_default(staffed: Staffed) -> None:
    html = staffed.client.get("/contracts/new").text

    assert 'placeholder="default: 100"' in input_tag(html, "f-attrition-damages_pct")
    assert re.search(
        r'id="f-attrition-evaluation_mode"[^>]*>\s*<option value="">Default \(cumulative\)', html
    )
    assert re.search(r'id="f-attrition-credited_sources-comp"[^>]*>\s*<option value="">Default \(no\)', html)
    assert 'placeholder="default: 30"' in input_tag(html, "f-payment_terms_days")
    assert "Harbor &lt;Point&gt; Hotel" in html


def test_a_contract_made_in_the_editor_keeps_blank_terms_unset_and_redirects_to_its_page(
    staffed: Staffed, session: Session
) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 303
    contract_id = saved_contract(response)
    stored = load_contract(session, ADMIN, contract_id)
    assert stored.version.terms["attrition"] == {"performance_pct": "80"}
    assert stored.version.terms["currency"] == "USD"  # blank: the property's
    assert stored.record.reference == "pacific-dental-society-2027"
    assert [(c.night.isoformat(), c.room_type, c.rooms) for c in stored.terms.block] == [
        ("2027-05-10", "king", 50)
    ]


def test_invalid_input_comes_back_with_422_the_input_kept_and_the_message_beside_the_field(
    staffed: Staffed, session: Session
) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.update(
        {"attrition.performance_pct": "180", "block.0.0.rate": "cheap", "group.name": "<script>x</script>"}
    )
    before = repo.count_rows(session, ContractRecord)

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 422
    html = response.text
    performance = input_tag(html, "f-attrition-performance_pct")
    assert 'value="180"' in performance
    assert 'aria-invalid="true"' in performance
    assert "f-attrition-performance_pct-error" in performance
    assert re.search(r'id="f-attrition-performance_pct-error">[^<]*100', html)
    rate = input_tag(html, "f-block-0-0-rate")
    assert 'value="cheap"' in rate
    assert 'aria-invalid="true"' in rate
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert repo.count_rows(session, ContractRecord) == before


def test_grid_buttons_add_and_remove_nights_and_room_types_and_copy_a_night(staffed: Staffed) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)

    added = form_fields(post_form(staffed.client, "/contracts/new", {**fields, "action": "add_night"}).text)
    assert added["block.night.1"] == "2027-05-11"
    assert added["block.type.1"] == ""  # a new contract has two room-type lines
    assert "block.type.2" not in added
    added = form_fields(post_form(staffed.client, "/contracts/new", {**added, "action": "add_type"}).text)
    assert added["block.type.2"] == ""
    assert "block.1.2.rooms" in added
    added = form_fields(
        post_form(staffed.client, "/contracts/new", {**added, "action": "remove_type:2"}).text
    )
    assert "block.type.2" not in added
    added.update({"block.type.1": "double", "block.0.1.rooms": "20", "block.0.1.rate": "169.00"})

    copied = form_fields(
        post_form(staffed.client, "/contracts/new", {**added, "action": "copy_night:0"}).text
    )
    assert (copied["block.1.0.rooms"], copied["block.1.1.rooms"], copied["block.1.1.rate"]) == (
        "50",
        "20",
        "169.00",
    )

    removed = form_fields(
        post_form(staffed.client, "/contracts/new", {**copied, "action": "remove_type:0"}).text
    )
    assert removed["block.type.0"] == "double"
    assert "block.type.1" not in removed
    removed = form_fields(
        post_form(staffed.client, "/contracts/new", {**removed, "action": "remove_night:0"}).text
    )
    assert removed["block.night.0"] == "2027-05-11"
    assert "block.night.1" not in removed
    assert removed["group.name"] == "Pacific Dental Society"  # the rest of the form is kept


def test_a_grid_button_sent_by_htmx_gets_the_grid_fragment_only(staffed: Staffed) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)

    response = post_form(
        staffed.client, "/contracts/new", {**fields, "action": "add_night"}, **{"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<fieldset class="group block-grid" id="block-grid">')
    assert "<html" not in response.text
    assert 'name="block.night.1"' in response.text


def test_nights_can_be_made_from_the_stay_dates(staffed: Staffed) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields["departure_date"] = "2027-05-13"

    made = form_fields(
        post_form(staffed.client, "/contracts/new", {**fields, "action": "nights_from_dates"}).text
    )

    assert [made[f"block.night.{i}"] for i in range(3)] == ["2027-05-10", "2027-05-11", "2027-05-12"]
    assert made["block.0.0.rooms"] == "50"
    assert made["block.1.0.rooms"] == ""


def test_a_clause_preset_fills_the_clause_fields_and_no_attrition_empties_them(staffed: Staffed) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields["attrition.resale_mode"] = "resold_rooms"

    preset = form_fields(
        post_form(
            staffed.client, "/contracts/new", {**fields, "action": "apply_preset", "preset": "cumulative-80"}
        ).text
    )
    assert (preset["attrition.performance_pct"], preset["attrition.damages_pct"]) == ("80", "80")
    assert preset["attrition.evaluation_mode"] == "cumulative"
    assert preset["attrition.resale_mode"] == ""

    cleared = form_fields(
        post_form(
            staffed.client, "/contracts/new", {**preset, "action": "apply_preset", "preset": "no-attrition"}
        ).text
    )
    assert all(value == "" for name, value in cleared.items() if name.startswith("attrition."))

    sliding = form_fields(
        post_form(
            staffed.client, "/contracts/new", {**fields, "action": "apply_preset", "preset": "sliding-fnb"}
        ).text
    )
    assert sliding["fnb.damages_pct_by_notice.2.min_days"] == "91"


def test_repeated_rows_are_added_removed_and_saved(staffed: Staffed, session: Session) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    added = form_fields(
        post_form(staffed.client, "/contracts/new", {**fields, "action": "add_row:reduction_rights"}).text
    )
    added.update({"reduction_rights.0.until_days_before_arrival": "60", "reduction_rights.0.max_pct": "10"})
    added = form_fields(
        post_form(staffed.client, "/contracts/new", {**added, "action": "add_row:deposits"}).text
    )
    assert "deposits.0.amount" in added
    removed = form_fields(
        post_form(staffed.client, "/contracts/new", {**added, "action": "remove_row:deposits:0"}).text
    )
    assert "deposits.0.amount" not in removed

    response = post_form(staffed.client, "/contracts/new", {**removed, "action": "save"})

    assert response.status_code == 303
    contract_id = saved_contract(response)
    terms = load_contract(session, ADMIN, contract_id).version.terms
    assert terms["reduction_rights"] == [{"until_days_before_arrival": 60, "max_pct": "10"}]
    assert "deposits" not in terms


def test_the_rounding_term_and_an_inclusive_tax_are_saved_from_the_editor(
    staffed: Staffed, session: Session
) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.update(
        {
            "rounding.increment": "step",
            "rounding.step": "0.05",
            "rounding.scope": "on_total",
            "rounding.method": "half_even",
            "tax_override.taxes.0.name": "VAT",
            "tax_override.taxes.0.rate_pct": "20",
            "tax_override.taxes.0.kinds": "cancellation",
            "tax_override.taxes.0.inclusive": "true",
            "tax_override.vat_category": "S",
        }
    )

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 303, response.text[-2000:]
    terms = load_contract(session, ADMIN, saved_contract(response)).version.terms
    assert terms["rounding"] == {
        "increment": "step",
        "step": "0.05",
        "scope": "on_total",
        "method": "half_even",
    }
    assert terms["tax_override"]["taxes"][0]["inclusive"] is True
    assert terms["tax_override"]["vat_category"] == "S"
    html = staffed.client.get("/contracts/new").text
    assert "Whole units" in html or "whole units" in html  # the increments in words, not identifiers


def test_saving_in_the_editor_keeps_what_a_tax_row_does_not_show(staffed: Staffed, session: Session) -> None:
    """A tax rule's conditions, sources, doubt and note are not fields of the editor's tax rows: a save
    keeps them from the stored rule of the same row and name, and a changed rate is still taken."""
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.update(
        {
            "tax_override.taxes.0.name": "Hotel occupancy tax",
            "tax_override.taxes.0.rate_pct": "6",
            "tax_override.taxes.0.kinds": "cancellation",
        }
    )
    number = saved_contract(post_form(staffed.client, "/contracts/new", {**fields, "action": "save"}))
    stored = load_contract(session, ADMIN, number)
    terms = dict(stored.version.terms)
    hidden = {
        "conditions": {"notice_window": {"within_days": 30, "applies_without_notice": False}},
        "sources": [
            {"title": "Hearing 40,676", "url": "https://example.org/40676", "publisher": "Comptroller"}
        ],
        "uncertain": True,
        "note": "Taxed as lodging only when notice comes within 30 days.",
    }
    terms["tax_override"] = {
        **terms["tax_override"],
        "taxes": [{**terms["tax_override"]["taxes"][0], **hidden}],
    }
    update_contract(
        session, ADMIN, number, stored.record.revision, {"status": stored.record.status, "contract": terms}
    )
    session.commit()

    edit = form_fields(staffed.client.get(f"/contracts/{number}/edit").text)
    response = post_form(
        staffed.client,
        f"/contracts/{number}/edit",
        {**edit, "tax_override.taxes.0.rate_pct": "6.25", "action": "save"},
    )

    assert response.status_code == 303, response.text[-2000:]
    session.expire_all()
    rule = load_contract(session, ADMIN, number).version.terms["tax_override"]["taxes"][0]
    assert rule["rate_pct"] == "6.25"
    assert rule["conditions"]["notice_window"]["within_days"] == 30
    assert rule["sources"][0]["title"] == "Hearing 40,676"
    assert rule["uncertain"] is True
    assert rule["note"].startswith("Taxed as lodging")


def test_an_error_in_a_repeated_row_names_that_row(staffed: Staffed) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.update(
        {
            "cancellation.tiers.0.min_days": "0",
            "cancellation.tiers.0.max_days": "30",
            "cancellation.tiers.0.pct": "100",
            "cancellation.tiers.1.min_days": "40",
            "cancellation.tiers.1.pct": "50",
        }
    )

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})
    assert response.status_code == 422
    assert re.search(r"gap before tier 2", response.text)
    assert 'href="#f-cancellation-tiers-1"' in response.text

    fields.update(
        {
            "cancellation.tiers.1.min_days": "31",
            "tax_override.taxes.0.name": "VAT",
            "tax_override.taxes.0.rate_pct": "120",
            "tax_override.taxes.0.kinds": "cancellation",
        }
    )
    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in input_tag(response.text, "f-tax_override-taxes-0-rate_pct")
    assert 'href="#f-tax_override-taxes-0-rate_pct">Taxes, row 1: Rate %</a>' in response.text


def test_every_sample_contract_saved_unchanged_from_its_editor_adds_no_version(
    samples: TestClient, session: Session
) -> None:
    for record in _contracts(session):
        html = samples.get(f"/contracts/{record.id}/edit").text

        response = post_form(samples, f"/contracts/{record.id}/edit", {**form_fields(html), "action": "save"})

        assert response.status_code == 303, (record.reference, response.text[-2000:])
        assert response.headers["location"].endswith("?terms_saved=1&unchanged=1"), record.reference
        session.expire_all()
        saved = repo.get(session, ContractRecord, record.id)
        assert saved is not None
        assert saved.current_version == 1, record.reference


def _contracts(session: Session) -> list[ContractRecord]:
    items, _ = repo.list_contracts(session, None, repo.ContractFilter(), repo.Page(limit=100, offset=0))
    return list(items)


def test_a_changed_term_adds_a_version_and_a_stale_revision_gets_the_conflict_message(
    samples: TestClient, session: Session
) -> None:
    record = _contracts(session)[0]
    fields = form_fields(samples.get(f"/contracts/{record.id}/edit").text)
    fields["attrition.performance_pct"] = "70"

    saved = post_form(samples, f"/contracts/{record.id}/edit", {**fields, "action": "save"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/contracts/{record.id}?terms_saved=2"
    page = samples.get(saved.headers["location"]).text
    assert re.search(r'role="status">\s*Saved version 2 of the terms\.', page)
    versions = page[page.index('id="versions-heading"') :]
    assert "Performance (% of the block to use)" in versions  # the term in words
    assert "editor@example.com" in versions  # who saved it, not user:1
    assert "attrition.performance_pct" not in versions
    assert "user:" not in versions
    session.expire_all()
    assert load_contract(session, ADMIN, record.id or 0).version.terms["attrition"]["performance_pct"] == "70"

    fields["attrition.performance_pct"] = "60"  # the same, now stale, revision
    stale = post_form(samples, f"/contracts/{record.id}/edit", {**fields, "action": "save"})

    assert stale.status_code == 409
    assert "Someone changed this contract" in stale.text
    assert 'value="60"' in input_tag(stale.text, "f-attrition-performance_pct")
    assert repo.count_rows(session, ContractVersionRecord) == len(_contracts(session)) + 1


def test_a_form_post_without_the_csrf_token_is_refused(staffed: Staffed, session: Session) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.pop("csrf_token")
    before = repo.count_rows(session, ContractRecord)

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 403
    assert repo.count_rows(session, ContractRecord) == before


def test_a_user_of_another_property_cannot_open_the_editor(samples: TestClient, session: Session) -> None:
    hotel = create_property(session, ADMIN, PropertyCreate(name="Elsewhere", currency="EUR"))
    assert hotel.id is not None
    sign_in(samples, session, "other@example.com", property_ids=frozenset({hotel.id}))
    record = _contracts(session)[0]

    assert samples.get(f"/contracts/{record.id}/edit").status_code == 404
    assert samples.get("/contracts/new").status_code == 200


def test_the_editor_asks_for_a_sign_in(client: TestClient) -> None:
    response = client.get("/contracts/new", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/contracts/new")


def test_a_cancellation_tier_saves_a_pct_per_component_and_shows_it_again(
    staffed: Staffed, session: Session
) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.update(
        {
            "fnb.minimum": "5000.00",
            "cancellation.tiers.0.min_days": "120",
            "cancellation.tiers.0.pct": "80",
            "cancellation.tiers.0.component_pct.fnb_minimum": "100",
            "cancellation.tiers.1.min_days": "0",
            "cancellation.tiers.1.max_days": "119",
            "cancellation.tiers.1.pct": "100",
            "cancellation.base.0.kind": "room_revenue",
            "cancellation.base.1.kind": "fnb_minimum",
        }
    )

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 303, response.text[-2000:]
    contract_id = saved_contract(response)
    tiers = load_contract(session, ADMIN, contract_id).version.terms["cancellation"]["tiers"]
    assert tiers == [
        {"min_days": 120, "pct": "80", "component_pct": {"fnb_minimum": "100"}},
        {"min_days": 0, "max_days": 119, "pct": "100"},
    ]
    shown = form_fields(staffed.client.get(f"/contracts/{contract_id}/edit").text)
    assert shown["cancellation.tiers.0.component_pct.fnb_minimum"] == "100"
    assert shown["cancellation.tiers.0.component_pct.room_revenue"] == ""


def test_a_tier_pct_for_a_component_not_in_the_base_is_refused_beside_its_input(staffed: Staffed) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.update(
        {
            "cancellation.tiers.0.min_days": "0",
            "cancellation.tiers.0.pct": "100",
            "cancellation.tiers.0.component_pct.meeting_room_rental": "50",
        }
    )

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 422
    assert "is not a component of the cancellation base" in response.text
    tag = input_tag(response.text, "f-cancellation-tiers-0-component_pct-meeting_room_rental")
    assert 'aria-invalid="true"' in tag
    assert 'value="50"' in tag


def test_the_contract_page_reads_a_tiers_percentage_per_component(
    samples: TestClient, session: Session
) -> None:
    (record,) = [r for r in _contracts(session) if r.reference == "midwest-hardware-expo-2027"]

    html = samples.get(f"/contracts/{record.id}").text

    assert "120–∞ days: Room revenue of the block 80%, F&amp;B minimum 100%, Meeting-room rental 50%" in html
