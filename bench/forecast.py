"""Forecast benchmark: time to forecast a portfolio of 10,000 contracts with history (docs/rules.md §6).

Builds a synthetic history (1,000 comparable blocks, app/synthetic.py) and a synthetic portfolio of
10,000 contracts with their on-the-books snapshots 30 days out, then times

* ``forecast_pickup``: the projection (low / expected / high per night), the damages of the three
  pickup scenarios and the damages outlook (expected, P90, probability over the forecast's 20
  scenarios); the portfolio path, target under 2 s for 10,000 contracts on one core; and
* ``forecast_exposure`` on a sample: the above plus the break-even per evaluation mode, what
  cancelling today would cost and the reduction rights (per contract).

The history's fits (per segment and lead time) are computed once, as a portfolio run would; that
time is printed separately. Each figure is the median of several runs.

Then, over the database: ``GET /api/v1/exposure`` on a stored portfolio (``--api-contracts``, 500 by
default, with their pickup reported 30 days out and 300 finished blocks in the property's history) in
a fresh SQLite file, in-process (FastAPI's TestClient): reading the contracts, their pickup and the
history, forecasting each and sorting. No target; a figure (``--api-contracts 0`` skips it).

Run by hand: ``uv run python bench/forecast.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

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
    parser.add_argument("--api-contracts", type=int, default=500, help="stored contracts for GET /exposure")
    parser.add_argument("--quick", action="store_true", help="2 runs of 2,000 contracts (100 stored)")
    args = parser.parse_args()
    if args.quick:
        args.contracts, args.runs, args.api_contracts = 2_000, 2, 100
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

    if args.api_contracts > 0:
        exposure_over_the_database(args.api_contracts, args.runs)


def exposure_over_the_database(count: int, runs: int) -> None:
    """Time ``GET /api/v1/exposure`` over ``count`` stored contracts on a fresh SQLite file."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.persistence.db import make_engine, migrate, session_scope
    from app.persistence.records import PropertyRecord
    from app.persistence.repositories import add
    from app.services import auth
    from app.services.actuals import record_pickup
    from app.services.contracts import create_contract
    from app.services.forecasts import HistoryBlockInput, import_history
    from app.services.imports import IMPORTER
    from app.settings import Settings

    portfolio = synthetic_portfolio(count, seed=5, days_before_arrival=30)
    as_of = portfolio[0][0].arrival_date - timedelta(days=portfolio[0][1].days_before_arrival)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'attrition.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        start = time.perf_counter()
        with session_scope(engine) as session:
            hotel = add(session, PropertyRecord(name="Synthetic Hotel", currency="USD"))
            assert hotel.id is not None
            for contract, snapshot in portfolio:
                terms = contract.model_dump(mode="json", exclude={"property"}, exclude_unset=True)
                stored = create_contract(session, IMPORTER, {"property_id": hotel.id, "contract": terms})
                assert stored.record.id is not None
                entries = [
                    {"night": n.night.isoformat(), "room_type": "run of house", "room_nights": n.room_nights}
                    for n in snapshot.nights
                ]
                record_pickup(
                    session, IMPORTER, stored.record.id, {"as_of": as_of.isoformat(), "entries": entries}
                )
            history = [
                HistoryBlockInput.model_validate(block.model_dump(mode="json"), strict=False)
                for block in synthetic_history(300, seed=11)
            ]
            import_history(session, IMPORTER, hotel.id, history)
            _, key = auth.create_api_key(session, "bench", auth.Access.ADMIN, frozenset())
            session.commit()
        print(f"stored {count} contracts and 300 finished blocks in {time.perf_counter() - start:.1f} s")
        app = create_app(Settings(database_url=url), engine)
        times = []
        with TestClient(app) as client:
            for _ in range(max(runs, 2)):
                start = time.perf_counter()
                response = client.get(
                    "/api/v1/exposure",
                    headers={"Authorization": f"Bearer {key}"},
                    params={"as_of": as_of.isoformat(), "limit": 50},
                )
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
                assert response.json()["total"] == count, response.json()["not_forecast"][:3]
        engine.dispose()
    median = statistics.median(times)
    print(
        f"GET /api/v1/exposure: median {median:.3f} s over {count} stored contracts on SQLite "
        f"({median / count * 1e3:.2f} ms per contract; first 50 rows returned)"
    )


if __name__ == "__main__":
    main()
