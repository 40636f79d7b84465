"""Invoice numbers under parallel issue requests on PostgreSQL: consecutive, no gap, no duplicate.

The requests go to the real uvicorn server of ``test_concurrency`` (its fixtures are imported here), each
from its own thread and connection, released together by a barrier; each commits to
``committed_engine``'s database. Two of them fail on purpose: one names a language with no catalog
(refused before a number is taken), one asks for a second invoice of a contract that another request of
the race is invoicing (refused after taking the number, under the lock, so its increment must be rolled
back). Neither may leave a gap.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx2
from sqlmodel import Session, col, select

from app.persistence.records import AssessmentRecord, InvoiceRecord, InvoiceSequenceRecord
from tests.api.test_concurrency import (  # noqa: F401  (fixtures)
    Server,
    admin_headers,
    all_at_once,
    server,
)
from tests.api.test_pickup import WEDDING, sample_terms

CONTRACTS = 20
AS_OF = "2027-10-20"  # after the wedding block's nights, with no pickup recorded: damages are owed


def test_twenty_parallel_issues_take_twenty_consecutive_numbers_and_failures_leave_no_gap(
    server: Server,  # noqa: F811
    admin_headers: dict[str, str],  # noqa: F811
) -> None:
    prop, terms = sample_terms(WEDDING)
    with httpx2.Client(base_url=server.url, headers=admin_headers, timeout=60) as client:
        created = client.post("/api/v1/properties", json={**prop, "name": f"Hotel {uuid.uuid4().hex}"})
        assert created.status_code == 201, created.text
        property_id = created.json()["id"]
        contract_ids = []
        for n in range(CONTRACTS):
            contract = client.post(
                "/api/v1/contracts",
                json={"property_id": property_id, "contract": {**terms, "id": f"wedding-{n}"}},
            )
            assert contract.status_code == 201, contract.text
            contract_ids.append(contract.json()["id"])

    def issue(contract_id: int, **body: str) -> Callable[[httpx2.Client], httpx2.Response]:
        return lambda client: client.post(
            f"/api/v1/contracts/{contract_id}/invoices",
            headers=admin_headers,
            json={"as_of": AS_OF, "issue_date": AS_OF, **body},
        )

    requests = [issue(contract_id) for contract_id in contract_ids]
    requests.insert(7, issue(contract_ids[0]))  # the same contract twice: one of the two is refused
    requests.insert(13, issue(contract_ids[1], language="de"))

    responses = all_at_once(server, requests)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * CONTRACTS + [409, 422], [response.text for response in responses]
    assert server.in_flight.most > 1
    issued = sorted(response.json()["number"] for response in responses if response.status_code == 201)
    assert issued == [f"{property_id}-{n:06d}" for n in range(1, CONTRACTS + 1)]
    with Session(server.engine) as session:
        rows = session.exec(select(InvoiceRecord).where(InvoiceRecord.property_id == property_id)).all()
        sequence = session.get(InvoiceSequenceRecord, (property_id, ""))
        kept = session.exec(
            select(AssessmentRecord).where(col(AssessmentRecord.contract_id).in_(contract_ids))
        ).all()
    assert sorted(row.sequence_number for row in rows) == list(range(1, CONTRACTS + 1))
    assert sorted(row.contract_id for row in rows) == sorted(contract_ids)
    assert sequence is not None
    assert sequence.next_number == CONTRACTS + 1
    assert len(kept) == CONTRACTS  # the refused requests kept no assessment either
