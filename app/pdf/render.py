"""HTML for PDF documents (one Jinja2 environment) and the PDF itself (WeasyPrint, template folder only).

WeasyPrint fetches the stylesheet, fonts and images a document names through :class:`TemplateFetcher`,
which serves files under ``templates/pdf/`` and refuses everything else, ``http:`` and ``data:``
included, so that nothing a user typed can make the renderer read a file or reach the network.
"""

from __future__ import annotations

import mimetypes
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from app.pdf.i18n import translations
from app.pdf.invoice import InvoiceDocument
from app.resources import resource

TEMPLATE_DIR = (resource("templates") / "pdf").resolve()
BASE_URL = TEMPLATE_DIR.as_uri() + "/"


class ResourceRefusedError(ValueError):
    """A document named a resource outside the PDF template folder."""


class TemplateFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
    """Serves ``file:`` URLs under :data:`TEMPLATE_DIR` and refuses every other URL.

    ``fail_on_errors`` makes a refused URL stop the rendering instead of leaving a hole in the PDF.
    """

    def __init__(self, root: Path = TEMPLATE_DIR) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.resolve(url)
        media_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url, path.read_bytes(), {"Content-Type": media_type or "application/octet-stream"}
        )

    def resolve(self, url: str) -> Path:
        """The file ``url`` names, if it is a regular file under the template folder."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ResourceRefusedError(f"refused {url!r}: only files of the PDF template folder are served")
        # resolve() follows symbolic links, so a link cannot lead out of the folder either.
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ResourceRefusedError(f"refused {url!r}: not a file of the PDF template folder")
        return path


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


ENVIRONMENT = _environment()


def render_invoice_html(document: InvoiceDocument) -> str:
    """The invoice's final HTML; ``_`` translates the template's fixed words into its language."""
    template = ENVIRONMENT.get_template("invoice.html")
    return template.render(doc=document, _=translations(document.language).gettext)


#: The PDF variant of issued invoices and credit notes: PDF/A-3b, which allows the embedded e-invoice.
ISSUED_VARIANT = "pdf/a-3b"


def render_pdf(html: str, *, pdf_variant: str | None = None) -> bytes:
    """Render final HTML to PDF; relative URLs resolve in, and only in, the PDF template folder.

    ``pdf_variant`` is WeasyPrint's (``"pdf/a-3b"`` for an issued document); None is a plain PDF."""
    options = {} if pdf_variant is None else {"pdf_variant": pdf_variant}
    try:
        with warnings.catch_warnings():
            # WeasyPrint 70 opens its sRGB output-intent profile for PDF/A and leaves the file to the
            # garbage collector (a ResourceWarning, raised as an error under pytest); nothing else warns.
            warnings.simplefilter("ignore", ResourceWarning)
            pdf: bytes | None = HTML(string=html, base_url=BASE_URL, url_fetcher=TemplateFetcher()).write_pdf(
                **options
            )
    except FatalURLFetchingError as error:
        # WeasyPrint wraps the fetcher's refusal in a BaseException; callers get an ordinary error.
        raise ResourceRefusedError(str(error.__cause__ or error)) from error
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    return render_pdf(render_invoice_html(document))


def render_issued_pdf(html: str, einvoice_xml: bytes | None, *, language: str) -> bytes:
    """An issued invoice or credit note: PDF/A-3b with its Factur-X XML attached as ``factur-x.xml``.

    WeasyPrint writes the PDF/A-3b (fonts embedded, sRGB output intent, identifier); the ``factur-x``
    library then attaches the XML (``/AFRelationship /Alternative``: the XML says what the page says)
    and replaces the XMP with one that keeps ``pdfaid`` part 3, conformance B and adds the Factur-X
    extension schema. WeasyPrint's own ``attachments`` option lists the file twice in ``/AF`` (70.0)
    and writes no Factur-X XMP, so it is not used. Without XML (a currency EN 16931 cannot carry) the
    document is still PDF/A-3b. See docs/e-invoicing.md.
    """
    pdf = render_pdf(html, pdf_variant=ISSUED_VARIANT)
    if einvoice_xml is None:
        return pdf
    import facturx  # only issuing needs it

    combined: bytes = facturx.generate_from_binary(
        pdf,
        einvoice_xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        afrelationship="alternative",
        lang=language,
    )
    return combined
