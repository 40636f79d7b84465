"""The shares of a night's unsold rooms a contract holds when other groups of the hotel are short that
night too (docs/rules.md §3.6), as rows for the staff contract page (other groups by name) and the
planner's share page (other groups anonymised: "another group")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.engine.sharing import SharingRule
from app.services.actuals import night_shares
from app.services.contracts import StoredContract
from app.services.errors import ServiceError
from app.web.views import Formats

RULE_WORDS = {
    SharingRule.INVOICE_ORDER: "groups already invoiced first, in the order invoiced, then the others",
    SharingRule.PRO_RATA: "in proportion to what each group is short",
}


@dataclass(frozen=True, slots=True)
class ShareRow:
    night: str
    unsold: str
    rule: str
    claim: str
    share: str
    others: str


def share_rows(
    session: Session, stored: StoredContract, day: date, fmt: Formats, *, anonymous: bool
) -> tuple[ShareRow, ...]:
    try:
        shares = night_shares(session, stored, day)
    except ServiceError:
        return ()  # the assessment's own error says what is wrong
    rows = []
    for night, shared in sorted(shares.items()):
        others = "; ".join(
            f"{'another group' if anonymous else other.name}: short {fmt.number(other.claim)}, "
            f"gets {fmt.number(other.share)}"
            for other in shared.others
        )
        rows.append(
            ShareRow(
                fmt.day(night),
                fmt.number(shared.unsold_rooms),
                RULE_WORDS[shared.rule],
                fmt.number(shared.claim),
                fmt.number(shared.share),
                others,
            )
        )
    return tuple(rows)
