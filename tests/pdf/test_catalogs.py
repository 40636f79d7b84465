"""The invoice catalogs: current with the code and templates, complete, and placeholders kept."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
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
    assert invoice_language("pt", "pt_BR") == "pt"  # the request wins
    assert invoice_language(None, "de") == "en"
    assert invoice_language(None, None) == "en"
    with pytest.raises(UnsupportedLanguageError):
        invoice_language("de", "fr")
    with pytest.raises(UnsupportedLanguageError):
        invoice_language("pt-BR", None)  # a requested language is a catalog's name


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("pt_BR", "pt_BR"),
        ("pt-BR", "pt_BR"),
        ("pt-br", "pt_BR"),
        ("pt", "pt"),
        ("pt_PT", "pt"),
        ("pt_AO", "pt"),
    ],
)
def test_an_account_in_brazil_gets_brazils_portuguese_and_any_other_portugals(
    locale: str, language: str
) -> None:
    assert invoice_language(None, locale) == language


def test_numbers_follow_the_accounts_own_locale_in_its_language() -> None:
    assert str(number_locale("fr", "fr_CA")) == "fr_CA"
    assert str(number_locale("pt", "fr_CA")) == "pt_PT"  # Portugal's conventions by default
    assert str(number_locale("pt", "pt_AO")) == "pt_AO"  # an account in Angola keeps its own
    # Brazil has its own catalog: Portugal's Portuguese asked of a Brazilian account follows Portugal.
    assert str(number_locale("pt", "pt_BR")) == "pt_PT"
    assert str(number_locale("pt", "pt")) == "pt_PT"  # no territory: Portugal's, not Babel's Brazil
    assert str(number_locale("pt_BR", None)) == "pt_BR"
    assert str(number_locale("pt_BR", "pt_PT")) == "pt_BR"
    assert str(number_locale("en", "xx_ZZ")) == "en"
    assert date(2027, 1, 1)  # dates are formatted with the same locale (see test_invoice_pdf)


def test_portuguese_money_follows_portugal_by_default() -> None:
    from decimal import Decimal

    from app.engine.explain import say
    from app.engine.money import Money
    from app.wording import render

    fee = say("step.credit", amount=Money(Decimal("13927.60"), "EUR"))
    assert render(fee, "pt") == "Crédito = 13\u00a0927,60\u00a0€."
    assert render(fee, "pt_BR") == "Crédito = €\u00a013.927,60."
    assert render(say("step.credit", amount=Money(Decimal("13927.60"), "USD")), "pt_BR") == (
        "Crédito = US$\u00a013.927,60."
    )
    assert render(say("step.credit", amount=Money(Decimal("13927.60"), "BRL")), "pt_BR") == (
        "Crédito = R$\u00a013.927,60."
    )


#: Portugal's words and spellings that Brazil writes otherwise (the Brazilian form after the arrow).
EUROPEAN = {
    "indemniza": "indeniza",
    "aluguer": "aluguel",
    "défice": "déficit",
    "registo": "registro",
    "registad": "registrad",
    "contacto": "contato",
    "receção": "recebimento",
    "percentagem": "porcentagem",
    "gratuitidade": "cortesia",
    "escalão": "faixa",
    "por defeito": "para baixo",
    "por excesso": "para cima",
    "dias de calendário": "dias corridos",
    "libertação": "liberação",
    "introduzido": "lançado",
    "pelo que": "portanto",
    "tem de": "deve",
    "até à ": "até a ",
    "até ao ": "até o ",
    "ref.ª": "ref.",
    "pessoal": "equipe",
    "realojado": "realocado",
    "estadia": "hospedagem",
    "partida": "saída",
    " num ": " em um ",
    " numa ": " em uma ",
}


def test_brazilian_portuguese_leaves_none_of_portugals_usage() -> None:
    """Every pt_BR entry is written as Brazil writes it: none of Portugal's forms is left, where the pt
    catalog (Portugal's) does use them."""
    with catalog_path("pt").open("rb") as po:
        portugal = " ".join(_strings(read_po(po, locale="pt"))).lower()
    with catalog_path("pt_BR").open("rb") as po:
        brazil = read_po(po, locale="pt_BR")
    text = " ".join(_strings(brazil)).lower()

    assert str(brazil.locale) == "pt_BR"
    assert brazil.plural_expr == "(n > 1)"  # Brazil: 0 and 1 are singular
    for european, brazilian in EUROPEAN.items():
        assert european in portugal, f"the check can fail: {european!r} is Portugal's usage in pt"
        assert european not in text, f"pt_BR keeps Portugal's {european!r} (Brazil: {brazilian!r})"
    for brazilian in ("indenização", "aluguel", "déficit", "equipe", "dias corridos", "no-show"):
        assert brazilian in text


def _strings(catalog: Catalog) -> list[str]:
    return [
        string
        for message in catalog
        if message.id
        for string in (message.string if isinstance(message.string, tuple) else (message.string,))
    ]
