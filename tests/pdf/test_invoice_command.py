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
    assert flat(capsys.readouterr().out) == f"wrote {out} (ca, total due 13.943,98 USD)"
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
