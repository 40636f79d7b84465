"""PDF documents: render models built from engine results, their HTML, and the PDF (style.md, "PDF")."""

from app.pdf.i18n import LANGUAGES, UnsupportedLanguageError, invoice_language
from app.pdf.invoice import InvoiceDocument, InvoiceLine, TotalRow, build_invoice_document
from app.pdf.render import (
    ResourceRefusedError,
    TemplateFetcher,
    render_invoice_html,
    render_invoice_pdf,
    render_pdf,
)

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
