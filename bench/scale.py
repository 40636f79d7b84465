"""Scale benchmark: how the cost of one contract's reads grows with the length of its stay.

For stays of 3, 30, 120 and 400 nights (4 room types a night, per-night attrition with credit, an F&B
minimum, a reduction right, a cancellation scale, pickup reported 30 days before arrival and at
departure), it stores the contract in a fresh embedded SQLite file and times, through the whole app
(Starlette's TestClient, in process):

* ``assess``: ``GET /contracts/{id}/assessment`` at departure,
* ``forecast``: ``GET /contracts/{id}/forecast`` 30 days before arrival (projection, break-even per
  night, the reduction right used now and not),
* ``report``: ``GET /contracts/{id}/report.pdf`` on the same day (the forecast, the chart and the PDF),
* ``invoice``: ``POST /contracts/{id}/invoices`` at departure (assessment, PDF, stored), each one then
  credited (not timed) so that the next can be issued,
* ``page``: the staff contract page ``GET /contracts/{id}`` 30 days before arrival.

It prints the median of ``--runs`` runs of each, as CPU seconds of this process (the app runs in it,
on TestClient's worker thread, so the figure is the work a request costs, whatever else the shared
machine is doing) and as wall-clock seconds, and the growth ratio: the CPU time per night at 400
nights over the time per night at 30 (1.0 is linear growth; below 1, the fixed cost still dominates).
The target is a 400-night report under 3 s.

Run by hand: ``uv run python bench/scale.py [--runs N] [--nights 3,30,120,400]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.api.deps import SESSION_COOKIE
from app.main import create_app
from app.persistence.db import make_engine, migrate
from app.services import auth
from app.settings import Settings

ARRIVAL = date(2027, 3, 1)
ROOM_TYPES = ("king", "queen", "double", "suite")
OPERATIONS = ("assess", "forecast", "report", "invoice", "page")
TARGET_REPORT_SECONDS = 3.0


def long_contract(nights: int, reference: str) -> dict[str, Any]:
    """``nights`` nights of 4 room types with every clause that prices per night."""
    block = [
        {
            "night": (ARRIVAL + timedelta(days=offset)).isoformat(),
            "room_type": room_type,
            "rooms": 20 + (offset * 7 + index * 3) % 30,
            "rate": f"{180 + index * 40 + offset % 5}.00",
        }
        for offset in range(nights)
        for index, room_type in enumerate(ROOM_TYPES)
    ]
    return {
        "id": reference,
        "name": f"Project crew {nights} nights",
        "group": {"name": f"Project crew {nights} nights", "segment": "corporate"},
        "currency": "USD",
        "arrival_date": ARRIVAL.isoformat(),
        "departure_date": (ARRIVAL + timedelta(days=nights)).isoformat(),
        "cutoff_date": (ARRIVAL - timedelta(days=21)).isoformat(),
        "block": block,
        "reduction_rights": [{"until_days_before_arrival": 14, "max_pct": 10}],
        "attrition": {
            "performance_pct": 80,
            "damages_pct": 80,
            "evaluation_mode": "per_night_with_credit",
        },
        "fnb": {"minimum": f"{nights * 1000}.00"},
        "cancellation": {
            "tiers": [
                {"min_days": 0, "max_days": 30, "pct": 100},
                {"min_days": 31, "max_days": 90, "pct": 50},
                {"min_days": 91, "pct": 0},
            ]
        },
    }


def pickup(contract: dict[str, Any], share: float, as_of: date) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "entries": [
            {
                "night": cell["night"],
                "room_type": cell["room_type"],
                "room_nights": int(cell["rooms"] * share),
            }
            for cell in contract["block"]
        ],
    }


class Service:
    """A fresh SQLite file with one hotel, a read-write key and a staff user, served by TestClient."""

    def __init__(self, folder: str) -> None:
        url = f"sqlite:///{folder}/attrition.sqlite3"
        self.engine = make_engine(url)
        migrate(self.engine)
        with Session(self.engine) as session:
            _, key = auth.create_api_key(session, "bench", auth.Access.ADMIN, frozenset())
            user = auth.create_staff_user(
                session, "bench@example.com", "a long bench password", is_admin=True
            )
            cookie = auth.open_staff_session(session, user)
            session.commit()
        self.headers = {"Authorization": f"Bearer {key}"}
        self.client = TestClient(create_app(Settings(database_url=url), self.engine))
        self.client.__enter__()
        created = self.client.post(
            "/api/v1/properties",
            headers=self.headers,
            json={"name": "Scale Hotel", "currency": "USD", "timezone": "UTC"},
        )
        assert created.status_code == 201, created.text
        self.property_id = created.json()["id"]
        self.client.cookies.set(SESSION_COOKIE, cookie)

    def store(self, nights: int) -> int:
        contract = long_contract(nights, f"crew-{nights}")
        created = self.client.post(
            "/api/v1/contracts",
            headers=self.headers,
            json={"property_id": self.property_id, "contract": contract},
        )
        assert created.status_code == 201, created.text
        contract_id: int = created.json()["id"]
        for share, day in ((0.5, ARRIVAL - timedelta(days=30)), (0.6, ARRIVAL + timedelta(days=nights))):
            posted = self.client.post(
                f"/api/v1/contracts/{contract_id}/pickup",
                headers=self.headers,
                json=pickup(contract, share, day),
            )
            assert posted.status_code == 201, posted.text
        return contract_id

    def operations(self, contract_id: int, nights: int) -> dict[str, Callable[[], None]]:
        before = (ARRIVAL - timedelta(days=30)).isoformat()
        departure = (ARRIVAL + timedelta(days=nights)).isoformat()
        base = f"/api/v1/contracts/{contract_id}"

        def get(url: str) -> Callable[[], None]:
            def call() -> None:
                response = self.client.get(url, headers=self.headers)
                assert response.status_code == 200, response.text[:500]

            return call

        def invoice() -> None:
            issued = self.client.post(
                f"{base}/invoices",
                headers=self.headers,
                json={"as_of": departure, "issue_date": departure},
            )
            assert issued.status_code == 201, issued.text[:500]
            self._credit(issued.json()["number"], departure)

        def page() -> None:
            response = self.client.get(f"/contracts/{contract_id}?as_of={before}")
            assert response.status_code == 200, response.text[:500]

        return {
            "assess": get(f"{base}/assessment?as_of={departure}"),
            "forecast": get(f"{base}/forecast?as_of={before}"),
            "report": get(f"{base}/report.pdf?as_of={before}"),
            "invoice": invoice,
            "page": page,
        }

    def _credit(self, number: str, day: str) -> None:
        credited = self.client.post(
            f"/api/v1/invoices/{number}/credit-note",
            headers=self.headers,
            json={"reason": "bench", "issue_date": day},
        )
        assert credited.status_code == 201, credited.text[:500]

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.engine.dispose()


def timed(call: Callable[[], None]) -> tuple[float, float]:
    """CPU seconds of this process and wall-clock seconds of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each operation (the median is shown)")
    parser.add_argument("--nights", default="3,30,120,400", help="stay lengths, comma-separated")
    args = parser.parse_args()
    lengths = [int(text) for text in args.nights.split(",")]
    print(f"python {platform.python_version()}, {platform.machine()}, median of {args.runs} runs")
    print("CPU seconds (wall-clock seconds in brackets)")
    print(f"{'nights':>6} {'cells':>6} " + " ".join(f"{name:>15}" for name in OPERATIONS))
    medians: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        service = Service(folder)
        try:
            for nights in lengths:
                contract_id = service.store(nights)
                operations = service.operations(contract_id, nights)
                for call in operations.values():  # warm: imports, templates, fonts, catalogs
                    call()
                runs = {name: [timed(call) for _ in range(args.runs)] for name, call in operations.items()}
                medians[nights] = {name: statistics.median(c for c, _ in runs[name]) for name in OPERATIONS}
                walls = {name: statistics.median(w for _, w in runs[name]) for name in OPERATIONS}
                row = " ".join(f"{medians[nights][name]:6.3f} ({walls[name]:6.3f})" for name in OPERATIONS)
                print(f"{nights:>6} {nights * len(ROOM_TYPES):>6} {row}", flush=True)
        finally:
            service.close()
    if 30 in medians and 400 in medians:
        ratios = " ".join(
            f"{medians[400][name] / 400 / (medians[30][name] / 30):15.2f}" for name in OPERATIONS
        )
        print(f"{'growth':>13} {ratios}   (CPU per night at 400 / at 30)")
    if 400 in medians:
        report = medians[400]["report"]
        verdict = "met" if report < TARGET_REPORT_SECONDS else "NOT met"
        print(f"400-night report {report:.2f} CPU s: target < {TARGET_REPORT_SECONDS:.0f} s {verdict}")
        return 0 if report < TARGET_REPORT_SECONDS else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
