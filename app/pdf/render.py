"""HTML for PDF documents (one Jinja2 environment) and the PDF itself (WeasyPrint, template folder only).

WeasyPrint fetches the stylesheet, fonts and images a document names through :class:`TemplateFetcher`,
which serves files under ``templates/pdf/`` and refuses everything else, ``http:`` and ``data:``
included, so that nothing a user typed can make the renderer read a file or reach the network.
"""

from __future__ import annotations

import mimetypes
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


def render_pdf(html: str) -> bytes:
    """Render final HTML to PDF; relative URLs resolve in, and only in, the PDF template folder."""
    try:
        pdf: bytes | None = HTML(string=html, base_url=BASE_URL, url_fetcher=TemplateFetcher()).write_pdf()
    except FatalURLFetchingError as error:
        # WeasyPrint wraps the fetcher's refusal in a BaseException; callers get an ordinary error.
        raise ResourceRefusedError(str(error.__cause__ or error)) from error
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    return render_pdf(render_invoice_html(document))
