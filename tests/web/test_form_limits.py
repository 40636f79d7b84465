"""The editor form refuses what the API refuses: the same limits, named beside the field (both
databases)."""

from __future__ import annotations

import re

from sqlmodel import Session

from app.persistence import repositories as repo
from app.persistence.records import ContractRecord
from tests.web.test_editor_pages import (  # noqa: F401  (the fixture is used by name)
    Staffed,
    input_tag,
    new_contract_fields,
    post_form,
    staffed,
)


def test_the_editor_refuses_a_huge_rate_and_a_nul_beside_each_field(
    staffed: Staffed,  # noqa: F811
    session: Session,
) -> None:
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields.update(
        {
            "block.0.0.rate": "1" + "0" * 26,
            "group.name": "Pacific\x00Dental",
        }
    )
    before = repo.count_rows(session, ContractRecord)

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 422
    html = response.text
    assert 'aria-invalid="true"' in input_tag(html, "f-block-0-0-rate")
    assert "larger than the largest amount accepted, 1,000,000,000,000" in html
    assert re.search(r"control characters such as NUL", html)
    assert repo.count_rows(session, ContractRecord) == before


def test_the_editor_refuses_a_stay_over_the_limit_naming_it(staffed: Staffed) -> None:  # noqa: F811
    fields = new_contract_fields(staffed.client, staffed.property_id)
    fields["departure_date"] = "2028-06-20"

    response = post_form(staffed.client, "/contracts/new", {**fields, "action": "save"})

    assert response.status_code == 422
    assert "a stay is at most 400 nights; this one has 407" in response.text
