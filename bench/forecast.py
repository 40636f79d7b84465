"""Forecast benchmark: time to forecast a portfolio of 10,000 contracts with history (domain.md §6).

Builds a synthetic history (1,000 comparable blocks, app/synthetic.py) and a synthetic portfolio of
10,000 contracts with their on-the-books snapshots 30 days out, then times

* ``forecast_pickup``: the projection (low / expected / high per night) and the damages of the three
  scenarios; the portfolio path, target under 2 s for 10,000 contracts on one core; and
* ``forecast_exposure`` on a sample: the above plus the break-even search, the probability of
  damages and the reduction rights (per contract).

The history's fits (per segment and lead time) are computed once, as a portfolio run would; that
time is printed separately. Each figure is the median of several runs.

Run by hand: ``uv run python bench/forecast.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from app.engine.forecast import forecast_exposure, forecast_pickup
from app.engine.projection import History
from app.forecasting import load_priors
from app.synthetic import synthetic_history, synthetic_portfolio

TARGET_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 runs of 2,000 contracts")
    args = parser.parse_args()
    if args.quick:
        args.contracts, args.runs = 2_000, 2
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    priors = load_priors()
    blocks = synthetic_history(args.history, seed=7)
    portfolio = synthetic_portfolio(args.contracts, seed=3, days_before_arrival=30)
    print(f"Python {platform.python_version()} on {platform.machine()}, one core")
    print(f"{args.contracts} contracts, {args.history} comparable blocks, snapshot 30 days out")

    start = time.perf_counter()
    history = History(blocks, priors)
    for segment in {contract.group.segment for contract, _ in portfolio}:
        history.fit(segment, 30)
    print(f"fitting the history (all segments, one lead time): {time.perf_counter() - start:.3f} s")

    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for contract, snapshot in portfolio:
            forecast_pickup(contract, snapshot, history)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    verdict = "meets" if median < TARGET_SECONDS * args.contracts / 10_000 else "MISSES"
    print(
        f"forecast_pickup:   median {median:.3f} s for {args.contracts} contracts, "
        f"{median / args.contracts * 1e6:.0f} µs per contract ({verdict} the 2 s / 10,000 target)"
    )

    sample = portfolio[: max(1, args.contracts // 10)]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for contract, snapshot in sample:
            forecast_exposure(contract, snapshot, history)
        times.append(time.perf_counter() - start)
    per = statistics.median(times) / len(sample)
    print(
        f"forecast_exposure: {per * 1e6:.0f} µs per contract on {len(sample)} contracts "
        f"(≈ {per * args.contracts:.2f} s for {args.contracts}; break-even search and reduction rights)"
    )


if __name__ == "__main__":
    main()
