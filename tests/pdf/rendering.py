"""Render invoices from sample contracts and read them back with poppler (pdftotext, pdfinfo, pdftoppm)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.contract_files import load_document
from app.documents import ContractDocument
from app.engine import Actuals, Assessment, assess
from app.pdf import InvoiceDocument, build_invoice_document, render_invoice_html, render_pdf

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
ARTIFACTS = REPO / "artifacts" / "pdf"
ISSUE_DATE = date(2027, 3, 1)


@dataclass(frozen=True)
class RenderedInvoice:
    assessment: Assessment
    document: InvoiceDocument
    html: str
    pdf: bytes
    path: Path

    def text(self, first: int | None = None, last: int | None = None) -> str:
        return pdf_text(self.path, first, last)


def render_invoice(
    document: ContractDocument,
    out: Path,
    language: str | None = None,
    bill_to: list[str] | None = None,
    number: str = "INV-2027-0042",
) -> RenderedInvoice:
    assert document.as_of is not None
    assessment = assess(document.contract, document.actuals or Actuals(), document.as_of)
    invoice = build_invoice_document(
        assessment=assessment,
        contract=document.contract,
        invoice_number=number,
        issue_date=ISSUE_DATE,
        bill_to=bill_to,
        language=language,
    )
    html = render_invoice_html(invoice)
    pdf = render_pdf(html)
    out.write_bytes(pdf)
    return RenderedInvoice(assessment, invoice, html, pdf, out)


def sample(name: str) -> ContractDocument:
    return load_document(CONTRACTS / name)


def flat(text: str) -> str:
    """Whitespace runs (no-break and narrow no-break spaces included) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    """The text of the pages, in layout order (a row's label and amount stay together), flattened."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    run = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", *pages, str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return flat(run.stdout)


def page_count(path: Path) -> int:
    run = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    match = re.search(r"^Pages:\s+(\d+)$", run.stdout, re.MULTILINE)
    assert match is not None, run.stdout
    return int(match.group(1))
