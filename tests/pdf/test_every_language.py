"""Every sample contract's invoice (and, where the sample has pickup, its exposure report) in every
language: no sentence of the English catalog is left in English (issue 15, point 2).

Each sample is rendered once per language (a module-scoped fixture) and read back with pdftotext. The
English sentences are the catalog's msgids (English is the source language): each literal run between
placeholders of two words or more must not appear in a French, Portuguese, Romanian, Catalan or
Russian document, unless the target catalog keeps it as it is (a name such as "SMERF", a formula's
symbols). Single words are left out: many are the same in several languages ("Minimum", "bars") or are
units and names that no sentence check can judge.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

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


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """The text of every sample's invoice, and report where it has pickup, in every foreign language."""
    folder = tmp_path_factory.mktemp("every-language")
    priors = load_priors()
    started = time.perf_counter()
    texts: dict[tuple[str, str], str] = {}
    for name in SAMPLES:
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
        for language in (*languages, "en") if name == SAMPLES[0] else languages:
            invoice = build_invoice_document(
                assessment=assessment,
                contract=contract,
                invoice_number="INV-1",
                issue_date=ISSUE_DATE,
                language=language,
            )
            path = folder / f"{Path(name).stem}-{language}.pdf"
            path.write_bytes(render_pdf(render_invoice_html(invoice)))
            texts[(name, language)] = pdf_text(path)
            if report is not None:
                early_assessment, exposure = report
                built = build_report_document(
                    contract=contract, assessment=early_assessment, exposure=exposure, language=language
                )
                path = folder / f"{Path(name).stem}-{language}-report.pdf"
                path.write_bytes(render_pdf(render_report_html(built)))
                texts[(name + " report", language)] = pdf_text(path)
    # Measured, not asserted (docs/architecture.md, Tests): shown with -s, reported with the suite's timings.
    print(f"\nrendered {len(texts)} documents in {time.perf_counter() - started:.1f} s")
    return texts


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


@pytest.mark.parametrize("language", FOREIGN)
def test_no_english_catalog_sentence_is_left_in_a_translated_document(
    rendered: dict[tuple[str, str], str], language: str
) -> None:
    gettext = translations(language).gettext
    sentences = _english_sentences()
    left: list[str] = []
    for msgid, fragments in sentences.items():
        translated = flat(gettext(msgid))
        for fragment in fragments:
            if fragment in translated:  # the same in the target language (a name, a formula)
                continue
            for (name, lang), text in rendered.items():  # the English control is never this language
                if lang == language and fragment in text:
                    left.append(f"{name}: {fragment!r} (from {msgid!r})")
    assert not left, "\n".join(left)


def test_the_check_finds_the_english_sentences_of_an_english_invoice(
    rendered: dict[tuple[str, str], str],
) -> None:
    """The check can fail: the same sample's English invoice shows dozens of the English runs."""
    english = rendered[(SAMPLES[0], "en")]
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
