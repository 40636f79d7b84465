"""A contract file (and optionally an actuals file) assessed as of a date: shared by the commands that
read files (``attrition assess``, ``attrition invoice``), every problem located by file, line and field."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.contract_files import ContractFileError, FileProblem, load_actuals, load_document, problem_at
from app.documents import ContractDocument
from app.engine import Actuals, Assessment, EngineError, assess
from app.engine.limits import parse_iso_date


@dataclass(frozen=True, slots=True)
class FileAssessment:
    document: ContractDocument
    as_of: date
    assessment: Assessment


def assess_file(path: Path, actuals_path: Path | None, as_of: date | None) -> FileAssessment:
    """Actuals come from ``actuals_path``, else the file's, else none; ``as_of`` from the argument, else
    the file's, else today. Raises :class:`ContractFileError` for a bad file or an uncomputable clause."""
    document = load_document(path)
    if actuals_path is not None:
        actuals = load_actuals(actuals_path, document.contract.currency)
    else:
        actuals = document.actuals or Actuals()
    day = as_of or document.as_of or date.today()
    try:
        return FileAssessment(document, day, assess(document.contract, actuals, day))
    except EngineError as error:
        raise ContractFileError([_engine_problem(error, path, actuals_path)]) from None


def _engine_problem(error: EngineError, document: Path, actuals: Path | None) -> FileProblem:
    field = error.field or ""
    # The engine names fields from the document ("actuals.pickup[2].night"); a separate actuals file
    # holds the same mapping at its top level.
    if actuals is not None and (field == "actuals" or field.startswith("actuals.")):
        return problem_at(actuals, field.removeprefix("actuals").removeprefix("."), error.message)
    return problem_at(document, field, error.message)


def report(problems: Iterable[FileProblem]) -> None:
    """Print each problem as ``file:line: field: message`` on standard error."""
    for problem in problems:
        print(problem, file=sys.stderr)


def iso_date(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date."""
    try:
        return parse_iso_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
