"""Damages invoices as PDFs, checked through the text poppler extracts from them (docs/style.md, "PDF")."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from babel.numbers import format_currency

from app.documents import ContractDocument
from app.engine import Actuals, Assessment, Contract, LineKind, assess
from app.pdf import LANGUAGES, InvoiceDocument, build_invoice_document
from app.pdf.i18n import translations
from tests.engine.builders import actuals, cells, contract, departure, night, pickup
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

    nights = [line for line in invoice.assessment.lines if line.night is not None]
    assert len(nights) == 3
    for line in nights:
        assert line.night is not None
        assert flat(format_currency(line.amount.amount, "USD", locale=lang)) in text
        assert flat(format_date(line.night, "medium", locale=lang)) in text
    total = flat(format_currency(invoice.assessment.total.amount, "USD", locale=lang))
    assert f"{flat(_('Total due'))} {total}" in text
    assert flat(_("Damages invoice")) in text
    assert flat(_("Page {page} of {pages}").format(page=1, pages=2)) in text


def test_english_invoice_reads_as_the_sample_contract_expects(
    per_night_invoices: dict[str, RenderedInvoice],
) -> None:
    text = per_night_invoices["en"].text()

    assert "Room attrition, night of Jan 25, 2027 $1,226.40" in text
    assert "Baseline 60, minimum 51, credited pickup 44, shortfall 7 (room nights)" in text
    assert "Damages = unused room nights 7 × $219.00 × 80% = $1,226.40" in text
    assert "Total due $1,616.80" in text
    assert "Issue date March 1, 2027 Due date March 31, 2027" in text
    assert "Payment is due within 30 days of the invoice date, by March 31, 2027." in text


def test_french_invoice_uses_french_words_numbers_and_dates(
    per_night_invoices: dict[str, RenderedInvoice],
) -> None:
    text = per_night_invoices["fr"].text()

    assert "Attrition chambres, nuit du 25 janv. 2027 1 226,40 $US" in text
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
        "Baseline 550, minimum 440, credited pickup 436, shortfall 4 (room nights)",
        "F&B minimum shortfall $9,870.00",
        "Meeting-room rental (sliding scale) $9,000.00",
        "Sales tax 10.25% on F&B attrition $1,011.68",
        "Service charge on meeting-room rental $2,160.00",
        "Sales tax 10.25% on meeting-room rental $1,143.90",
        "Deposit GLSC-DEP-1 received Jan 15, 2027 -$10,000.00",
        "Damages $19,628.40",
        "Service charge and taxes $4,315.58",
        "Deposits and rebates applied -$10,000.00",
        "Total due $13,943.98",
        "Great Lakes Society of Cardiology Account GLSC-0427",
        "The group must use 80 % of the baseline (attrition allowance 20 %).",
        "attrition.pass_if_equal = true",
    ):
        assert expected in text


def test_cancellation_invoice_in_the_accounts_language_by_default(tmp_path: Path) -> None:
    invoice = render_invoice(sample("paris-seminar-cancellation-vat.json"), tmp_path / "facture.pdf")
    text = invoice.text()

    assert invoice.document.language == "fr"  # the account's locale
    assert "Frais d’annulation 18 116,00 €" in text
    assert "Frais = 70 % × 25 880,00 € = 18 116,00 €" in text
    assert "TVA 10 % (annulation) 1 811,60 €" in text
    assert "Total dû 13 927,60 €" in text


def test_waiver_condition_is_stated_in_the_invoice_language(tmp_path: Path) -> None:
    document = sample(PER_NIGHT_SAMPLE)
    data = document.model_dump(mode="json")
    data["contract"]["attrition"]["rebooking_waiver"] = {"pct": 50, "within_months": 12}
    waived = ContractDocument.model_validate(data, strict=False)

    text = render_invoice(waived, tmp_path / "invoice.pdf", "pt").text()

    assert "Condições de isenção e crédito" in text
    assert (
        "50% da indenização por quebra de bloqueio de quartos será creditado se o grupo reservar "
        "um evento comparável no hotel em até 12 meses."
    ) in text


# --- pagination --------------------------------------------------------------------------------

LONG_NIGHTS = 60
LONG_PAGES = 5  # 10 nights on page 1, 15 on each later page, then the terms


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
def test_every_sample_line_is_labelled_in_the_language_and_only_known_workings_stay_english(
    lang: str,
) -> None:
    english_only = set()
    for name in SAMPLES:
        document = sample(name)
        assert document.as_of is not None
        assessment = assess(document.contract, document.actuals or Actuals(), document.as_of)
        english = build_invoice_document(
            assessment=assessment,
            contract=document.contract,
            invoice_number="1",
            issue_date=ISSUE_DATE,
            language="en",
        )
        local = build_invoice_document(
            assessment=assessment,
            contract=document.contract,
            invoice_number="1",
            issue_date=ISSUE_DATE,
            language=lang,
        )
        for line, english_line, local_line in zip(assessment.lines, english.lines, local.lines, strict=True):
            assert local_line.working, (name, line.label)
            if local_line.working_lang == "en":
                english_only.add(line.kind)
            else:
                assert local_line.working != english_line.working, (name, line.label)
            if line.kind is not LineKind.MANUAL:
                assert local_line.label != english_line.label, (name, line.label)

    # Every kind of line is worked out in the language (see app/pdf/invoice.py); figures the engine gives
    # only in English are quoted beside the working, never instead of it.
    assert not english_only


# --- working in the invoice language, for every kind of line ----------------------------------

#: Samples whose lines cover every kind of working: last room sold, tiered with stricter-of, comps and
#: a rebate, pooled credit, cliff, peak night, cancellation components, F&B and rental, resold rooms,
#: revenue, greater-of.
WORKING_SAMPLES = (
    "convention-last-room-sold.yaml",
    "engineering-offsite-tiered-stricter-of.yaml",
    "quilt-show-comps-rebate.json",
    "music-festival-credit-pro-rata.yaml",
    "wedding-block-cliff.yaml",
    "government-training-peak-night.yaml",
    "dental-meeting-cancellation-100-days.yaml",
    "medical-congress-fnb-rental.yaml",
    "insurance-conference-resold-rooms.yaml",
    "investor-summit-revenue-basis.yaml",
    "incentive-trip-greater-of.yaml",
)
#: Where the engine states a figure in no structured field: (sample, line label) of the lines that keep
#: the engine's English sentences beside the rebuilt working (app/pdf/invoice.py, module docstring).
QUOTED = {
    (
        "engineering-offsite-tiered-stricter-of.yaml",
        "Room attrition (tiered)",
    ),  # the other baseline's damages
    ("insurance-conference-resold-rooms.yaml", "Resale credit (rooms resold by the hotel)"),  # rooms, rates
    ("investor-summit-revenue-basis.yaml", "Room attrition (revenue)"),  # credited revenue, shortfall
    ("incentive-trip-greater-of.yaml", "Room attrition (greater of room nights and revenue)"),  # each test
}
FOREIGN = [lang for lang in LANGUAGES if lang != "en"]


#: Rendering is the slow part: every sample in French, and in the other languages the samples whose
#: lines show the most kinds (last room sold; comps and a rebate; a quoted revenue test).
RENDERED_WORKING = [(name, "fr") for name in WORKING_SAMPLES] + [
    (name, lang)
    for lang in FOREIGN
    if lang != "fr"
    for name in (
        "convention-last-room-sold.yaml",
        "quilt-show-comps-rebate.json",
        "investor-summit-revenue-basis.yaml",
    )
]


@pytest.fixture(scope="module")
def working_invoices(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], RenderedInvoice]:
    folder = tmp_path_factory.mktemp("working")
    return {
        (name, lang): render_invoice(sample(name), folder / f"{name}-{lang}.pdf", lang)
        for name, lang in RENDERED_WORKING
    }


@pytest.mark.parametrize("lang", FOREIGN)
@pytest.mark.parametrize("name", WORKING_SAMPLES)
def test_every_line_is_worked_out_in_the_language_with_english_only_quoted_where_figures_lack(
    name: str, lang: str
) -> None:
    document = sample(name)
    assert document.as_of is not None
    assessment = assess(document.contract, document.actuals or Actuals(), document.as_of)
    invoice = build_invoice_document(
        assessment=assessment,
        contract=document.contract,
        invoice_number="1",
        issue_date=ISSUE_DATE,
        language=lang,
    )

    for line, shown in zip(assessment.lines, invoice.lines, strict=True):
        assert shown.working_lang is None, line.label
        assert shown.working, line.label
        assert not set(shown.working) & set(line.steps), line.label
        if (name, line.label) in QUOTED:
            assert shown.quoted_working, line.label
            assert set(shown.quoted_working) <= set(line.steps)
        else:
            assert shown.quoted_working == (), line.label


@pytest.mark.parametrize(("name", "lang"), RENDERED_WORKING)
def test_pdf_text_has_the_localized_working_and_lacks_the_engines_english(
    working_invoices: dict[tuple[str, str], RenderedInvoice], name: str, lang: str
) -> None:
    invoice = working_invoices[(name, lang)]
    text = invoice.text()
    _ = translations(lang).gettext

    for line, shown in zip(invoice.assessment.lines, invoice.document.lines, strict=True):
        for step in shown.working:
            assert flat(step) in text, (line.label, step)
        if (name, line.label) in QUOTED:
            assert flat(_("As worked out in the assessment, in English:")) in text
        else:
            for step in line.steps:
                assert flat(step) not in text, (line.label, step)


def test_french_working_of_last_room_sold_pooled_credit_tiers_comps_and_rebates(
    working_invoices: dict[tuple[str, str], RenderedInvoice],
) -> None:
    def text(name: str) -> str:
        return working_invoices[(name, "fr")].text()

    # convention: 83 % of 160 is 132.8; 124 picked up; the hotel had 5 unsold rooms that night.
    assert (
        "Dernière chambre vendue : sur les nuitées manquantes (8,8), l’hôtel n’avait des chambres "
        "invendues que pour 5 ; seules celles-ci sont facturées."
    ) in text("convention-last-room-sold.yaml")
    # music festival: 7 room nights above the block, pro rata 5 and 2 to the short nights.
    festival = text("music-festival-credit-pro-rata.yaml")
    assert (
        "Nuitées au-delà du bloc, mises en commun pour les nuits en manque (au prorata du manque" in festival
    )
    assert "Nuitées mises en commun imputées à cette nuit : 5." in festival
    assert "Nuitées mises en commun imputées à cette nuit : 2." in festival
    # offsite: 144 of 180 = 80 %, in the tier [70 %, 85 %) at 17 % of 35,220.00.
    offsite = text("engineering-offsite-tiered-stricter-of.yaml")
    assert "Réservations retenues (nuitées) : 144 sur 180 = 80 %." in offsite
    assert (
        "Palier de 70 % à moins de 85 % : 17 % du chiffre d’affaires chambres bloqué 35 220,00 $US."
        in offsite
    )
    # quilt show: 5 comps earned, 4 used, at the 139.00 group rate; 165 paid room nights at 3.00.
    quilts = text("quilt-show-comps-rebate.json")
    assert "Nuitées gratuites non utilisées 1 × tarif de groupe moyen 139,00 $US = 139,00 $US" in quilts
    assert "Nuitées payées 165 × 3,00 $US = 495,00 $US" in quilts
    # wedding: 75 % of 55 is 41.25, rounded half-up to 41; the cliff charges all 15 unused.
    wedding = text("wedding-block-cliff.yaml")
    assert "Minimum = 75 % × 55 = 41,25, arrondi à la nuitée entière la plus proche : 41." in wedding
    assert "toutes les nuitées non utilisées de la base sont facturées" in wedding
    # dental: the base's components, by kind, in French.
    dental = text("dental-meeting-cancellation-100-days.yaml")
    assert "Chiffre d’affaires chambres du bloc : 89 600,00 $US × 80 %" in dental
    assert "Notification reçue le 2 mars 2027 ; arrivée le 10 juin 2027." in dental


def _credits_in_english(steps: tuple[str, ...]) -> dict[date, int]:
    """The engine's own record of the pooled credit: "N credited to YYYY-MM-DD." steps."""
    found = {}
    for step in steps:
        match = re.fullmatch(r"(\d+) credited to (\d{4}-\d{2}-\d{2})\.", step)
        if match:
            found[date.fromisoformat(match.group(2))] = int(match.group(1))
    return found


@pytest.mark.parametrize("allocation", ["highest_rate_first", "chronological", "pro_rata"])
@pytest.mark.parametrize("semantics", ["deductible", "cliff"])
@pytest.mark.parametrize("pass_if_equal", [True, False])
@pytest.mark.parametrize("shoulder", [0, 4])
def test_pooled_credit_per_night_matches_the_engines_allocation(
    allocation: str, semantics: str, pass_if_equal: bool, shoulder: int
) -> None:
    block = [
        {"night": night(i), "room_type": "K", "rooms": rooms, "rate": rate}
        for i, (rooms, rate) in enumerate([(50, "180.00"), (100, "220.00"), (100, "200.00"), (40, "150.00")])
    ]
    terms = contract(
        block,
        attrition={
            "performance_pct": 80,
            "evaluation_mode": "per_night_with_credit",
            "credit_allocation": allocation,
            "threshold_semantics": semantics,
            "pass_if_equal": pass_if_equal,
        },
    )
    entries = pickup(58, 72, 77, 41)
    if shoulder:
        entries.append({"night": night(-1), "room_type": "K", "room_nights": shoulder, "source": "shoulder"})
    assessment = assess(terms, actuals(pickup=entries), departure(terms))
    document = build_invoice_document(
        assessment=assessment, contract=terms, invoice_number="1", issue_date=ISSUE_DATE, language="en"
    )

    engine = _credits_in_english(next(line for line in assessment.lines if line.night).steps)
    assert sum(engine.values()) > 0
    for line, shown in zip(assessment.lines, document.lines, strict=True):
        if line.night is None:
            continue
        sentence = f"Pooled room nights credited to this night: {engine.get(line.night, 0)}."
        if engine.get(line.night):
            assert sentence in shown.working, (line.night, shown.working)
        else:
            assert not any(step.startswith("Pooled room nights credited") for step in shown.working)


def _invoice(terms: Contract, entries: list[dict[str, Any]], lang: str) -> tuple[Assessment, InvoiceDocument]:
    assessment = assess(terms, actuals(pickup=entries), departure(terms))
    return assessment, build_invoice_document(
        assessment=assessment, contract=terms, invoice_number="1", issue_date=ISSUE_DATE, language=lang
    )


def test_cap_carried_comps_and_a_percentage_rebate_are_worked_out_in_russian() -> None:
    # A fixed damage rate above the contract rate: the cap on the unused baseline applies.
    capped = contract(
        cells(100),
        attrition={
            "performance_pct": 80,
            "threshold_semantics": "cliff",
            "damage_rate_rule": "fixed",
            "fixed_rate": "500.00",
        },
    )
    assessment, document = _invoice(capped, pickup(50), "ru")
    cap = next(
        s
        for line, s in zip(assessment.lines, document.lines, strict=True)
        if line.kind is LineKind.DAMAGES_CAP
    )
    assert "Неустойка за номера до ограничения 25 000,00 $, уменьшена на 15 000,00 $." in [
        flat(step) for step in cap.working
    ]

    # Comps worth more than the damages: the rest is carried; a rebate on room revenue has nothing left.
    comps = contract(
        cells(100),
        attrition={"performance_pct": 80},
        comps={"ratio": 10, "credit_unused_at_group_rate": True},
        rebates={"pct_of_room_revenue": 5, "net_against_damages": True},
    )
    assessment, document = _invoice(comps, pickup(79), "ru")
    shown = {line.kind: s for line, s in zip(assessment.lines, document.lines, strict=True)}
    assert [flat(step) for step in shown[LineKind.COMP_CREDIT].working][-1] == (
        "Зачтено 200,00 $; остаток 1 200,00 $ переносится."
    )
    rebate = shown[LineKind.REBATE]
    assert [flat(step) for step in rebate.working] == [
        "5 % от выручки от номеров: 790,00 $",
        "Зачтено 0,00 $; 790,00 $ превышает сумму к оплате и не зачитывается.",
    ]
    # The room revenue the 5 % is taken of is in the engine's English sentence only: it is quoted.
    rebate_line = next(line for line in assessment.lines if line.kind is LineKind.REBATE)
    assert rebate.quoted_working == rebate_line.steps[:1]


def test_a_passed_revenue_test_needs_no_english() -> None:
    terms = contract(cells(100, 100), attrition={"performance_pct": 80, "evaluation_mode": "revenue"})
    assessment, document = _invoice(terms, pickup(90, 85), "ca")
    (line,) = document.lines

    assert assessment.total.is_zero()
    assert line.quoted_working == ()
    assert [flat(step) for step in line.working] == [
        "Ingressos d’habitacions bloquejades 40.000,00 USD; ingressos mínims = 80 % × 40.000,00 USD = "
        "32.000,00 USD.",
        "Els ingressos d’habitacions computats arriben al mínim: sense dèficit.",
    ]
