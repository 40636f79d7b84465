"""Forecast inputs from files: segment priors and histories of comparable blocks (docs/rules.md §6).

The engine receives priors and history as models; here they are read from YAML or JSON with the same
line-numbered errors as contract files (:mod:`app.contract_files`).
"""

from __future__ import annotations

from pathlib import Path

from app.contract_files import load_file
from app.engine.contract import EngineModel
from app.engine.projection import ForecastPriors, HistoricalBlock
from app.resources import resource

#: The documented default priors (every value carries its source in the file).
DEFAULT_PRIORS_PATH = resource("priors")


class HistoryDocument(EngineModel):
    """A history file: ``blocks:`` of comparable past blocks."""

    blocks: tuple[HistoricalBlock, ...]


def load_priors(path: Path = DEFAULT_PRIORS_PATH) -> ForecastPriors:
    """Read and validate a priors file (``segments: ...``)."""
    return load_file(path, ForecastPriors, "segments: ...")


def load_history(path: Path) -> tuple[HistoricalBlock, ...]:
    """Read and validate a history file (``blocks: ...``)."""
    return load_file(path, HistoryDocument, "blocks: ...").blocks
