"""Who may do what: API keys (hashed, scoped to properties, read or read-write) and staff users.

A principal that cannot see a property gets "not found" for everything in it, so that a key for one
hotel cannot even learn which contract ids another hotel has; a principal that can see but not write
gets "not allowed".
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session

from app.persistence import repositories as repo
from app.persistence.records import (
    ApiKeyPropertyRecord,
    ApiKeyRecord,
    PropertyRecord,
    StaffSessionRecord,
    StaffUserPropertyRecord,
    StaffUserRecord,
    utc_now,
)
from app.services.errors import (
    ForbiddenError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    Problem,
)

SESSION_LIFETIME = timedelta(hours=12)
_KEY_PREFIX = "atk"
_hasher = PasswordHasher()


class Access(StrEnum):
    READ = "read"
    READ_WRITE = "read_write"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. ``property_ids`` is None for an administrator, who sees every property."""

    label: str
    property_ids: frozenset[int] | None
    can_write: bool
    is_admin: bool
    csrf_token: str | None = None

    def can_see(self, property_id: int) -> bool:
        return self.property_ids is None or property_id in self.property_ids

    def require_read(self, property_id: int, what: str) -> None:
        if not self.can_see(property_id):
            raise NotFoundError(f"{what} not found")

    def require_write(self, property_id: int, what: str) -> None:
        self.require_read(property_id, what)
        if not self.can_write:
            raise ForbiddenError("these credentials are read-only")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise ForbiddenError("only an administrator may do this")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- API keys --------------------------------------------------------------------------------------


def create_api_key(
    session: Session, name: str, access: Access, property_ids: frozenset[int]
) -> tuple[ApiKeyRecord, str]:
    """Create a key and return it; only its SHA-256 is kept, so this is the one time it is seen."""
    if access is not Access.ADMIN and not property_ids:
        raise InvalidInputError(
            "a key needs at least one property", [Problem("property_ids", "name at least one property")]
        )
    for property_id in property_ids:
        if repo.get(session, PropertyRecord, property_id) is None:
            raise InvalidInputError(
                "unknown property", [Problem("property_ids", f"property {property_id} does not exist")]
            )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    raw = f"{_KEY_PREFIX}_{prefix}_{secret}"
    key = repo.add(session, ApiKeyRecord(name=name, prefix=prefix, secret_hash=_digest(raw), access=access))
    assert key.id is not None
    repo.add_all(session, (ApiKeyPropertyRecord(key_id=key.id, property_id=pid) for pid in property_ids))
    return key, raw


def authenticate_api_key(session: Session, raw: str) -> Principal:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != _KEY_PREFIX:
        raise NotAuthenticatedError("the API key is not valid")
    key = repo.api_key_by_prefix(session, parts[1])
    if key is None or key.revoked_at is not None or not secrets.compare_digest(key.secret_hash, _digest(raw)):
        raise NotAuthenticatedError("the API key is not valid")
    assert key.id is not None
    access = Access(key.access)
    if access is Access.ADMIN:
        return Principal(f"key:{key.id}", None, can_write=True, is_admin=True)
    return Principal(
        f"key:{key.id}",
        repo.api_key_properties(session, key.id),
        can_write=access is Access.READ_WRITE,
        is_admin=False,
    )


def revoke_api_key(session: Session, key_id: int) -> None:
    key = repo.get(session, ApiKeyRecord, key_id)
    if key is None:
        raise NotFoundError("API key not found")
    key.revoked_at = utc_now()
    session.add(key)
    session.flush()


# --- staff users and their sessions -----------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_staff_user(
    session: Session,
    email: str,
    password: str,
    *,
    name: str = "",
    is_admin: bool = False,
    property_ids: frozenset[int] = frozenset(),
) -> StaffUserRecord:
    if len(password) < 10:
        raise InvalidInputError("password too short", [Problem("password", "use at least 10 characters")])
    if repo.staff_user_by_email(session, email.lower()) is not None:
        raise InvalidInputError("email taken", [Problem("email", f"{email} already has an account")])
    user = repo.add(
        session,
        StaffUserRecord(
            email=email.lower(), name=name, password_hash=hash_password(password), is_admin=is_admin
        ),
    )
    assert user.id is not None
    repo.add_all(session, (StaffUserPropertyRecord(user_id=user.id, property_id=pid) for pid in property_ids))
    return user


def verify_password(session: Session, email: str, password: str) -> StaffUserRecord:
    """The user with this email and password; the same error whichever of the two is wrong."""
    user = repo.staff_user_by_email(session, email.strip().lower())
    if user is None or not user.is_active:
        _hasher.hash(password)  # spend the same time as a real check, so timing does not reveal emails
        raise NotAuthenticatedError("wrong email or password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticatedError("wrong email or password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def open_staff_session(session: Session, user: StaffUserRecord, now: datetime | None = None) -> str:
    """Start a web session for ``user``; returns the cookie value (only its SHA-256 is kept)."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    started = now or utc_now()
    repo.add(
        session,
        StaffSessionRecord(
            token_hash=_digest(token),
            csrf_token=secrets.token_urlsafe(24),
            user_id=user.id,
            created_at=started,
            expires_at=started + SESSION_LIFETIME,
        ),
    )
    return token


def close_staff_session(session: Session, token: str) -> None:
    repo.delete_staff_session(session, _digest(token))


def authenticate_staff_session(session: Session, token: str) -> Principal:
    record = repo.staff_session(session, _digest(token), utc_now())
    user = None if record is None else repo.get(session, StaffUserRecord, record.user_id)
    if record is None or user is None or not user.is_active:
        raise NotAuthenticatedError("the session has expired; log in again")
    assert user.id is not None
    return Principal(
        f"user:{user.id}",
        None if user.is_admin else repo.staff_user_properties(session, user.id),
        can_write=True,
        is_admin=user.is_admin,
        csrf_token=record.csrf_token,
    )
