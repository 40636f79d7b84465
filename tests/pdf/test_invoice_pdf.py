"""Damages invoices as PDFs, checked through the text poppler extracts from them
(docs/architecture.md, "Documents")."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.numbers import format_currency

from app.documents import ContractDocument
from app.engine import Actuals, LineKind, assess
from app.pdf import LANGUAGES, build_invoice_document
from app.pdf.i18n import number_locale, translations
from tests.engine.builders import actuals, cells, contract, departure, pickup
from tests.pdf.rendering import (
    ARTIFACTS,
    CONTRACTS,
    ISSUE_DATE,
    RenderedInvoice,
    flat,
    page_count,
    render_invoice,
    sample,
)

PER_NIGHT_SAMPLE = "corporate-sales-meeting-per-night.yaml"


@pytest.fixture(scope="module")
def per_night_invoices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RenderedInvoice]:
    folder = tmp_path_factory.mktemp("invoices")
    document = sample(PER_NIGHT_SAMPLE)
    return {lang: render_invoice(document, folder / f"invoice-{lang}.pdf", lang) for lang in LANGUAGES}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_invoice_in_each_language_shows_localized_total_and_every_per_night_amount(
    per_night_invoices: dict[str, RenderedInvoice], lang: str
) -> None:
    invoice = per_night_invoices[lang]
    text = invoice.text()
    _ = translations(lang).gettext
    locale = str(number_locale(lang, None))  # pt: Portugal's conventions (13 927,60 €)

    nights = [line for line in invoice.assessment.lines if line.night is not None]
    assert len(nights) == 3
    for line in nights:
        assert line.night is not None
        assert flat(format_currency(line.amount.amount, "USD", locale=locale)) in text
        assert flat(format_date(line.night, "medium", locale=locale)) in text
    total = flat(format_currency(invoice.assessment.total.amount, "USD", locale=locale))
    assert f"{flat(_('Total due'))} {total}" in text
    assert flat(_("Damages invoice")) in text
    assert flat(_("Page {page} of {pages}").format(page=1, pages=2)) in text


def test_english_invoice_reads_as_the_sample_contract_expects(
    per_night_invoices: dict[str, RenderedInvoice],
) -> None:
    text = per_night_invoices["en"].text()

    assert "Room attrition, night of Jan 25, 2027 $1,226.40" in text
    assert "Baseline (block after valid reductions) = 60 room nights (contracted 80)." in text
    assert "Damages = 7 × $219.00 (the contract rate) × 80% = $1,226.40." in text
    # Assumptions read as the terms' sentences, never as their identifiers and values.
    assert (
        "Assumptions (terms the contract left to the default) • Pickup exactly at the minimum passes." in text
    )
    assert "attrition.pass_if_equal" not in text
    assert "Total due $1,616.80" in text
    assert "Issue date March 1, 2027 Due date March 31, 2027" in text
    assert "Payment is due within 30 days of the invoice date, by March 31, 2027." in text


def test_french_invoice_uses_french_words_numbers_and_dates(
    per_night_invoices: dict[str, RenderedInvoice],
) -> None:
    text = per_night_invoices["fr"].text()

    assert "Attrition chambres, nuit du 25 janv. 2027 1 226,40 $US" in text
    assert "Indemnité = 7 × 219,00 $US (le tarif contractuel) × 80 % = 1 226,40 $US." in text
    assert "Le groupe doit utiliser 85 % de la base (tolérance d’attrition 15 %)." in text
    assert "Total dû 1 616,80 $US" in text
    assert "Date d’émission 1 mars 2027 Date d’échéance 31 mars 2027" in text


def test_russian_invoice_renders_cyrillic_with_the_repository_font(
    per_night_invoices: dict[str, RenderedInvoice],
) -> None:
    invoice = per_night_invoices["ru"]
    fonts = subprocess.run(["pdffonts", str(invoice.path)], capture_output=True, check=True, text=True)

    assert "Счёт на оплату неустойки" in invoice.text()
    assert "Итого к оплате 1 616,80 $" in invoice.text()
    assert "Invoice-Sans" in fonts.stdout  # the @font-face family, not a system fallback


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_one_of_each_language_is_rasterised_for_review(
    per_night_invoices: dict[str, RenderedInvoice], lang: str
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / f"invoice-{lang}"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(per_night_invoices[lang].path),
            str(stem),
        ],
        check=True,
    )

    png = stem.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_invoice_with_taxes_and_deposit_lists_every_line_and_the_totals(tmp_path: Path) -> None:
    invoice = render_invoice(sample("medical-congress-fnb-rental.yaml"), tmp_path / "invoice.pdf", "en")
    text = invoice.text()

    for expected in (
        "Room attrition (all nights together) $758.40",
        "Baseline (block after valid reductions) = 550 room nights over 4 nights.",
        "F&B minimum shortfall $9,870.00",
        "Threshold = (100% − 10%) × $95,000.00 = $85,500.00.",
        "Meeting-room rental (sliding scale) $9,000.00",
        "Sales tax 10.25% on food and beverage attrition $1,011.68",
        "Service charge on meeting room rental $2,160.00",
        "Sales tax 10.25% on meeting room rental $1,143.90",
        "Deposit GLSC-DEP-1 received Jan 15, 2027 -$10,000.00",
        "Damages $19,628.40",
        "Service charge and taxes $4,315.58",
        "Deposits and rebates applied -$10,000.00",
        "Total due $13,943.98",
        "Great Lakes Society of Cardiology Account GLSC-0427",
        "The group must use 80% of the baseline (attrition allowance 20%).",
        "Tax rule from the property's tax profile (Chicago, Illinois): Sales tax 10.25% on food and beverage "
        "attrition, meeting room rental; service charge 24% on meeting room rental.",
    ):
        assert expected in text


def test_cancellation_invoice_in_the_accounts_language_by_default(tmp_path: Path) -> None:
    invoice = render_invoice(sample("paris-seminar-cancellation-vat.json"), tmp_path / "facture.pdf")
    text = invoice.text()

    assert invoice.document.language == "fr"  # the account's locale
    assert "Frais d’annulation 18 116,00 €" in text
    assert "Base = 25 880,00 € ; frais = 70 % × 25 880,00 € = 18 116,00 €." in text
    assert "TVA 10 % sur annulation 1 811,60 €" in text
    # The deposit's reference is shown as a reference: no "Acompte acompte VENTOUX-01".
    assert "Acompte reçu le 20 mai 2027 (réf. acompte VENTOUX-01) -6 000,00 €" in text
    assert "Acompte acompte" not in text
    assert "Total dû 13 927,60 €" in text


def test_waiver_condition_is_stated_in_the_invoice_language(tmp_path: Path) -> None:
    document = sample(PER_NIGHT_SAMPLE)
    data = document.model_dump(mode="json")
    data["contract"]["attrition"]["rebooking_waiver"] = {"pct": 50, "within_months": 12}
    waived = ContractDocument.model_validate(data, strict=False)

    text = render_invoice(waived, tmp_path / "invoice.pdf", "pt").text()

    assert "Condições de isenção e crédito" in text
    assert (
        "50% da indemnização por quebra de bloqueio de quartos é creditado se o grupo reservar um evento "
        "comparável com o hotel no prazo de 12 meses."
    ) in text


# --- pagination --------------------------------------------------------------------------------

LONG_NIGHTS = 60
LONG_PAGES = (
    8  # each night with its five steps of working (6 on page 1, 9 on each later page), then the terms
)


def long_contract() -> ContractDocument:
    """A per-night block of ``LONG_NIGHTS`` nights, each 10 rooms short: one invoice line a night."""
    arrival = date(2027, 6, 1)
    nights = [arrival + timedelta(days=day) for day in range(LONG_NIGHTS)]
    return ContractDocument.model_validate(
        {
            "contract": {
                "id": "long-residency-2027",
                "name": "Summer residency 2027",
                "property": {"name": "Hotel Example", "locale": "en"},
                "group": {"name": "Example Orchestra", "account": "ORCH-1"},
                "currency": "EUR",
                "arrival_date": arrival.isoformat(),
                "departure_date": (arrival + timedelta(days=LONG_NIGHTS)).isoformat(),
                "block": [
                    {"night": night.isoformat(), "room_type": "double", "rooms": 50, "rate": "150.00"}
                    for night in nights
                ],
                "attrition": {"performance_pct": 80, "damages_pct": 80, "evaluation_mode": "per_night"},
            },
            "actuals": {
                "pickup": [
                    {"night": night.isoformat(), "room_type": "double", "room_nights": 30} for night in nights
                ]
            },
            "as_of": "2027-08-15",
        },
        strict=False,
    )


def test_long_invoice_paginates_with_numbered_pages_and_repeated_headers(tmp_path: Path) -> None:
    invoice = render_invoice(long_contract(), tmp_path / "long.pdf", "en")

    assert (
        len([line for line in invoice.assessment.lines if line.kind is LineKind.ROOM_ATTRITION])
        == LONG_NIGHTS
    )
    assert page_count(invoice.path) == LONG_PAGES
    second = invoice.text(2, 2)
    assert second.startswith("Hotel Example Damages invoice INV-2027-0042")  # running header
    assert "Description and working Amount" in second  # the table header, repeated
    assert f"Page 2 of {LONG_PAGES}" in second
    assert f"Page {LONG_PAGES} of {LONG_PAGES}" in invoice.text(LONG_PAGES, LONG_PAGES)
    assert "Total due €72,000.00" in invoice.text()  # 60 nights × 10 rooms × 150.00 × 80 %


# --- user text ---------------------------------------------------------------------------------


def test_user_text_is_escaped_in_the_html_and_printed_as_typed(tmp_path: Path) -> None:
    document = sample(PER_NIGHT_SAMPLE)
    data = document.model_dump(mode="json")
    data["contract"]["property"]["name"] = 'Hôtel <img src="file:///etc/passwd"> & Co'
    hostile = ContractDocument.model_validate(data, strict=False)

    invoice = render_invoice(
        hostile,
        tmp_path / "invoice.pdf",
        "en",
        bill_to=["<script>alert(1)</script>", '<link rel="stylesheet" href="http://example.com/x.css">'],
        number="<b>42</b>",
    )

    assert "<script>" not in invoice.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in invoice.html
    assert "<img" not in invoice.html
    assert "&lt;b&gt;42&lt;/b&gt;" in invoice.html
    text = invoice.text()
    assert "<script>alert(1)</script>" in text
    assert 'Hôtel <img src="file:///etc/passwd"> & Co' in text


# --- every sample contract ---------------------------------------------------------------------

SAMPLES = sorted(path.name for path in CONTRACTS.glob("*.*") if path.name != "schema.json")


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_renders_in_its_accounts_language_with_its_total(name: str, tmp_path: Path) -> None:
    invoice = render_invoice(sample(name), tmp_path / "invoice.pdf")
    document = invoice.document

    assert document.total_due == format_currency(
        invoice.assessment.total.amount, invoice.assessment.currency, locale=document.locale
    )
    assert flat(document.total_due) in invoice.text()


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_sample_line_is_labelled_and_worked_out_in_the_language(lang: str) -> None:
    for name in SAMPLES:
        document = sample(name)
        assert document.as_of is not None
        assessment = assess(document.contract, document.actuals or Actuals(), document.as_of)
        english, local = (
            build_invoice_document(
                assessment=assessment,
                contract=document.contract,
                invoice_number="1",
                issue_date=ISSUE_DATE,
                language=language,
            )
            for language in ("en", lang)
        )
        for line, english_line, local_line in zip(assessment.lines, english.lines, local.lines, strict=True):
            assert len(local_line.working) == len(line.steps), (name, line.label)
            assert local_line.working != english_line.working, (name, line.label)
            if line.kind is not LineKind.MANUAL:
                assert local_line.label != english_line.label, (name, line.label)
        assert local.terms != english.terms
        assert len(local.assumptions) == len(assessment.assumptions)


def test_comps_and_a_percentage_rebate_are_worked_out_in_russian() -> None:
    terms = contract(
        cells(100, 100),
        attrition={"performance_pct": 80},
        comps={"ratio": 10, "credit_unused_at_group_rate": True},
        rebates={"pct_of_room_revenue": 10, "net_against_damages": True},
    )
    assessment = assess(terms, actuals(pickup=pickup(10, 10)), departure(terms))
    invoice = build_invoice_document(
        assessment=assessment, contract=terms, invoice_number="1", issue_date=ISSUE_DATE, language="ru"
    )

    kinds = {line.kind for line in assessment.lines}
    assert kinds >= {LineKind.ROOM_ATTRITION, LineKind.COMP_CREDIT, LineKind.REBATE}
    text = " ".join(flat(step) for line in invoice.lines for step in (line.label, *line.working))
    assert "Недобор номеров (все ночи вместе)" in text
    assert "Неиспользованные бесплатные номеро-ночи 2 × 200,00 $ = 400,00 $." in text
    assert "10 % от выручки от номеров 4 000,00 $ = 400,00 $." in text
    assert not re.search(r"\b(?:the|room nights|Damages|Rebate)\b", text), text


@pytest.mark.parametrize(
    ("language", "rows", "label"),
    [
        ("en", ["Damages £833.33", "Service charge and taxes £166.67", "Total due £1,000.00"], "VAT 20%"),
        (
            "fr",
            ["Indemnités 833,33 £GB", "Frais de service et taxes 166,67 £GB", "Total dû 1 000,00 £GB"],
            "VAT 20 %",
        ),
    ],
)
def test_an_inclusive_vat_invoice_states_the_net_and_the_vat_inside_the_same_total(
    language: str, rows: list[str], label: str
) -> None:
    """£1,000.00 cancellation holding 20 % VAT: 1,000 × 20 / 120 = 166.67; net 833.33; total 1,000.00."""
    terms = contract(
        cells(5),
        currency="GBP",
        cancellation={"tiers": [{"min_days": 0, "pct": 100}]},
        tax_override={
            "taxes": [{"name": "VAT", "rate_pct": 20, "kinds": ["cancellation"], "inclusive": True}]
        },
    )
    assessment = assess(
        terms, actuals(currency="GBP", cancellation_notice_date="2025-02-28"), departure(terms)
    )

    invoice = build_invoice_document(
        assessment=assessment, contract=terms, invoice_number="1", issue_date=ISSUE_DATE, language=language
    )

    totals = [" ".join(flat(part) for part in (row.label, row.amount)) for row in invoice.totals]
    assert totals == rows
    labels = [flat(line.label) for line in invoice.lines]
    assert any(text.startswith(label) for text in labels), labels
