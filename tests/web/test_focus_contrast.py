"""The focus ring is visible: WCAG 2.2 asks at least 3:1 between the focus indicator and what is around
it (1.4.11, non-text contrast). Computed from the stylesheet's own custom properties, so changing a colour
in ``app.css`` re-runs the check."""

from __future__ import annotations

import re

import pytest

from app.resources import resource

STYLESHEET = resource("static") / "app.css"


def custom_properties(css: str) -> dict[str, str]:
    root = re.search(r":root\s*\{(?P<body>[^}]*)\}", css)
    assert root is not None, "app.css has no :root block"
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", root["body"]))


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` (or ``#rgb``) colour."""
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", digits), colour
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_matches_known_pairs() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#fff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#f2a900", "#ffffff") == pytest.approx(2.01, abs=0.01)  # the old ring: too faint


def test_focus_visible_draws_the_focus_colour() -> None:
    css = STYLESHEET.read_text(encoding="utf-8")
    rule = re.search(r":focus-visible\s*\{([^}]*)\}", css)
    assert rule is not None
    assert "var(--focus)" in rule[1]


# The ring sits outside the element (outline-offset), on the page (--wash), a card (--paper) or the header
# (--ink).
@pytest.mark.parametrize("background", ["--paper", "--wash", "--ink"])
def test_the_focus_ring_has_at_least_3_to_1_against_each_background(background: str) -> None:
    colours = custom_properties(STYLESHEET.read_text(encoding="utf-8"))
    ratio = contrast_ratio(colours["--focus"], colours[background])
    assert ratio >= 3.0, f"--focus {colours['--focus']} on {background} {colours[background]}: {ratio:.2f}:1"
