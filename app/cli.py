"""The ``attrition`` command: check contract files, assess them, print the file format's JSON Schema.

This is a shell around the engine: it reads files, reads the clock (for a missing ``as_of``), formats
money for people with Babel, and turns every input problem into ``file:line: field: message``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from pydantic import TypeAdapter

from app import backtest_command, history_command, invoice_command
from app.contract_files import ContractFileError, FileProblem, load_document, problem_at
from app.documents import ContractDocument
from app.engine import Assessment, Contract, EngineError, Money, assess
from app.file_assessment import assess_file, iso_date, report
from app.persistence.db import make_engine, migrate, session_scope
from app.services.auth import Access, create_api_key, create_staff_user
from app.services.errors import ServiceError
from app.services.imports import import_document, is_empty, load_demo
from app.settings import DEFAULT_DATABASE_PATH, Settings

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

EPILOG = """\
exit codes:
  0  success
  1  invalid input: a file that cannot be read or does not validate, or a clause that cannot be computed
  2  usage error: unknown command or option, missing argument, malformed date
"""

_ASSESSMENT = TypeAdapter(Assessment)
DEMO_CREDENTIALS = DEFAULT_DATABASE_PATH.parent / "demo-credentials.txt"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``EPILOG``)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse exits on --help (0) and on usage errors (2)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    code: int = args.command(args)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attrition",
        description="Hotel group attrition and cancellation damages, explained.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="validate contract files (and assess those that carry actuals)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="contract file, YAML or JSON")
    check.set_defaults(command=_check)

    run = commands.add_parser(
        "assess",
        help="assess what the group owes under a contract file",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("file", metavar="FILE", help="contract file, YAML or JSON")
    run.add_argument(
        "--actuals", metavar="FILE", help="actuals file (default: the contract file's actuals, else none)"
    )
    run.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="assess as of this date (default: the contract file's as_of, else today)",
    )
    run.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    run.set_defaults(command=_assess)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of contract files",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.set_defaults(command=_schema)

    serve = commands.add_parser(
        "serve",
        help="run the web service (migrates the database; loads the samples on first start)",
        description=(
            "Run the web service; the database is migrated first.\n\n"
            "On the first start (no property yet), unless --no-demo, the sample contracts in ./contracts\n"
            "are loaded with a demo administrator and a demo API key. The credentials are written to\n"
            f"{DEMO_CREDENTIALS} (under the working directory) and, while that file exists, printed\n"
            "at each start, one line each: 'email: ...', 'password: ...', 'api key: ...'."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _database_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--no-demo", action="store_true", help="do not load the sample contracts into an empty database"
    )
    serve.set_defaults(command=_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date", epilog=EPILOG)
    _database_option(migrate)
    migrate.set_defaults(command=_migrate)

    store = commands.add_parser(
        "import",
        help="store contract files (and their actuals) in the database",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _database_option(store)
    store.add_argument("files", nargs="+", metavar="FILE", help="contract file, YAML or JSON")
    store.set_defaults(command=_import)

    user = commands.add_parser("add-user", help="add a staff user (password read from stdin)", epilog=EPILOG)
    _database_option(user)
    user.add_argument("email")
    user.add_argument("--name", default="")
    user.add_argument("--admin", action="store_true", help="may see and change every property")
    user.add_argument("--property", type=int, action="append", default=[], metavar="ID", dest="properties")
    user.set_defaults(command=_add_user)

    key = commands.add_parser("add-key", help="create an API key and print it (shown once)", epilog=EPILOG)
    _database_option(key)
    key.add_argument("name")
    key.add_argument("--access", choices=[access.value for access in Access], default=Access.READ.value)
    key.add_argument("--property", type=int, action="append", default=[], metavar="ID", dest="properties")
    key.set_defaults(command=_add_key)

    backtest_command.add_parser(commands)
    history_command.add_parser(commands)
    invoice_command.add_invoice_parser(commands)
    return parser


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database (default: $ATTRITION_DATABASE_URL, else the SQLite file var/attrition.sqlite3)",
    )


def _database(args: argparse.Namespace) -> tuple[Settings, sa.Engine]:
    settings = Settings.from_environment(args.database_url)
    engine = make_engine(settings.database_url)
    migrate(engine)
    return settings, engine


# --- commands ----------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    code = EXIT_OK
    for name in args.files:
        problems = _file_problems(Path(name))
        if problems:
            code = EXIT_INVALID
            report(problems)
        else:
            print(f"ok {name}")
    return code


def _file_problems(path: Path) -> list[FileProblem]:
    try:
        document = load_document(path)
    except ContractFileError as error:
        return error.problems
    problems = []
    if _locale(document.contract) is None:
        problems.append(_unknown_locale(path, document.contract))
    if document.actuals is not None:
        try:
            assess(document.contract, document.actuals, document.as_of or date.today())
        except EngineError as error:
            problems.append(problem_at(path, error.field or "", error.message))
    return problems


def _assess(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        result = assess_file(path, Path(args.actuals) if args.actuals else None, args.as_of)
    except ContractFileError as error:
        report(error.problems)
        return EXIT_INVALID
    document, assessment = result.document, result.assessment
    if args.format == "json":
        print(json.dumps(_ASSESSMENT.dump_python(assessment, mode="json"), indent=2))
        return EXIT_OK
    locale = _locale(document.contract)
    if locale is None:
        report([_unknown_locale(path, document.contract)])
        return EXIT_INVALID
    print(assessment_text(document.contract, assessment, locale), end="")
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    print(schema_text(), end="")
    return EXIT_OK


def schema_text() -> str:
    """The JSON Schema of contract files, as committed in ``contracts/schema.json``."""
    return json.dumps(ContractDocument.model_json_schema(), indent=2) + "\n"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    settings, engine = _database(args)
    with session_scope(engine) as session:
        first_start = is_empty(session)
        if first_start and not args.no_demo:
            documents = []
            for path in sorted(Path("contracts").glob("*.yaml")) + sorted(Path("contracts").glob("*.json")):
                if path.name != "schema.json":
                    documents.append((path, load_document(path)))
            # The demo tells a live story: the samples are placed around today (their files keep their dates).
            credentials = load_demo(session, documents, today=datetime.now(UTC).date())
            session.commit()
            DEMO_CREDENTIALS.parent.mkdir(parents=True, exist_ok=True)
            DEMO_CREDENTIALS.write_text(
                f"email: {credentials.email}\n"
                f"password: {credentials.password}\n"
                f"api key: {credentials.api_key}\n"
            )
            DEMO_CREDENTIALS.chmod(0o600)
            print(f"Loaded {len(documents)} sample contracts.")
    url = f"http://{args.host}:{args.port}"
    print(f"attrition on {url}  (API docs {url}/docs; database {engine.url.render_as_string()})")
    if DEMO_CREDENTIALS.exists() and not args.no_demo:
        print(f"Demo credentials ({DEMO_CREDENTIALS}):")
        print(DEMO_CREDENTIALS.read_text(), end="")
    sys.stdout.flush()  # before uvicorn takes over: a pipe (a log, a test) sees the credentials now
    uvicorn.run(create_app(settings, engine), host=args.host, port=args.port, log_level="info")
    return EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    _, engine = _database(args)
    print(f"database at the latest migration: {engine.url.render_as_string()}")
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    problems: list[FileProblem] = []
    documents = []
    for name in args.files:
        try:
            documents.append((name, load_document(Path(name))))
        except ContractFileError as error:
            problems += error.problems
    if problems:
        report(problems)
        return EXIT_INVALID
    _, engine = _database(args)
    done = []
    with session_scope(engine) as session:
        for name, document in documents:
            try:
                with session.begin_nested():
                    imported = import_document(session, document)
            except ServiceError as error:
                problems += [problem_at(Path(name), p.field, p.message) for p in error.problems] or [
                    FileProblem(name, None, "", error.detail)
                ]
                continue
            done.append(
                f"imported {name} as contract {imported.contract_id} (property {imported.property_id})"
            )
        if problems:
            report(problems)
            return EXIT_INVALID  # nothing is committed: a partial import helps no one
        session.commit()
    print("\n".join(done))  # only once committed: a rolled-back import was never "imported"
    return EXIT_OK


def _add_user(args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n")
    _, engine = _database(args)
    with session_scope(engine) as session:
        try:
            user = create_staff_user(
                session,
                args.email,
                password,
                name=args.name,
                is_admin=args.admin,
                property_ids=frozenset(args.properties),
            )
        except ServiceError as error:
            report(FileProblem("add-user", None, p.field, p.message) for p in error.problems)
            return EXIT_INVALID
        session.commit()
    print(f"added {user.email}")
    return EXIT_OK


def _add_key(args: argparse.Namespace) -> int:
    _, engine = _database(args)
    with session_scope(engine) as session:
        try:
            _, raw = create_api_key(session, args.name, Access(args.access), frozenset(args.properties))
        except ServiceError as error:
            report(FileProblem("add-key", None, p.field, p.message) for p in error.problems)
            return EXIT_INVALID
        session.commit()
    print(raw)
    return EXIT_OK


def _locale(contract: Contract) -> Locale | None:
    try:
        return Locale.parse(contract.property.locale)
    except UnknownLocaleError:
        return None


def _unknown_locale(path: Path, contract: Contract) -> FileProblem:
    return problem_at(
        path,
        "contract.property.locale",
        f"unknown locale {contract.property.locale!r}: use a language code such as 'en' or 'fr_CA'",
    )


# --- the text report ---------------------------------------------------------------------------


def assessment_text(contract: Contract, assessment: Assessment, locale: Locale) -> str:
    """A readable report: header, line items with their working, total, terms and caveats."""

    def money(value: Money) -> str:
        return format_currency(value.amount, value.currency, locale=locale)

    title = f"{contract.name} ({contract.id})" if contract.name else contract.id
    status = "final" if assessment.is_final else "provisional"
    out = [
        f"Contract  {title}",
        f"Property  {contract.property.name}",
        f"Group     {contract.group.name}",
        f"As of     {assessment.as_of.isoformat()} ({status})",
        f"Remedy    {assessment.remedy}",
        "",
    ]
    rows = [(line.label, money(line.amount)) for line in assessment.lines]
    footer = [("Total", money(assessment.total))]
    if not assessment.unapplied_credit.is_zero():
        footer.append(("Credit not applied", money(assessment.unapplied_credit)))
    label_width = max(len(label) for label, _ in rows + footer)
    amount_width = max(len(amount) for _, amount in rows + footer)
    for line, (label, amount) in zip(assessment.lines, rows, strict=True):
        out.append(f"{label:<{label_width}}  {amount:>{amount_width}}")
        out.extend(f"    {step}" for step in line.steps)
    if not rows:
        out.append("No line items.")
    out.append("")
    out.extend(f"{label:<{label_width}}  {amount:>{amount_width}}" for label, amount in footer)
    out += _section(
        "Terms that decided it",
        (f"{term.text} (default)" if term.is_default else term.text for term in assessment.terms),
    )
    out += _section(
        "Assumptions (terms the contract left to the default)",
        (f"{term.name} = {term.value}" for term in assessment.assumptions),
    )
    out += _section("Warnings", assessment.warnings)
    out += _section("Conditions", assessment.conditions)
    return "\n".join(out) + "\n"


def _section(title: str, items: Iterable[str]) -> Sequence[str]:
    listed = [f"  - {item}" for item in items]
    return ["", title, *(listed or ["  (none)"])]
