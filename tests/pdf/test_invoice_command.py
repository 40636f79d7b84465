"""``attrition invoice FILE [--actuals FILE] --out invoice.pdf``, run through its own parser."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app.invoice_command import add_invoice_parser
from tests.pdf.rendering import CONTRACTS, flat, page_count, pdf_text


def run(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser(prog="attrition")
    add_invoice_parser(parser.add_subparsers(required=True))
    args = parser.parse_args([str(arg) for arg in argv])
    code: int = args.command(args)
    return code


def test_invoice_command_writes_the_pdf_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "invoice.pdf"

    code = run(
        "invoice",
        CONTRACTS / "medical-congress-fnb-rental.yaml",
        "--lang",
        "ca",
        "--number",
        "F-2027/118",
        "--issue-date",
        "2027-05-10",
        "--bill-to",
        "GLSC\nAccounts payable",
        "--out",
        out,
    )

    assert code == 0
    assert flat(capsys.readouterr().out) == f"wrote {out} (invoice F-2027/118, ca, total due 13.943,98 USD)"
    text = pdf_text(out)
    assert "Número de factura F-2027/118" in text
    assert "GLSC Accounts payable" in text
    assert "Data d’emissió 10 de maig del 2027" in text
    assert page_count(out) >= 1


def test_invoice_command_takes_actuals_from_a_separate_file(tmp_path: Path) -> None:
    actuals = tmp_path / "actuals.yaml"
    actuals.write_text("cancellation_notice_date: 2027-10-01\n", encoding="utf-8")
    out = tmp_path / "invoice.pdf"

    code = run(
        "invoice",
        CONTRACTS / "paris-seminar-cancellation-vat.json",
        "--actuals",
        actuals,
        "--as-of",
        "2027-10-05",
        "--out",
        out,
    )

    assert code == 0
    assert "Total dû 13 927,60 €" in pdf_text(out)


def test_invoice_command_reports_an_invalid_file_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("contract: {}\n", encoding="utf-8")
    out = tmp_path / "invoice.pdf"

    assert run("invoice", bad, "--out", out) == 1
    assert f"{bad}:1: contract.id:" in capsys.readouterr().err
    assert not out.exists()


def test_invoice_command_refuses_an_unknown_language(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        run(
            "invoice",
            CONTRACTS / "medical-congress-fnb-rental.yaml",
            "--lang",
            "de",
            "--out",
            tmp_path / "x.pdf",
        )
    assert stop.value.code == 2


def test_invoice_command_without_a_number_prints_and_renders_a_draft(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "invoice.pdf"

    assert run("invoice", CONTRACTS / "paris-seminar-cancellation-vat.json", "--out", out) == 0

    assert flat(capsys.readouterr().out) == f"wrote {out} (DRAFT, not numbered, fr, total due 13 927,60 €)"
    text = pdf_text(out)
    assert "Numéro de facture BROUILLON" in text
    assert "ventoux-seminaire-2027-2027" not in text  # the old made-up number


def test_uk_sample_invoice_shows_seller_vat_id_bank_details_and_the_buyers_legal_identity(
    tmp_path: Path,
) -> None:
    out = tmp_path / "invoice.pdf"

    assert (
        run(
            "invoice",
            CONTRACTS / "edinburgh-actuaries-chronological-vat.yaml",
            "--number",
            "MHE-2027-000007",
            "--out",
            out,
        )
        == 0
    )

    text = pdf_text(out)
    assert "Marlowe Hotels (Edinburgh) Limited" in text
    assert "VAT number GB284193734" in text
    assert "Company registration Registered in Scotland, company number SC612874" in text
    assert "IBAN GB29 NWBK 6016 1331 9268 19" in text
    assert "BIC NWBKGB2L" in text
    assert "Payment reference Invoice MHE-2027-000007" in text
    # pdftotext interleaves the bill-to column with the invoice details beside it
    assert "Bill to Damages invoice The Caledonian Institute of Actuaries Actuaries House" in text
    assert "7 Melville Crescent" in text
    assert "Edinburgh Due date" in text
    assert "EH3 7JA Currency GBP United Kingdom" in text
    assert "Tax number GB512776404" in text
    assert "Your reference PO 2027-0871" in text
    assert "Account CIA-CONF" in text


def test_french_sample_invoice_shows_the_tva_number_bank_details_and_the_buyer_in_french(
    tmp_path: Path,
) -> None:
    out = tmp_path / "invoice.pdf"

    assert (
        run(
            "invoice",
            CONTRACTS / "paris-seminar-cancellation-vat.json",
            "--number",
            "LRG-2027-000001",
            "--out",
            out,
        )
        == 0
    )

    text = pdf_text(out)
    assert "Lumière Rive Gauche Hôtellerie SAS" in text
    assert "Numéro de TVA FR65812459634" in text
    assert "IBAN FR76 3000 4008 1900 0123 4567 879" in text
    assert "BIC BNPAFRPP" in text
    assert "Référence de paiement Facture LRG-2027-000001" in text
    assert "Facturé à Facture d’indemnités Laboratoires Ventoux SAS Parc d'activités du Mont Ventoux" in text
    assert "220 avenue des Cèdres" in text
    assert "84200 Carpentras Date d’échéance 4 novembre 2027 France" in text
    assert "Numéro fiscal FR35421753906" in text
    assert "Votre référence BC-2027-0415" in text


def test_invoice_command_bill_to_replaces_the_files_buyer_but_keeps_the_seller(tmp_path: Path) -> None:
    out = tmp_path / "invoice.pdf"

    code = run(
        "invoice",
        CONTRACTS / "edinburgh-actuaries-chronological-vat.yaml",
        "--bill-to",
        "Someone Else Ltd",
        "--out",
        out,
    )

    assert code == 0
    text = pdf_text(out)
    assert "Bill to Damages invoice Someone Else Ltd" in text
    assert "Caledonian Institute of Actuaries Actuaries House" not in text
    assert "VAT number GB284193734" in text


def test_a_bad_seller_in_the_file_is_reported_with_its_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = (CONTRACTS / "edinburgh-actuaries-chronological-vat.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad-iban.yaml"
    bad.write_text(
        sample.replace("GB29 NWBK 6016 1331 9268 19", "GB29 NWBK 6016 1331 9268 18"), encoding="utf-8"
    )
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if "iban:" in text)
    out = tmp_path / "invoice.pdf"

    assert run("invoice", bad, "--out", out) == 1
    error = capsys.readouterr().err
    assert f"{bad}:{line}: seller.bank.iban: not a valid IBAN" in error
    assert not out.exists()


@pytest.mark.parametrize(
    ("lang", "total", "title"),
    [
        ("pt", "13 927,60 €", "Fatura de indemnizações"),  # Portugal
        ("pt_BR", "€ 13.927,60", "Fatura de indenizações"),  # Brazil
    ],
)
def test_invoice_command_writes_portugals_or_brazils_portuguese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, total: str, title: str
) -> None:
    out = tmp_path / "invoice.pdf"

    code = run("invoice", CONTRACTS / "paris-seminar-cancellation-vat.json", "--lang", lang, "--out", out)

    assert code == 0
    assert flat(capsys.readouterr().out) == f"wrote {out} (DRAFT, not numbered, {lang}, total due {total})"
    text = pdf_text(out)
    assert "Número da fatura RASCUNHO" in text
    assert title in text
    assert f"Total devido {total}" in text
