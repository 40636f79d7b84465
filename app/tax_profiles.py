"""Jurisdiction tax profiles shipped as data: ``app/tax_profiles/*.yaml`` (docs/taxes.md).

Each file holds one jurisdiction's :class:`~app.engine.contract.TaxProfile` with the public ruling or
guidance behind every rule. They are read like contract files (:mod:`app.contract_files`): a problem
names the file, the line and the field. A property copies a profile and may override any rule, the
uncertain ones first.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from app.contract_files import load_file
from app.engine.contract import EngineModel, TaxProfile
from app.engine.limits import MAX_NAME_CHARS, IsoDate, OneLine
from app.resources import resource

#: The folder of the shipped profiles.
DEFAULT_TAX_PROFILES = resource("tax_profiles")


class JurisdictionProfile(EngineModel):
    """A tax profile file: which jurisdiction, when its sources were last reviewed, and the profile.

    ``code`` is the ISO 3166 code, with the subdivision where taxes differ by state or region
    (``GB``, ``US-TX``, ``ES-CT``); the file is named after it in lower case (``us-tx.yaml``).
    """

    code: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    jurisdiction: OneLine = Field(min_length=1, max_length=MAX_NAME_CHARS)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reviewed_date: IsoDate
    profile: TaxProfile


class TaxProfileFileError(ValueError):
    """A profile file whose name is not its code in lower case."""


def load_tax_profile(path: Path) -> JurisdictionProfile:
    """Read and validate one profile file; its name must be its code in lower case."""
    document = load_file(path, JurisdictionProfile, "code: GB\njurisdiction: ...\nprofile: ...")
    if path.stem != document.code.lower():
        raise TaxProfileFileError(
            f"{path}: a profile with code {document.code} belongs in {document.code.lower()}{path.suffix}"
        )
    return document


def load_tax_profiles(folder: Path = DEFAULT_TAX_PROFILES) -> dict[str, JurisdictionProfile]:
    """Every profile of ``folder`` (``*.yaml``), by code, in file-name order."""
    return {profile.code: profile for profile in map(load_tax_profile, sorted(folder.glob("*.yaml")))}
