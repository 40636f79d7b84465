"""The invoice catalogs: current with the code and templates, complete, and placeholders kept."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from app.pdf import LANGUAGES, UnsupportedLanguageError, invoice_language
from app.pdf.i18n import LOCALE_DIR, catalog_path, number_locale, translations

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _ids(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_id if isinstance(message_id, tuple) else (message_id,)


def test_template_catalog_matches_the_strings_in_code_and_templates(tmp_path: Path) -> None:
    extracted = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(REPO / "babel.cfg"),
            "--no-location",
            "-o",
            str(extracted),
            str(REPO),
        ]
    )

    with extracted.open("rb") as fresh, (LOCALE_DIR / "messages.pot").open("rb") as committed:
        fresh_ids = {_ids(m.id) for m in read_po(fresh) if m.id}
        committed_ids = {_ids(m.id) for m in read_po(committed) if m.id}
    assert fresh_ids == committed_ids, "run pybabel extract and update (see babel.cfg)"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_invoice_string_is_translated_with_its_placeholders(lang: str) -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as template:
        wanted = {_ids(m.id) for m in read_po(template) if m.id}
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)

    translated = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{lang}: {message.id!r} is fuzzy"
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(_ids(message.id)[-1])), string
        translated[_ids(message.id)] = strings
    assert set(translated) == wanted


def test_plural_forms_follow_the_language() -> None:
    ru = translations("ru")
    forms = [
        ru.ngettext(
            "{arrival} to {departure} ({nights} night)", "{arrival} to {departure} ({nights} nights)", n
        )
        for n in (1, 3, 5)
    ]

    assert [form.rsplit("(", 1)[1] for form in forms] == [
        "{nights} ночь)",
        "{nights} ночи)",
        "{nights} ночей)",
    ]


def test_language_comes_from_the_request_else_the_account_else_english() -> None:
    assert invoice_language("ro", "fr_CA") == "ro"
    assert invoice_language(None, "fr_CA") == "fr"
    assert invoice_language(None, "de") == "en"
    assert invoice_language(None, None) == "en"
    with pytest.raises(UnsupportedLanguageError):
        invoice_language("de", "fr")


def test_numbers_follow_the_accounts_own_locale_in_its_language() -> None:
    assert str(number_locale("fr", "fr_CA")) == "fr_CA"
    assert str(number_locale("pt", "fr_CA")) == "pt_PT"  # Portugal's conventions by default
    assert str(number_locale("pt", "pt_BR")) == "pt_BR"  # an account in Brazil keeps its own
    assert str(number_locale("en", "xx_ZZ")) == "en"
    assert date(2027, 1, 1)  # dates are formatted with the same locale (see test_invoice_pdf)


def test_portuguese_money_follows_portugal_by_default() -> None:
    from decimal import Decimal

    from app.engine.explain import say
    from app.engine.money import Money
    from app.wording import render

    fee = say("step.credit", amount=Money(Decimal("13927.60"), "EUR"))
    assert render(fee, "pt") == "Crédito = 13\u00a0927,60\u00a0€."
    assert render(fee, "pt", "pt_BR") == "Crédito = €\u00a013.927,60."
