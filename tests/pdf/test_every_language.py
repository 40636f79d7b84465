"""Every sample contract's invoice (and, where the sample has pickup, its exposure report) in every
language: no sentence of the English catalog is left in English (issue 15, point 2).

Each sample's documents are built once per language (a module-scoped fixture) and their HTML read as
text; that is where every word of the PDF comes from (the running header and footer too, through
``string-set``). Each sample is also printed to PDF in one foreign language, in turn, and read back
with pdftotext, so that every language and every sample goes through WeasyPrint at least once and the
same check runs on what the PDF says. Printing every pair took about 80 % of this file's time and
proved the same words twice.

The English sentences are the catalog's msgids (English is the source language): each literal run
between placeholders of two words or more must not appear in a French, Portuguese, Romanian, Catalan or
Russian document, unless the target catalog keeps it as it is (a name such as "SMERF", a formula's
symbols). Single words are left out: many are the same in several languages ("Minimum", "bars") or are
units and names that no sentence check can judge.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from app.engine import Actuals, assess
from app.engine.contract import PickupSource
from app.engine.forecast import PickupSnapshot, forecast_exposure
from app.engine.projection import History
from app.forecasting import load_priors
from app.pdf import LANGUAGES, build_invoice_document, render_invoice_html, render_pdf
from app.pdf.i18n import catalog_path, translations
from app.pdf.report import build_report_document, render_report_html
from tests.pdf.rendering import CONTRACTS, ISSUE_DATE, flat, pdf_text, sample

FOREIGN = tuple(language for language in LANGUAGES if language != "en")
#: The languages samples are printed to PDF in, one per sample in turn (pt_BR for its own samples).
PRINTED_IN = tuple(language for language in FOREIGN if language != "pt_BR")
SAMPLES = sorted(path.name for path in CONTRACTS.glob("*.*") if path.name != "schema.json")
#: Brazil's Portuguese is rendered for these samples only: every sample in one more language would add
#: about 20 s to this file (about 1.2 s a sample), and the pt_BR catalog is the pt catalog entry for entry
#: (test_catalogs checks it is complete and free of Portugal's usage). They cover last room sold with a
#: report, F&B and the rental scale (aluguel), cancellation in euros with VAT, comps and rebates, and the
#: tiered stricter-of test.
PT_BR_SAMPLES = (
    "convention-last-room-sold.yaml",
    "medical-congress-fnb-rental.yaml",
    "paris-seminar-cancellation-vat.json",
    "quilt-show-comps-rebate.json",
    "engineering-offsite-tiered-stricter-of.yaml",
)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
#: Runs that are English in no sentence a reader sees: a formula's function name and its arguments.
NOT_SENTENCES = frozenset({"max(0"})


def _fragments(template: str) -> Iterator[str]:
    for part in PLACEHOLDER.split(template):
        fragment = flat(part).strip(" .,:;()[]–-→×=+%/")
        if (
            len(fragment.split()) >= 2
            and re.search(r"[A-Za-z]{2}", fragment)
            and fragment not in NOT_SENTENCES
        ):
            yield fragment


def _english_sentences() -> dict[str, tuple[str, ...]]:
    """Each msgid of the English catalog (its singular and plural) with its English runs."""
    with catalog_path("en").open("rb") as po:
        catalog = read_po(po, locale="en")
    sentences: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            if msgid:
                sentences[msgid] = tuple(_fragments(msgid))
    return sentences


def html_text(html: str, *, figures: bool = True) -> str:
    """The words a reader of the HTML sees: the text of every element but the style sheet, flattened.
    ``figures=False`` leaves out the charts' SVG, whose words WeasyPrint draws as shapes, not text."""
    root = lxml.html.fromstring(html)
    for hidden in root.xpath(
        "//style | //script | //title" + ("" if figures else " | //*[local-name()='svg']")
    ):
        hidden.drop_tree()
    return flat(" ".join(root.itertext()))


def printed_language(index: int, name: str) -> str:
    """The one foreign language a sample is printed to PDF in."""
    if name == PT_BR_SAMPLES[0]:
        return "pt_BR"
    return PRINTED_IN[index % len(PRINTED_IN)]


Texts = dict[tuple[str, str], str]


def _unaccented(text: str) -> str:
    """Without combining marks: poppler writes a space after a stress mark (Russian "бо́ льшая")."""
    text = unicodedata.normalize("NFD", re.sub(r"(?<=[\u0400-\u04ff]\u0301)\s+", "", text))
    return "".join(c for c in text if not unicodedata.combining(c))


def _breaks(word: str) -> Iterator[tuple[str, str]]:
    """The two pieces ``word`` can be printed as when a line ends after one of its hyphens or dashes."""
    for cut in range(1, len(word) - 1):
        if word[cut - 1] in "-–":
            yield word[:cut], word[cut:]


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> tuple[Texts, Texts]:
    """The text of every sample's invoice, and report where it has pickup, in every foreign language
    (from the HTML), and of the same documents printed to PDF in each sample's printed language."""
    folder = tmp_path_factory.mktemp("every-language")
    priors = load_priors()
    started = time.perf_counter()
    texts: Texts = {}
    printed: Texts = {}
    for index, name in enumerate(SAMPLES):
        document = sample(name)
        contract = document.contract
        actuals = document.actuals or Actuals()
        assert document.as_of is not None
        assessment = assess(contract, actuals, document.as_of)
        # The report 30 days before arrival, with 60 % of the sample's pickup on the books.
        report = None
        booked: dict[str, int] = {}
        for entry in actuals.pickup:
            if entry.source is PickupSource.IN_BLOCK and entry.night in contract.nights:
                booked[entry.night.isoformat()] = booked.get(entry.night.isoformat(), 0) + entry.room_nights
        if booked:
            as_of = contract.arrival_date - timedelta(days=30)
            data = actuals.model_dump(mode="json")  # its inventory, spend and notices, with less pickup
            data["pickup"] = [
                {"night": night, "room_type": contract.room_types[0], "room_nights": n * 6 // 10}
                for night, n in booked.items()
            ]
            early = Actuals.model_validate(data, strict=False)
            snapshot = PickupSnapshot.model_validate(
                {
                    "days_before_arrival": 30,
                    "nights": [{"night": night, "room_nights": n * 6 // 10} for night, n in booked.items()],
                },
                strict=False,
            )
            report = (
                assess(contract, early, as_of),
                forecast_exposure(contract, snapshot, History([], priors)),
            )
        languages = [language for language in FOREIGN if language != "pt_BR" or name in PT_BR_SAMPLES]
        print_in = {printed_language(index, name), *(["en"] if name == SAMPLES[0] else [])}
        for language in (*languages, "en") if name == SAMPLES[0] else languages:
            invoice = build_invoice_document(
                assessment=assessment,
                contract=contract,
                invoice_number="INV-1",
                issue_date=ISSUE_DATE,
                language=language,
            )
            html = render_invoice_html(invoice)
            texts[(name, language)] = html_text(html)
            if language in print_in:
                path = folder / f"{Path(name).stem}-{language}.pdf"
                path.write_bytes(render_pdf(html))
                printed[(name, language)] = pdf_text(path)
            if report is not None:
                early_assessment, exposure = report
                built = build_report_document(
                    contract=contract, assessment=early_assessment, exposure=exposure, language=language
                )
                html = render_report_html(built)
                texts[(name + " report", language)] = html_text(html)
                if language in print_in:
                    path = folder / f"{Path(name).stem}-{language}-report.pdf"
                    path.write_bytes(render_pdf(html))
                    printed[(name + " report", language)] = pdf_text(path)
    # Measured, not asserted (docs/architecture.md, Tests): shown with -s, reported with the suite's timings.
    print(
        f"\nbuilt {len(texts)} documents and printed {len(printed)} in {time.perf_counter() - started:.1f} s"
    )
    return texts, printed


@pytest.fixture(scope="module")
def rendered(documents: tuple[Texts, Texts]) -> Texts:
    return documents[0]


@pytest.fixture(scope="module")
def printed(documents: tuple[Texts, Texts]) -> Texts:
    return documents[1]


def test_every_sample_is_rendered_as_an_invoice_in_every_language_and_as_a_report_where_it_has_pickup(
    rendered: dict[tuple[str, str], str],
) -> None:
    assert set(PT_BR_SAMPLES) <= set(SAMPLES)
    for foreign in FOREIGN:
        invoices = {
            name for name, language in rendered if language == foreign and not name.endswith(" report")
        }
        assert invoices == (set(PT_BR_SAMPLES) if foreign == "pt_BR" else set(SAMPLES)), foreign
        reports = sum(name.endswith(" report") for name, language in rendered if language == foreign)
        assert reports >= (2 if foreign == "pt_BR" else 10), foreign


def test_every_sample_and_every_language_is_also_printed_and_the_pdf_says_what_the_html_says(
    documents: tuple[Texts, Texts],
) -> None:
    rendered, printed = documents
    assert {name for name, _ in printed if not name.endswith(" report")} == set(SAMPLES)
    assert {language for _, language in printed} == {*FOREIGN, "en"}
    assert sum(name.endswith(" report") for name, _ in printed) >= 10
    for key, pdf in printed.items():
        # pdftotext lays a table's cells out by position, so compare the words, not their order or count
        # (the running header's words are in the HTML once and on each page but the first). The PDF adds
        # list bullets and page numbers, nothing else; a long word may be broken after a hyphen or dash.
        html_words, pdf_words = (set(_unaccented(text).split()) for text in (rendered[key], pdf))
        pieces = {piece for word in html_words for parts in _breaks(word) for piece in parts}
        missing = {
            word
            for word in html_words - pdf_words
            if not any(head in pdf_words and tail in pdf_words for head, tail in _breaks(word))
        }
        assert not missing, (key, missing)
        added = {word for word in pdf_words - html_words - pieces if word != "•" and not word.isdigit()}
        assert not added, (key, added)


@pytest.mark.parametrize("language", FOREIGN)
def test_no_english_catalog_sentence_is_left_in_a_translated_document(
    rendered: Texts, printed: Texts, language: str
) -> None:
    gettext = translations(language).gettext
    sentences = _english_sentences()
    left: list[str] = []
    for msgid, fragments in sentences.items():
        translated = flat(gettext(msgid))
        for fragment in fragments:
            if fragment in translated:  # the same in the target language (a name, a formula)
                continue
            for medium, texts in (("HTML", rendered), ("PDF", printed)):
                for (name, lang), text in texts.items():  # the English control is never this language
                    if lang == language and fragment in text:
                        left.append(f"{name} ({medium}): {fragment!r} (from {msgid!r})")
    assert not left, "\n".join(left)


@pytest.mark.parametrize("medium", ["HTML", "PDF"])
def test_the_check_finds_the_english_sentences_of_an_english_invoice(
    rendered: Texts, printed: Texts, medium: str
) -> None:
    """The check can fail: the same sample's English invoice shows dozens of the English runs."""
    texts = rendered if medium == "HTML" else printed
    english = texts[(SAMPLES[0], "en")]
    found = {
        fragment
        for fragments in _english_sentences().values()
        for fragment in fragments
        if fragment in english
    }
    assert {
        "Payment is due within",
        "days of the invoice date, by",
        "Contract terms that decided the amount",
    } <= found
    assert len(found) > 40
    assert not any(fragment in rendered[(SAMPLES[0], "fr")] for fragment in found)


@pytest.mark.parametrize(
    ("name", "currency", "portugal", "brazil"),
    [
        ("medical-congress-fnb-rental.yaml", "USD", "aluguer", "aluguel"),
        ("paris-seminar-cancellation-vat.json", "EUR", "indemnização", "indenização"),
    ],
)
def test_brazils_portuguese_differs_from_portugals_in_money_and_words(
    rendered: dict[tuple[str, str], str], name: str, currency: str, portugal: str, brazil: str
) -> None:
    """The same invoice in pt and pt_BR: Portugal writes 13 927,60 US$ and aluguer, Brazil US$ 13.927,60
    (R$ for reais) and aluguel."""
    document = sample(name)
    assert document.as_of is not None
    assert document.contract.currency == currency
    total = assess(document.contract, document.actuals or Actuals(), document.as_of).total
    assert total.amount > 0
    in_portugal = flat(format_currency(total.amount, currency, locale="pt_PT"))
    in_brazil = flat(format_currency(total.amount, currency, locale="pt_BR"))
    assert in_portugal.endswith(f" {'US$' if currency == 'USD' else '€'}")
    assert in_brazil.startswith(f"{'US$' if currency == 'USD' else '€'} ")

    pt, pt_br = rendered[(name, "pt")], rendered[(name, "pt_BR")]
    assert in_portugal in pt
    assert in_portugal not in pt_br
    assert in_brazil in pt_br
    assert in_brazil not in pt
    assert portugal in pt.lower()
    assert portugal not in pt_br.lower()
    assert brazil in pt_br.lower()
    assert brazil not in pt.lower()
    assert "Fatura de indemnizações" in pt
    assert "Fatura de indenizações" in pt_br
