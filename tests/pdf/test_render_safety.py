"""The PDF renderer fetches files of the template folder and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.pdf import ResourceRefusedError, TemplateFetcher, render_pdf
from app.pdf.render import BASE_URL, TEMPLATE_DIR


def test_fetcher_serves_the_stylesheet_and_fonts_of_the_template_folder() -> None:
    fetcher = TemplateFetcher()

    css = fetcher.fetch(BASE_URL + "invoice.css")
    font = fetcher.fetch(BASE_URL + "fonts/DejaVuSans.ttf")

    assert css.content_type == "text/css"
    assert b"@page" in css.read()
    assert font.read(4) == b"\x00\x01\x00\x00"  # a TrueType font


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        BASE_URL + "../../app/settings.py",  # climbs out of the folder
        BASE_URL + "%2e%2e/%2e%2e/pyproject.toml",
        BASE_URL + "fonts",  # a folder, not a file
        BASE_URL + "missing.css",
        "http://127.0.0.1:9/invoice.css",
        "https://example.com/font.ttf",
        "data:text/css,p{color:red}",
        "file://otherhost" + str(TEMPLATE_DIR / "invoice.css"),
    ],
)
def test_fetcher_refuses_anything_outside_the_template_folder(url: str) -> None:
    with pytest.raises(ResourceRefusedError, match="refused"):
        TemplateFetcher().fetch(url)


def test_fetcher_refuses_a_symbolic_link_leading_out_of_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "escape.css").symlink_to(Path(__file__))

    with pytest.raises(ResourceRefusedError):
        TemplateFetcher(root).fetch((root / "escape.css").as_uri())


@pytest.mark.parametrize(
    "html",
    [
        '<p>x</p><img src="file:///etc/passwd">',
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"><p>x</p>',
        '<link rel="stylesheet" href="../../app/settings.py"><p>x</p>',
        "<style>@font-face { font-family: X; src: url(/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf) }"
        "</style><p style='font-family: X'>x</p>",
    ],
)
def test_render_stops_on_a_refused_resource(html: str) -> None:
    with pytest.raises(ResourceRefusedError):
        render_pdf(html)


def test_render_of_plain_html_gives_a_pdf() -> None:
    assert render_pdf('<link rel="stylesheet" href="invoice.css"><p>Bonjour</p>').startswith(b"%PDF-")
