"""``attrition import-history FILE --property ID``: load a hotel's past blocks into its history.

FILE is a history file (YAML or JSON, ``blocks: ...``: the format ``attrition backtest`` reads), each
block optionally with its ``arrival_date``. Every block is stored or none is; a block whose id the
property's history already holds is refused, so a file imported twice is not counted twice. The blocks
feed the property's forecasts of the same segment. Wire it with :func:`add_parser`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.options import DATABASE_HELP

EXIT_OK = 0
EXIT_INVALID = 1


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``import-history`` to ``commands``; its handler, set as ``command``, returns the exit code."""
    parser = commands.add_parser(
        "import-history",
        help="load a history file of past blocks into a property's forecast history",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="history file (blocks: ...), YAML or JSON")
    parser.add_argument(
        "--property", type=int, required=True, metavar="ID", dest="property_id", help="the property's id"
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help=DATABASE_HELP,
    )
    parser.set_defaults(command=handle)
    return parser


def handle(args: argparse.Namespace) -> int:
    # Imported here: `attrition --help` and the other commands do not pay for the models or the database.
    from app.contract_files import ContractFileError, FileProblem, load_file, problem_at
    from app.file_assessment import report
    from app.persistence.db import make_engine, migrate, session_scope
    from app.services.errors import ServiceError
    from app.services.forecasts import HistoryImport, import_history
    from app.services.imports import IMPORTER
    from app.settings import Settings

    path = Path(args.file)
    try:
        document = load_file(path, HistoryImport, "blocks: ...")
    except ContractFileError as error:
        report(error.problems)
        return EXIT_INVALID
    engine = make_engine(Settings.from_environment(args.database_url).database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            try:
                records = import_history(session, IMPORTER, args.property_id, document.blocks)
            except ServiceError as error:
                report(
                    [problem_at(path, p.field, p.message) for p in error.problems]
                    or [FileProblem(str(path), None, "", error.detail)]
                )
                return EXIT_INVALID
            session.commit()
    finally:
        engine.dispose()
    print(f"imported {len(records)} blocks from {path} into the history of property {args.property_id}")
    return EXIT_OK
