"""Users read words, not identifiers: the dashboard and every sample's contract page and planner's page,
over HTTP on SQLite and PostgreSQL, show no snake_case value of the engine's enums in their visible
text, and one money and one date format (the locale's: no ISO date, no ``57,312.00 USD`` beside
``$57,312.00``).

Visible text is what a browser would draw: tags, attribute values, scripts, styles and ``<code>`` are left
out, and so are URLs.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlmodel import Session, select

import app.engine
from app.contract_files import load_document
from app.persistence.records import StaffUserRecord
from app.services import sharing
from app.services.auth import Principal
from app.services.contracts import load_contract, update_contract
from app.services.imports import IMPORTER, import_document
from app.web.contract_page import term_label
from app.web.views import Formats
from tests.api.conftest import sample_files
from tests.web.test_staff_pages import sign_in_as

URL = re.compile(r"\S*(?:://|/)\S*")


def engine_enum_values() -> frozenset[str]:
    """Every value of every enum the engine defines."""
    values: set[str] = set()
    for module in pkgutil.iter_modules(app.engine.__path__):
        loaded = importlib.import_module(f"app.engine.{module.name}")
        for thing in vars(loaded).values():
            if (
                isinstance(thing, type)
                and issubclass(thing, enum.Enum)
                and thing.__module__ == loaded.__name__
            ):
                values.update(str(member.value) for member in thing)
    return frozenset(values)


# An identifier shows through when a page prints the value itself (``per_night``) or the abbreviation the
# values use (``fnb attrition``). One-word values (``block``, ``tax``, ``staff``) are ordinary words and
# cannot be told apart, so only the snake_case values are looked for.
IDENTIFIERS = sorted(value for value in engine_enum_values() if "_" in value)
SHOWN = re.compile(r"\b(?:" + "|".join(re.escape(value) for value in IDENTIFIERS) + r"|fnb)\b", re.IGNORECASE)


class _VisibleText(HTMLParser):
    HIDDEN = frozenset({"script", "style", "code", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return URL.sub(" ", " ".join(" ".join(parser.parts).split()))


def identifiers_in(html: str) -> list[str]:
    text = visible_text(html)
    return sorted({match.group(0) for match in SHOWN.finditer(text)})


def test_the_check_finds_identifiers_and_passes_words() -> None:
    assert identifiers_in("<p>Kind: per_night</p>") == ["per_night"]
    assert identifiers_in("<p>Not charged: fnb attrition, room_attrition.</p>") == ["fnb", "room_attrition"]
    assert identifiers_in("<p>Forecast method: booking_curve</p>") == ["booking_curve"]
    assert (
        identifiers_in('<p title="per_night"><code>per_night</code> <a href="/a_b">Per night</a></p>') == []
    )
    assert identifiers_in("<p>Food and beverage attrition, night by night, in ocean_king rooms</p>") == []


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# ``57,312.00 USD`` beside ``$57,312.00``
CODE_AMOUNT = re.compile(r"\b\d[\d,]*\.\d+ (?:USD|EUR|GBP|CAD|CHF|JPY)\b")


def other_formats_in(html: str) -> list[str]:
    """ISO dates and code-suffixed amounts: the engine's locale-free forms, which a page should not mix
    with its own."""
    text = visible_text(html)
    return sorted(
        {m.group(0) for m in ISO_DATE.finditer(text)} | {m.group(0) for m in CODE_AMOUNT.finditer(text)}
    )


def test_explanations_take_the_page_formats() -> None:
    english, french = Formats.of("en_US"), Formats.of("fr_FR")
    said = "Damages = 5 × 182.3333 USD × 80 % = 1,512.00 USD on 2027-06-23."
    assert english.explained(said) == "Damages = 5 × $182.3333 × 80 % = $1,512.00 on Jun 23, 2027."
    assert other_formats_in(f"<p>{said}</p>") == ["1,512.00 USD", "182.3333 USD", "2027-06-23"]
    assert other_formats_in(f"<p>{english.explained(said)}</p>") == []
    assert "1\u202f512,00\xa0$US" in french.explained(said)
    assert english.explained("20 % VAT in 2027") == "20 % VAT in 2027"
    assert english.problem("actuals.inventory: resale needs the unsold rooms on 2027-01-10") == (
        "resale needs the unsold rooms on Jan 10, 2027"
    )


def _load_samples(session: Session) -> list[tuple[str, int]]:
    loaded = [
        (path.stem, import_document(session, load_document(path)).contract_id) for path in sample_files()
    ]
    session.commit()
    return loaded


def test_no_contract_page_and_no_dashboard_shows_an_identifier(client: TestClient, session: Session) -> None:
    contracts = _load_samples(session)
    sign_in_as(client, session, None)
    pages = {"dashboard": "/"} | {sample: f"/contracts/{number}" for sample, number in contracts}
    for sample, number in contracts:  # the planner's page of each sample too
        _, token = sharing.create_share_link(
            session, IMPORTER, number, {"label": "words", "expires_in_days": 7}
        )
        pages[f"{sample} (planner)"] = f"{sharing.SHARE_PATH}{token}"
    session.commit()
    shown: dict[str, list[str]] = {}
    mixed: dict[str, list[str]] = {}
    for name, path in pages.items():
        answer = client.get(path)
        assert answer.status_code == 200, (name, answer.status_code)
        if found := identifiers_in(answer.text):
            shown[name] = found
        if found := other_formats_in(answer.text):
            mixed[name] = found
    assert shown == {}
    assert mixed == {}


def test_changed_terms_are_named_as_the_editor_names_them() -> None:
    assert term_label("attrition.performance_pct") == "Performance (% of the block to use)"
    assert term_label("block[1].rooms") == "Room block, row 2: Rooms"
    assert term_label("fnb.unknown_term") == "Food and beverage › Unknown term"
    assert identifiers_in(f"<p>{term_label('attrition.evaluation_mode')}</p>") == []


def test_the_version_history_names_the_person_and_the_term(client: TestClient, session: Session) -> None:
    contract_id = import_document(session, load_document(sample_files()[0])).contract_id
    sign_in_as(client, session, None)
    user = session.exec(select(StaffUserRecord).where(StaffUserRecord.email == "staff0@harbor.example")).one()
    stored = load_contract(session, Principal("import", None, can_write=True, is_admin=True), contract_id)
    terms = stored.version.terms
    changed = {**terms, "attrition": {**terms["attrition"], "evaluation_mode": "per_night_with_credit"}}
    editor = Principal(f"user:{user.id}", None, can_write=True, is_admin=True)
    update_contract(session, editor, contract_id, stored.record.revision, {"contract": changed})
    session.commit()

    html = client.get(f"/contracts/{contract_id}").text

    assert 'Version 2 <span class="muted">' in html
    assert "· staff0@harbor.example</span>" in html
    assert "user:" not in visible_text(html)
    assert "night by night, with credit" in visible_text(html)
    assert identifiers_in(html) == []
