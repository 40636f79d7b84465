"""PDF documents: render models built from engine results, their HTML, and the PDF
(docs/architecture.md, "Documents").

The renderer (:mod:`app.pdf.render`, WeasyPrint) is imported on first use of one of its names, so that
a command that only needs the invoice languages (``attrition --help``) does not pay for WeasyPrint.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from app.pdf.i18n import LANGUAGES, UnsupportedLanguageError, invoice_language

if TYPE_CHECKING:
    from app.pdf.invoice import InvoiceDocument, InvoiceLine, TotalRow, build_invoice_document
    from app.pdf.render import (
        ResourceRefusedError,
        TemplateFetcher,
        render_invoice_html,
        render_invoice_pdf,
        render_pdf,
    )

_LAZY = {
    "InvoiceDocument": "app.pdf.invoice",
    "InvoiceLine": "app.pdf.invoice",
    "TotalRow": "app.pdf.invoice",
    "build_invoice_document": "app.pdf.invoice",
    "ResourceRefusedError": "app.pdf.render",
    "TemplateFetcher": "app.pdf.render",
    "render_invoice_html": "app.pdf.render",
    "render_invoice_pdf": "app.pdf.render",
    "render_pdf": "app.pdf.render",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'app.pdf' has no attribute {name!r}")


__all__ = [
    "LANGUAGES",
    "InvoiceDocument",
    "InvoiceLine",
    "ResourceRefusedError",
    "TemplateFetcher",
    "TotalRow",
    "UnsupportedLanguageError",
    "build_invoice_document",
    "invoice_language",
    "render_invoice_html",
    "render_invoice_pdf",
    "render_pdf",
]
