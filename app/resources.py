"""Where the files the program reads at run time live: one function, for a checkout and an install.

In a source checkout the templates and the sample contracts are the top-level ``templates/`` and
``contracts/`` folders. A built wheel carries copies of them inside the package, under ``app/_bundled/``
(``force-include`` in ``pyproject.toml``), because an installed program has no checkout around it.
Everything else (static files, gettext catalogs, forecast priors, tax profiles) lives inside ``app/``
in both cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_bundled"

Resource = Literal["templates", "contracts", "static", "locale", "priors", "tax_profiles"]

_IN_PACKAGE: dict[str, Path] = {
    "static": PACKAGE / "web" / "static",
    "locale": PACKAGE / "locale",
    "priors": PACKAGE / "forecast_priors.yaml",
    "tax_profiles": PACKAGE / "tax_profiles",
}


def resource(name: Resource) -> Path:
    """The folder (or file, for ``priors``) holding the named resource.

    ``templates`` and ``contracts``: the copy bundled in an installed wheel, else the checkout's
    top-level folder. The rest: inside the package."""
    if name in _IN_PACKAGE:
        return _IN_PACKAGE[name]
    bundled = BUNDLED / name
    return bundled if bundled.is_dir() else PACKAGE.parent / name


def sample_contracts() -> list[Path]:
    """The sample contract files (YAML, then JSON, each sorted by name), without ``schema.json``."""
    folder = resource("contracts")
    found = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json"))
    return [path for path in found if path.name != "schema.json"]
