"""Users read words, not identifiers: the dashboard and every sample's contract page, over HTTP on SQLite
and PostgreSQL, show no value of the engine's enums and no snake_case token in their visible text.

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
from sqlmodel import Session

import app.engine
from app.contract_files import load_document
from app.services.imports import import_document
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
    shown: dict[str, list[str]] = {}
    for name, path in pages.items():
        answer = client.get(path)
        assert answer.status_code == 200, (name, answer.status_code)
        if found := identifiers_in(answer.text):
            shown[name] = found
    assert shown == {}
