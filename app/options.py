"""Command-line option types shared by the ``attrition`` commands (standard library only, so that
building the parser, and ``attrition --help``, imports nothing heavy)."""

from __future__ import annotations

import argparse
from datetime import date

DATABASE_HELP = (
    "database (default: $ATTRITION_DATABASE_URL, else the embedded SQLite file attrition.sqlite3 in the "
    "data directory, $ATTRITION_DATA_DIR)"
)


def iso_date(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date (nothing else that Python would read as one)."""
    from app.engine.limits import parse_iso_date  # on use: `attrition --help` builds no model

    try:
        return parse_iso_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def database_option(parser: argparse.ArgumentParser) -> None:
    """``--database-url URL``."""
    parser.add_argument("--database-url", metavar="URL", help=DATABASE_HELP)
