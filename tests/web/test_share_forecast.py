"""The planner's page shows a forecast a planner can trust, over HTTP on SQLite and PostgreSQL: bounded,
expected damages as an expectation, break-even over the stay for a cumulative contract, the F&B field,
and what-if refusals beside their field (the page without JavaScript)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.contract_files import load_document
from app.services import sharing
from app.services.assessments import hotel_today
from app.services.errors import InvalidInputError
from app.services.forecasts import forecast_contract, what_if
from app.services.imports import IMPORTER, import_document, import_placed, place_demo
from tests.web.test_editor_pages import sign_in

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
NORTHSTAR = CONTRACTS / "insurance-conference-resold-rooms.yaml"


@pytest.fixture
def northstar(session: Session) -> tuple[int, str]:
    """Northstar (cumulative, 450 RN, F&B minimum, a 20 % review right of which 60 RN are used),
    placed 120 days before arrival, and a share link to it."""
    document = load_document(NORTHSTAR)
    today = hotel_today(document.contract.property.timezone)
    placed, reports = place_demo(NORTHSTAR, document, today)
    contract_id = import_placed(session, placed, reports).contract_id
    _, token = sharing.create_share_link(session, IMPORTER, contract_id, {"label": "planner"})
    session.commit()
    return contract_id, f"/share/{token}"


def cells(html: str, row: int) -> list[str]:
    body = html.split('<table id="nights">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", rows[row], re.S)
    ]


def test_a_cumulative_contract_shows_a_bounded_forecast_and_one_break_even_over_the_stay(
    client: TestClient, session: Session, northstar: tuple[int, str]
) -> None:
    contract_id, path = northstar
    page = client.get(path)
    assert page.status_code == 200
    html = page.text
    exposure = forecast_contract(session, IMPORTER, contract_id).exposure
    even = exposure.break_even
    assert even is not None
    assert even.is_over_stay
    for index, night in enumerate(exposure.projection.nights):
        row = cells(html, index + 1)  # after the header row
        # Block, minimum (— per night: the test is over the stay), pickup, short (—), needed (—), forecast.
        assert row[2] == "—"
        assert row[4] == "—"
        assert row[5] == "—"
        assert int(row[6].replace(",", "")) <= night.block_room_nights * Decimal("1.03")
    sentence = re.search(r'<p id="break-even">(.*?)</p>', html, re.S)
    assert sentence is not None
    assert f"{even.still_needed_room_nights} more room nights over the stay" in " ".join(
        sentence.group(1).split()
    )
    assert 'id="stay-row"' in html
    assert "average of 20 equally likely outcomes" in html
    outlook = exposure.outlook
    assert (outlook.expected.amount > 0) == (outlook.probability_pct > 0)
    assert f"${outlook.expected.amount:,}" in html
    assert 'id="cancel-today"' not in html  # Northstar has no cancellation clause
    assert "Forecast method: booking pace." in html
    assert "booking_curve" not in html
    assert not re.search(r"\d\.\d{3,}", re.sub(r"<svg.*?</svg>", "", html, flags=re.S))  # no raw decimals
    assert 'name="fnb_spend"' in html  # the what-if takes an F&B spend


def test_a_refused_reduction_is_shown_beside_its_field_and_no_result_is_shown(
    client: TestClient, northstar: tuple[int, str]
) -> None:
    _, path = northstar
    form = client.get(path).text
    review = re.search(r'name="review_date" value="([^"]+)"', form)
    assert review is not None

    refused = client.post(path + "/what-if", data={"reduction_pct": "10", "review_date": review.group(1)})
    accepted = client.post(path + "/what-if", data={"reduction_pct": "5", "review_date": review.group(1)})

    # 60 of the 90 room nights the right allows are used: 10 % of 390 (39) is too much, 5 % (19) fits.
    assert refused.status_code == 422
    assert re.search(r'id="wi-reduction"[^>]*aria-invalid="true"', refused.text)
    error = re.search(r'id="wi-reduction-error">(.*?)</p>', refused.text, re.S)
    assert error is not None
    assert "60 are already used by reductions notified by" in error.group(1)
    assert "at most 30 more room nights (6.7% of that block)" in error.group(1)
    assert 'id="what-if-total"' not in refused.text
    assert 'id="what-if-refused"' in refused.text
    assert 'value="10"' in refused.text
    assert accepted.status_code == 200
    assert re.search(r"with a block reduction of 5%", accepted.text)


def test_a_refused_what_if_fragment_is_a_swappable_422(
    client: TestClient, northstar: tuple[int, str]
) -> None:
    _, path = northstar
    fragment = client.post(path + "/what-if", data={"fnb_spend": "lots"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 422
    assert fragment.text.lstrip().startswith('<section class="card what-if" id="what-if"')
    assert re.search(r'id="wi-fnb"[^>]*aria-invalid="true"', fragment.text)
    assert 'id="wi-fnb-error"' in fragment.text
    page = client.get(path).text
    assert '"code":"422","swap":true' in page  # htmx is told to swap the refusal in


def test_an_expected_fnb_spend_changes_what_the_group_would_owe(
    client: TestClient, northstar: tuple[int, str]
) -> None:
    _, path = northstar
    full = {f"night.{i}": "130" for i in range(3)}  # the rooms pass: only F&B can be owed
    low = client.post(path + "/what-if", data={**full, "fnb_spend": "1000.00"})
    high = client.post(path + "/what-if", data={**full, "fnb_spend": "45000.00"})
    assert low.status_code == high.status_code == 200
    owed_low = re.findall(r'id="what-if-total">([^<]*)<', low.text)
    owed_high = re.findall(r'id="what-if-total">([^<]*)<', high.text)
    assert owed_low == ["$44,000.00"]  # the F&B minimum less the spend (greatest only: no room damages)
    assert owed_high == ["$0.00"]
    assert "an F&amp;B spend of $1,000.00" in low.text


def test_a_reduction_notified_after_the_as_of_date_does_not_use_up_the_right(session: Session) -> None:
    # The file's own dates: the 60 RN reduction is notified 2027-02-15. As of 2026-12-03 it has not
    # happened, so 10 % (45 RN) on the review date 2027-03-01 fits the 20 % right (90 RN).
    document = load_document(NORTHSTAR)
    contract_id = import_document(session, document).contract_id
    body = {"as_of": "2026-12-03", "reduction": {"pct": "10", "notice_date": "2027-03-01"}}
    result = what_if(session, IMPORTER, contract_id, body)
    assert result.as_of == date(2026, 12, 3)
    later = {"as_of": "2027-02-20", "reduction": {"pct": "10", "notice_date": "2027-03-01"}}
    with pytest.raises(InvalidInputError, match="does not fit the contract"):
        what_if(session, IMPORTER, contract_id, later)  # by then the 60 RN are used: 60 + 39 > 90


def test_staff_pages_show_the_same_expected_damages_and_the_break_even_over_the_stay(
    client: TestClient, session: Session, northstar: tuple[int, str]
) -> None:
    contract_id, _ = northstar
    sign_in(client, session, "sales@example.com", property_ids=None)
    exposure = forecast_contract(session, IMPORTER, contract_id).exposure
    assert exposure.break_even is not None
    expected = f"${exposure.outlook.expected.amount:,}"

    page = client.get(f"/contracts/{contract_id}").text
    dashboard = client.get("/").text

    assert re.search(rf'id="forecast-expected">{re.escape(expected)}<', page)
    sentence = re.search(r'<p id="break-even">(.*?)</p>', page, re.S)
    assert sentence is not None
    assert f"{exposure.break_even.still_needed_room_nights} more room nights over the stay" in sentence.group(
        1
    )
    assert "Projection by booking pace at" in page
    assert expected in dashboard  # the portfolio shows the same mean (no F&B spend recorded yet)
