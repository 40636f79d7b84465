"""Last room sold across the groups of one hotel (issue 17; docs/rules.md §3.6): on a night the hotel's
inventory covers, the unsold rooms are shared among every stored contract of the property whose
last-room-sold term is short that night, by the hotel's setting (``app.engine.sharing``), and each
contract reads the rooms the others take as its ``other_groups_charged_rooms``.

Who takes part: the property's contracts, not cancelled, staying on the night, with a last-room-sold
term whose stored terms can be read (at most ``MAX_SHARING_CONTRACTS`` by arrival). Their claims come
from their own pickup and block (``night_claims``), never from each other's shares, so one contract's
sharing reads the others without going round in circles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from app.engine.actuals import Actuals
from app.engine.contract import Contract, ResaleMode
from app.engine.errors import EngineError
from app.engine.sharing import Claim, SharingRule, night_claims, others_take, share_unsold
from app.persistence import inventory_repository as inventory_repo
from app.persistence import repositories as repo
from app.persistence.records import PropertyRecord
from app.services.contracts import StoredContract, read_terms
from app.services.errors import ServiceError

MAX_SHARING_CONTRACTS = 200
"""The most contracts of one hotel whose claims one assessment reads (by arrival)."""


@dataclass(frozen=True, slots=True)
class OtherClaim:
    contract_id: int
    name: str
    claim: Decimal
    share: Decimal


@dataclass(frozen=True, slots=True)
class NightShare:
    """One night of a contract under shared last room sold: the hotel's unsold rooms, the rule, this
    contract's claim and share, what the other groups take, and each other group's claim and share."""

    night: date
    unsold_rooms: int
    rule: SharingRule
    claim: Decimal
    share: Decimal
    others_rooms: int
    others: tuple[OtherClaim, ...]


def has_last_room_sold(terms: Contract) -> bool:
    return terms.attrition is not None and terms.attrition.resale_mode is ResaleMode.LAST_ROOM_SOLD


def share_nights(
    session: Session,
    stored: StoredContract,
    as_of: date,
    unsold: dict[date, int],
    own_actuals: Actuals,
    *,
    as_invoiced: bool = False,
) -> dict[date, NightShare]:
    """The shares of ``stored`` on each night of ``unsold`` (the hotel's inventory) it is short, when other
    contracts of the property are short that night too. ``own_actuals`` are the contract's actuals read
    without sharing. ``as_invoiced``: the contract counts as invoiced after those already invoiced, as it
    will be once the invoice being prepared is issued (so that issuing it does not change its share)."""
    from app.services.actuals import actuals_as_of  # which calls this module

    contract_id = stored.record.id
    assert contract_id is not None
    own = night_claims(stored.terms, own_actuals, as_of)
    nights = [night for night in unsold if own.get(night)]
    if not nights:
        return {}
    prop = repo.get(session, PropertyRecord, stored.record.property_id)
    assert prop is not None
    rule = SharingRule(prop.last_room_sold_sharing)
    claims_by_contract: dict[int, dict[date, Decimal]] = {contract_id: own}
    names: dict[int, str] = {}
    records = inventory_repo.contracts_on_nights(
        session, stored.record.property_id, min(nights), max(nights), MAX_SHARING_CONTRACTS
    )
    for record in records:
        if record.id is None or record.id == contract_id:
            continue
        version = repo.contract_version(session, record.id, record.current_version)
        if version is None:
            continue
        try:
            terms = read_terms(record.id, version.version, version.terms)
            if not has_last_room_sold(terms):
                continue
            other = StoredContract(record, version, terms)
            claims = night_claims(terms, actuals_as_of(session, other, as_of, share=False), as_of)
        except (ServiceError, EngineError, ValueError):
            continue  # a contract whose stored rows cannot be read says so on its own pages
        if any(claims.get(night) for night in nights):
            claims_by_contract[record.id] = claims
            names[record.id] = record.name or record.reference
    if len(claims_by_contract) == 1:
        return {}
    order = inventory_repo.invoice_order(session, list(claims_by_contract))
    if as_invoiced and contract_id not in order:
        order[contract_id] = len(order)
    shares: dict[date, NightShare] = {}
    for night in nights:
        on_night = [
            Claim(key, by_night[night], order.get(key))
            for key, by_night in sorted(claims_by_contract.items())
            if by_night.get(night)
        ]
        if len(on_night) < 2:
            continue
        given = share_unsold(unsold[night], on_night, rule)
        others = tuple(
            OtherClaim(
                claim.contract_id, names[claim.contract_id], claim.room_nights, given[claim.contract_id]
            )
            for claim in on_night
            if claim.contract_id != contract_id
        )
        shares[night] = NightShare(
            night,
            unsold[night],
            rule,
            own[night],
            given[contract_id],
            min(unsold[night], others_take(given, contract_id)),
            others,
        )
    return shares
