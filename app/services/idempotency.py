"""``Idempotency-Key``: a retried write gets the first answer back instead of writing twice.

The write and the key are saved in one transaction. Two requests racing with the same key both try to
save it; the unique constraint lets one commit, and the other rolls back its write and replays the
winner's answer (on PostgreSQL the loser waits for the winner's commit). A key is honoured for 24
hours; ``attrition prune`` deletes older ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.persistence import repositories as repo
from app.persistence.records import IngestionRecord, utc_now
from app.services.auth import Principal
from app.services.errors import InvalidInputError, Problem
from app.services.retention import IDEMPOTENCY_KEY_LIFETIME

MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    #: What a replay answers instead of ``body``, when the body holds a secret that must not be kept.
    kept: dict[str, Any] | None = None


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _replay(record: IngestionRecord, print_: str) -> Outcome:
    if record.fingerprint != print_:
        raise InvalidInputError(
            "this Idempotency-Key was used for a different request",
            [Problem("Idempotency-Key", "use a new key for a new request")],
        )
    return Outcome(record.status_code, record.response, replayed=True)


def run_once(
    session: Session,
    principal: Principal,
    key: str | None,
    print_: str,
    write: Callable[[], Outcome],
) -> Outcome:
    """Run ``write`` unless ``key`` was seen; the caller commits afterwards."""
    if key is None:
        return write()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInputError(
            "bad Idempotency-Key", [Problem("Idempotency-Key", f"1 to {MAX_KEY_LENGTH} printable characters")]
        )
    earlier = repo.ingestion(session, principal.label, key)
    if earlier is not None and earlier.created_at <= utc_now() - IDEMPOTENCY_KEY_LIFETIME:
        # A key is honoured for 24 hours (app/services/retention.py); after that it is a new request.
        session.delete(earlier)
        session.flush()
        earlier = None
    if earlier is not None:
        return _replay(earlier, print_)
    outcome = write()
    try:
        repo.add(
            session,
            IngestionRecord(
                principal=principal.label,
                idempotency_key=key,
                fingerprint=print_,
                status_code=outcome.status,
                response=outcome.body if outcome.kept is None else outcome.kept,
            ),
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        winner = repo.ingestion(session, principal.label, key)
        assert winner is not None  # the constraint that stopped us names a committed row
        return _replay(winner, print_)
    return outcome
