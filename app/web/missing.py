"""What an assessment that cannot be computed is missing, in words, with a link to the form that
supplies it. The engine names the input by its field (``actuals.inventory``); staff read a sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.services.errors import ServiceError


@dataclass(frozen=True, slots=True)
class MissingInput:
    text: str
    link_text: str = ""
    href: str = ""


def missing_input(error: ServiceError, contract_id: int, cutoff: date | None = None) -> MissingInput:
    field = error.problems[0].field if error.problems else ""
    actuals = f"/contracts/{contract_id}/actuals"
    if field == "actuals.inventory":
        return MissingInput(
            "The contract credits resale only when the hotel sold out (last room sold), so the damages "
            "need the hotel's unsold rooms on each night the group fell short.",
            "Enter rooms unsold and resold",
            f"{actuals}#inventory",
        )
    if field == "actuals.cutoff_pickup":
        return MissingInput(
            "Rooms released at the cut-off do not count, so the damages need the pickup as it stood on "
            "the cut-off date.",
            "Enter pickup as of the cut-off date",
            f"/contracts/{contract_id}/pickup" + (f"?as_of={cutoff.isoformat()}" if cutoff else ""),
        )
    if field == "actuals.cancellation_notice_date":
        return MissingInput(
            "The recorded cancellation notice cannot be used: the contract has no cancellation clause, "
            "or the notice came after arrival.",
            "Check the notices",
            f"{actuals}#notices",
        )
    # Other refusals are sentences already; only a leading field path is dropped.
    text = re.sub(r"^[\w.\[\]]+: ", "", error.detail)
    if field.startswith("actuals."):
        return MissingInput(text, "Check the actuals", actuals)
    return MissingInput(text)
