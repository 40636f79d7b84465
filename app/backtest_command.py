"""``attrition backtest``: how well the pickup forecast did on a history (docs/rules.md §6).

For each lead time it prints the mean absolute percentage error (MAPE) of the chosen method and of
``final = block``, and how often the low-high band held the actual final pickup; then the damages:
the mean absolute error of the expected damages (in currency, and as a share of block revenue) and
the Brier score of the probability of damages, priced with a reference clause (cumulative test at
``--performance`` %, every unused room night at ``--rate``); then the method chosen per segment and
lead time, and why. Wire it with :func:`add_parser`, or run :func:`run_backtest`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from app.resources import resource

if TYPE_CHECKING:  # the models are built on first use: `attrition --help` does not pay for them
    from app.engine.projection import BacktestReport

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
DEFAULT_LEAD_TIMES = (60, 30, 14, 0)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``backtest`` to ``commands``; the handler is set as ``command`` (it returns the exit code)."""
    parser = commands.add_parser(
        "backtest",
        help="backtest the pickup forecast over a history of comparable blocks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _arguments(parser)
    parser.set_defaults(command=handle)
    return parser


def _arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "history", nargs="?", metavar="HISTORY", help="history file (blocks: ...), YAML or JSON"
    )
    source.add_argument("--synthetic", type=int, metavar="N", help="generate N synthetic blocks instead")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic history (default 1)")
    parser.add_argument(
        "--priors", type=Path, default=resource("priors"), metavar="FILE", help="segment priors file"
    )
    parser.add_argument("--folds", type=int, default=10, help="cross-validation folds (default 10)")
    parser.add_argument(
        "--performance",
        type=_bounded(Decimal(1), Decimal(100)),
        default=Decimal(80),
        metavar="PCT",
        help="performance %% of the reference clause that prices damages (1-100, default 80)",
    )
    parser.add_argument(
        "--rate",
        type=_bounded(Decimal("0.01"), Decimal(100_000)),
        default=Decimal(200),
        metavar="AMOUNT",
        help="price of an unused room night in the reference clause (0.01-100000, default 200)",
    )
    parser.add_argument(
        "--lead-times",
        type=_lead_times,
        default=DEFAULT_LEAD_TIMES,
        metavar="DAYS",
        help="comma-separated days before arrival (default 60,30,14,0)",
    )


def _bounded(low: Decimal, high: Decimal) -> Callable[[str], Decimal]:
    def parse(text: str) -> Decimal:
        try:
            value = Decimal(text)
        except ArithmeticError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value.is_finite() or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low}-{high}")
        return value

    return parse


def _lead_times(text: str) -> tuple[int, ...]:
    try:
        days = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of days: {text!r}") from None
    if any(day < 0 for day in days):
        raise argparse.ArgumentTypeError("days before arrival are never negative")
    return days


def run_backtest(argv: list[str] | None = None) -> int:
    """Run ``backtest`` on its own (``argv`` without the command name)."""
    parser = argparse.ArgumentParser(prog="attrition backtest", description=__doc__)
    _arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    return handle(args)


def handle(args: argparse.Namespace) -> int:
    from app.contract_files import ContractFileError
    from app.engine.projection import DamagesReference, HistoricalBlock, backtest
    from app.forecasting import load_history, load_priors
    from app.synthetic import synthetic_history

    if args.synthetic is not None and args.synthetic < 1:
        print("attrition backtest: --synthetic needs at least 1 block", file=sys.stderr)
        return EXIT_USAGE
    if args.folds < 2:
        print("attrition backtest: --folds needs at least 2", file=sys.stderr)
        return EXIT_USAGE
    try:
        priors = load_priors(args.priors)
        blocks: tuple[HistoricalBlock, ...] | list[HistoricalBlock]
        if args.synthetic is not None:
            blocks = synthetic_history(args.synthetic, args.seed)
            described = f"{args.synthetic} synthetic blocks (seed {args.seed})"
        else:
            blocks = load_history(Path(args.history))
            described = f"{len(blocks)} blocks from {args.history}"
    except ContractFileError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    reference = DamagesReference(performance_pct=args.performance, rate=args.rate)
    report = backtest(blocks, priors, args.lead_times, args.folds, reference)
    print(report_text(report, described))
    return EXIT_OK


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))} %"


def report_text(report: BacktestReport, described: str) -> str:
    from app.engine.projection import method_name

    """The backtest as a plain-text table, then the method chosen per segment and lead time."""
    lines = [
        f"Backtest of the pickup forecast on {described}, {report.folds}-fold cross-validation.",
        "",
        f"{'days out':>8}  {'blocks':>6}  {'MAPE chosen':>11}  {'MAPE final=block':>16}  "
        f"{'band coverage':>13}",
    ]
    for lead in report.leads:
        lines.append(
            f"{lead.days_before_arrival:>8}  {lead.blocks:>6}  {_pct(lead.mape_pct):>11}  "
            f"{_pct(lead.block_mape_pct):>16}  {_pct(lead.coverage_pct):>13}"
        )
    lines += [
        "",
        "Damages (reference clause; error of the expected damages against the damages owed, and the",
        "Brier score of the probability of damages: 0 is perfect, always 50 % scores 0.25):",
        "",
        f"{'days out':>8}  {'MAE':>10}  {'MAE / block revenue':>19}  {'Brier':>6}",
    ]
    for lead in report.leads:
        lines.append(
            f"{lead.days_before_arrival:>8}  {lead.damages_mae.quantize(Decimal('0.01')):>10}  "
            f"{_pct(lead.damages_mae_pct):>19}  {lead.brier.quantize(Decimal('0.001')):>6}"
        )
    lines += ["", "Method chosen on the whole history:"]
    for fit in report.choices:
        method = method_name(fit.method)
        lines.append(f"  {fit.segment:<12} {fit.days_before_arrival:>4} days: {method:<21} {fit.reason}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - `python -m app.backtest_command`
    sys.exit(run_backtest())
