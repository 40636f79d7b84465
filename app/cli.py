"""The ``attrition`` command: check contract files, assess them, print the file format's JSON Schema.

This is a shell around the engine: it reads files, reads the clock (for a missing ``as_of``), formats
money for people with Babel, and turns every input problem into ``file:line: field: message``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import backtest_command, history_command, invoice_command
from app.options import database_option, iso_date

if TYPE_CHECKING:  # each command imports what it uses: `attrition --help` builds no model, no database
    import sqlalchemy as sa
    from babel import Locale

    from app.contract_files import FileProblem
    from app.engine import Assessment, Contract, Money
    from app.settings import Settings

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

EPILOG = """\
exit codes:
  0  success
  1  invalid input: a file that cannot be read or does not validate, or a clause that cannot be computed
  2  usage error: unknown command or option, missing argument, malformed date
"""

#: The values of ``app.services.auth.Access``, spelled out so that parsing options imports no database code.
ACCESS_LEVELS = ("read", "read_write", "admin")


class UsageError(Exception):
    """A setting or option that cannot be used (exit code 2)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``EPILOG``)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse exits on --help (0) and on usage errors (2)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        code: int = args.command(args)
    except UsageError as error:
        print(f"attrition: {error}", file=sys.stderr)
        return EXIT_USAGE
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
        help="run the web service (on the embedded database: migrates it and loads the samples)",
        description=(
            "Run the web service (uvicorn). Options override the ATTRITION_* settings of the environment.\n\n"
            "On the embedded default database (the SQLite file in the data directory, used when no\n"
            "database is configured) serve migrates the schema and, on the first start (no property yet),\n"
            "loads the sample contracts with a demo administrator and a demo API key. On any other\n"
            "database it refuses to start until `attrition migrate` has brought the schema up to date\n"
            "(the release step, run once), and loads the samples only with --demo. On the embedded\n"
            "default the demo credentials are written to demo-credentials.txt in the data directory and,\n"
            "while that file exists, printed at each start; with --demo elsewhere they are printed once.\n"
            "One line each: 'email: ...', 'password: ...', 'api key: ...'."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    database_option(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--workers", type=int, metavar="N", help="worker processes (default 1)")
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="read the client address and scheme from X-Forwarded-For/-Proto (needs --forwarded-allow-ips)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="comma-separated addresses of the proxies whose forwarded headers are trusted (default: none)",
    )
    serve.add_argument("--root-path", metavar="PATH", help="path prefix the proxy serves the site under")
    demo = serve.add_mutually_exclusive_group()
    demo.add_argument(
        "--demo", action="store_true", help="load the samples into an empty database even if not embedded"
    )
    demo.add_argument(
        "--no-demo", action="store_true", help="do not load the sample contracts into an empty database"
    )
    serve.set_defaults(command=_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date", epilog=EPILOG)
    database_option(migrate)
    migrate.set_defaults(command=_migrate)

    worker = commands.add_parser(
        "worker",
        help="run the background jobs on PostgreSQL (procrastinate): snapshots, retention, webhooks, batches",
        epilog=EPILOG,
    )
    database_option(worker)
    worker.add_argument(
        "--until-empty", action="store_true", help="stop once the queue is empty instead of waiting for jobs"
    )
    worker.set_defaults(command=_worker)

    prune = commands.add_parser(
        "prune",
        help="delete idempotency keys over 24 hours old, expired sessions and day-old failed sign-ins",
        epilog=EPILOG,
    )
    database_option(prune)
    prune.set_defaults(command=_prune)

    store = commands.add_parser(
        "import",
        help="store contract files (and their actuals) in the database",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    database_option(store)
    store.add_argument("files", nargs="+", metavar="FILE", help="contract file, YAML or JSON")
    store.set_defaults(command=_import)

    user = commands.add_parser("add-user", help="add a staff user (password read from stdin)", epilog=EPILOG)
    database_option(user)
    user.add_argument("email")
    user.add_argument("--name", default="")
    user.add_argument("--admin", action="store_true", help="may see and change every property")
    user.add_argument("--property", type=int, action="append", default=[], metavar="ID", dest="properties")
    user.set_defaults(command=_add_user)

    key = commands.add_parser("add-key", help="create an API key and print it (shown once)", epilog=EPILOG)
    database_option(key)
    key.add_argument("name")
    key.add_argument("--access", choices=ACCESS_LEVELS, default="read")
    key.add_argument("--property", type=int, action="append", default=[], metavar="ID", dest="properties")
    key.set_defaults(command=_add_key)

    hooks = commands.add_parser(
        "webhooks",
        help="send due webhook deliveries, or scan for deadlines and alert levels, once",
        epilog=EPILOG,
    )
    hooks_commands = hooks.add_subparsers(title="webhook commands", required=True, metavar="COMMAND")
    deliver = hooks_commands.add_parser(
        "deliver", help="send the deliveries that are due (and record each try)", epilog=EPILOG
    )
    database_option(deliver)
    deliver.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    deliver.set_defaults(command=_webhooks_deliver)
    scan = hooks_commands.add_parser(
        "scan",
        help="write deadline.approaching and threshold.crossed events for today at each hotel",
        epilog=EPILOG,
    )
    database_option(scan)
    scan.set_defaults(command=_webhooks_scan)

    backtest_command.add_parser(commands)
    history_command.add_parser(commands)
    invoice_command.add_invoice_parser(commands)
    return parser


def settings_from(**options: Any) -> Settings:
    """The environment's settings with the given command-line options (those not ``None``) over them."""
    from pydantic import ValidationError

    from app.settings import Settings

    try:
        return Settings(**{name: value for name, value in options.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"{error_['loc'][0]} (--{str(error_['loc'][0]).replace('_', '-')} or "
            f"ATTRITION_{str(error_['loc'][0]).upper()}): {error_['msg']}"
            for error_ in error.errors(include_url=False)
        )
        raise UsageError(problems) from None


def _database(args: argparse.Namespace) -> tuple[Settings, sa.Engine]:
    from app.persistence.db import make_engine, migrate

    settings = settings_from(database_url=args.database_url)
    engine = make_engine(settings.database_url)
    migrate(engine)
    return settings, engine


# --- commands ----------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from app.file_assessment import report

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
    from app.contract_files import ContractFileError, load_document, problem_at
    from app.engine import EngineError, assess

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
    from pydantic import TypeAdapter

    from app.contract_files import ContractFileError
    from app.engine import Assessment
    from app.file_assessment import assess_file, report

    path = Path(args.file)
    try:
        result = assess_file(path, Path(args.actuals) if args.actuals else None, args.as_of)
    except ContractFileError as error:
        report(error.problems)
        return EXIT_INVALID
    document, assessment = result.document, result.assessment
    if args.format == "json":
        print(json.dumps(TypeAdapter(Assessment).dump_python(assessment, mode="json"), indent=2))
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
    from app.documents import ContractDocument

    return json.dumps(ContractDocument.model_json_schema(), indent=2) + "\n"


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.observability import logging_config
    from app.persistence.db import make_engine, migrate, schema_is_current

    if args.proxy_headers and not (
        args.forwarded_allow_ips or os.environ.get("ATTRITION_FORWARDED_ALLOW_IPS")
    ):
        raise UsageError("--proxy-headers needs --forwarded-allow-ips: the addresses of the trusted proxies")
    settings = settings_from(
        database_url=args.database_url,
        host=args.host,
        port=args.port,
        workers=args.workers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        root_path=args.root_path,
    )
    engine = make_engine(settings.database_url)
    shown = engine.url.render_as_string()
    try:
        if settings.is_embedded:
            migrate(engine)
        elif not schema_is_current(engine):
            print(
                f"attrition: the database schema of {shown} is not up to date; run\n"
                f"  attrition migrate --database-url {shown}\n"
                "first (the release step), then start serve again.",
                file=sys.stderr,
            )
            return EXIT_INVALID
        demo = not args.no_demo and (args.demo or settings.is_embedded)
        loaded = _load_demo(settings, engine) if demo else None
    finally:
        engine.dispose()
    url = f"http://{settings.host}:{settings.port}{settings.root_path}"
    print(f"attrition on {url}  (API docs {url}/docs; database {shown})")
    print(f"Data directory: {settings.data_dir}")
    if demo and settings.is_embedded and settings.demo_credentials.exists():
        print(f"Demo credentials ({settings.demo_credentials}):")
        print(settings.demo_credentials.read_text(), end="")
    elif loaded is not None:  # kept only for the embedded default: another database may be shared
        print("Demo credentials (shown once):")
        print(loaded, end="")
    sys.stdout.flush()  # before uvicorn takes over: a pipe (a log, a test) sees the credentials now
    # Every worker (and a single in-process server alike) builds its app with ``create_app()`` from
    # the environment, so the settings, command-line options included, go there.
    os.environ.update(settings_environment(settings))
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts into files here, and /metrics adds every worker's up (prometheus-client's
        # multiprocess mode); a fresh folder per start, as the library requires.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="attrition-metrics-")
    trusted = settings.forwarded_allow_ips.strip()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # uvicorn trusts 127.0.0.1 by default, which would let anyone on the machine choose the client
        # address the login limit counts; forwarded headers are read only from configured proxies.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        root_path=settings.root_path,
        log_config=logging_config(settings.log_format, settings.log_level),
    )
    return EXIT_OK


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``ATTRITION_*`` environment variables (what ``Settings()`` reads back)."""
    return {
        f"ATTRITION_{name.upper()}": str(value)
        for name, value in settings.model_dump().items()
        if value is not None
    }


def _load_demo(settings: Settings, engine: sa.Engine) -> str | None:
    """On an empty database: the sample contracts, a demo administrator and API key. Returns the
    credentials as printed lines (``None`` if the database was not empty); on the embedded default they
    are also written to the data directory, readable by the owner only."""
    from app.contract_files import load_document
    from app.persistence.db import session_scope
    from app.resources import sample_contracts
    from app.services.imports import is_empty, load_demo

    with session_scope(engine) as session:
        if not is_empty(session):
            return None
        documents = [(path, load_document(path)) for path in sample_contracts()]
        # The demo tells a live story: the samples are placed around today (their files keep their dates).
        credentials = load_demo(session, documents, today=datetime.now(UTC).date())
        session.commit()
    lines = f"email: {credentials.email}\npassword: {credentials.password}\napi key: {credentials.api_key}\n"
    if settings.is_embedded:
        saved = settings.demo_credentials
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.touch(mode=0o600)
        saved.chmod(0o600)
        saved.write_text(lines)
    print(f"Loaded {len(documents)} sample contracts.")
    return lines


def _migrate(args: argparse.Namespace) -> int:
    """The release step: run once per release, before starting ``serve`` on a database it does not own.

    On PostgreSQL concurrent runs wait for each other (an advisory lock), so a deploy may run it from
    every replica."""
    _, engine = _database(args)
    engine.dispose()
    print(f"database at the latest migration: {engine.url.render_as_string()}")
    return EXIT_OK


def _worker(args: argparse.Namespace) -> int:
    """The background jobs of app/jobs.py, on PostgreSQL; on SQLite `serve` runs them itself."""
    from app.jobs import run_worker
    from app.persistence.db import make_engine, schema_is_current

    settings = settings_from(database_url=args.database_url)
    engine = make_engine(settings.database_url)
    if engine.dialect.name != "postgresql":
        raise UsageError(
            "the worker needs PostgreSQL (--database-url or ATTRITION_DATABASE_URL); on SQLite "
            "`attrition serve` runs the background jobs itself"
        )
    if not schema_is_current(engine):
        print(
            "attrition: the database schema is not up to date; run `attrition migrate` first", file=sys.stderr
        )
        return EXIT_INVALID
    print(f"attrition worker on {engine.url.render_as_string()}", flush=True)
    try:
        run_worker(engine, settings.data_dir, wait=not args.until_empty)
    finally:
        engine.dispose()
    return EXIT_OK


def _prune(args: argparse.Namespace) -> int:
    """Retention (app/services/retention.py): run it from a timer, for example hourly."""
    from app.persistence.db import session_scope
    from app.persistence.records import utc_now
    from app.services.retention import prune

    _, engine = _database(args)
    with session_scope(engine) as session:
        pruned = prune(session, utc_now())
        session.commit()
    engine.dispose()
    print(
        f"deleted {pruned.idempotency_records} idempotency records, {pruned.staff_sessions} expired "
        f"sessions, {pruned.login_attempts} old failed sign-ins, {pruned.webhook_deliveries} finished "
        f"webhook deliveries and {pruned.webhook_events} delivered webhook events"
    )
    return EXIT_OK


def _webhooks_deliver(args: argparse.Namespace) -> int:
    """One pass of webhook delivery (app/services/webhooks.py): run it from a timer, e.g. every 5 s."""
    from app.services.webhooks import deliver_due

    if not 1 <= args.limit <= 1000:
        raise UsageError("--limit must be between 1 and 1000")
    _, engine = _database(args)
    delivered = deliver_due(engine, limit=args.limit)
    engine.dispose()
    print(f"delivered {delivered} webhook messages")
    return EXIT_OK


def _webhooks_scan(args: argparse.Namespace) -> int:
    """One scan for deadlines and alert levels (app/services/webhooks.py): run it hourly, say."""
    from app.services.webhooks import scan_deadlines

    _, engine = _database(args)
    written = scan_deadlines(engine)
    engine.dispose()
    print(f"wrote {written} webhook events")
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from app.contract_files import ContractFileError, FileProblem, load_document, problem_at
    from app.file_assessment import report
    from app.persistence.db import session_scope
    from app.services.errors import ServiceError
    from app.services.imports import import_document

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
    from app.contract_files import FileProblem
    from app.file_assessment import report
    from app.persistence.db import session_scope
    from app.services.auth import create_staff_user
    from app.services.errors import ServiceError

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
    from app.contract_files import FileProblem
    from app.file_assessment import report
    from app.persistence.db import session_scope
    from app.services.auth import Access, create_api_key
    from app.services.errors import ServiceError

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
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(contract.property.locale)
    except UnknownLocaleError:
        return None


def _unknown_locale(path: Path, contract: Contract) -> FileProblem:
    from app.contract_files import problem_at

    return problem_at(
        path,
        "contract.property.locale",
        f"unknown locale {contract.property.locale!r}: use a language code such as 'en' or 'fr_CA'",
    )


# --- the text report ---------------------------------------------------------------------------


def assessment_text(contract: Contract, assessment: Assessment, locale: Locale) -> str:
    """A readable report: header, line items with their working, total, terms and caveats."""
    from babel.numbers import format_currency

    from app.wording import wording

    said = wording("en", locale).say

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
    rows = [(said(line.label), money(line.amount)) for line in assessment.lines]
    footer = [("Total", money(assessment.total))]
    if not assessment.unapplied_credit.is_zero():
        footer.append(("Credit not applied", money(assessment.unapplied_credit)))
    label_width = max(len(label) for label, _ in rows + footer)
    amount_width = max(len(amount) for _, amount in rows + footer)
    for line, (label, amount) in zip(assessment.lines, rows, strict=True):
        out.append(f"{label:<{label_width}}  {amount:>{amount_width}}")
        out.extend(f"    {said(step)}" for step in line.steps)
    if not rows:
        out.append("No line items.")
    out.append("")
    out.extend(f"{label:<{label_width}}  {amount:>{amount_width}}" for label, amount in footer)
    out += _section(
        "Terms that decided it",
        (f"{said(term.text)} (default)" if term.is_default else said(term.text) for term in assessment.terms),
    )
    out += _section(
        "Assumptions (terms the contract left to the default)",
        (said(term.text) for term in assessment.assumptions),
    )
    out += _section("Warnings", (said(warning) for warning in assessment.warnings))
    out += _section("Conditions", (said(condition) for condition in assessment.conditions))
    return "\n".join(out) + "\n"


def _section(title: str, items: Iterable[str]) -> Sequence[str]:
    listed = [f"  - {item}" for item in items]
    return ["", title, *(listed or ["  (none)"])]
