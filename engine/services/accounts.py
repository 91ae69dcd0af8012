"""Users, their access tokens and passwords: local credentials, identities vouched for by a provider.

A user is a :class:`~engine.storage.records.UserRecord`; its ``role`` is ``user`` or ``admin``. A
local token is shown once, when it is made; only its SHA-256 hash is stored, and a presented token
is compared with every stored hash in constant time (:func:`hmac.compare_digest`), so neither the
database nor the timing of an answer gives a token away. A password (for signing
in to the dashboard) is stored as a salted scrypt hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid

from engine.clock import now
from engine.errors import ConflictError, NotFoundError, ParameterError
from engine.storage.records import UserRecord
from engine.storage.store import Store

USER, ADMIN = "user", "admin"
ROLES = (USER, ADMIN)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_NO_HASH = "0" * 64  # compared against when no user matched, so every lookup costs the same
MIN_PASSWORD = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_DUMMY_SALT = bytes(16)  # a lookup for an unknown email still pays for one scrypt


def check_email(email: object) -> str:
    """``email`` trimmed and lower-cased; ParameterError when it is not an address."""
    if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()) or len(email) > 320:
        raise ParameterError(f"{email!r} is not an email address")
    return email.strip().lower()


def hash_token(token: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """The users table of a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, email: str) -> UserRecord | None:
        """The user with this email, or None."""
        email = check_email(email)
        found = self.store.select(UserRecord, lambda user: user.email == email)
        return found[0] if found else None

    def add(self, email: str, *, admin: bool = False) -> tuple[UserRecord, str]:
        """Create a user and return it with its first token; ConflictError when the email exists."""
        email = check_email(email)
        if self.find(email) is not None:
            raise ConflictError(f"there is already a user {email}")
        token = _new_token()
        user = UserRecord(id=str(uuid.uuid4()), email=email, role=ADMIN if admin else USER,
                          token_hash=hash_token(token), created=now())
        return self.store.insert(user), token

    def new_token(self, email: str) -> str:
        """A fresh token for the user; the previous one stops working at once."""
        user = self.find(email)
        if user is None:
            raise NotFoundError(f"there is no user {check_email(email)}")
        token = _new_token()
        self.store.update(UserRecord, user.id, token_hash=hash_token(token))
        return token

    def all(self) -> list[UserRecord]:
        """Every user, oldest first."""
        return self.store.select(UserRecord)

    def by_token(self, token: str) -> UserRecord | None:
        """The user whose token this is, or None; the time taken does not depend on the token."""
        presented = hash_token(token)
        match = None
        for user in self.store.select(UserRecord):
            if hmac.compare_digest(presented, user.token_hash or _NO_HASH) and match is None:
                match = user
        return match

    def set_password(self, email: str, password: str) -> None:
        """Let the user sign in to the dashboard with ``password`` (at least 8 characters)."""
        user = self.find(email)
        if user is None:
            raise NotFoundError(f"there is no user {check_email(email)}")
        if len(password) < MIN_PASSWORD:
            raise ParameterError(f"a password needs at least {MIN_PASSWORD} characters")
        salt = secrets.token_bytes(16)
        self.store.update(UserRecord, user.id, password=f"{salt.hex()}:{_scrypt(password, salt).hex()}")

    def by_password(self, email: str, password: str) -> UserRecord | None:
        """The user with this email and password, or None (also for an unknown email)."""
        try:
            user = self.find(email)
        except ParameterError:
            user = None
        stored = user.password if user is not None else None
        salt_hex, _, digest = (stored or f"{_DUMMY_SALT.hex()}:").partition(":")
        presented = _scrypt(password, bytes.fromhex(salt_hex)).hex()
        return user if hmac.compare_digest(presented, digest) and user is not None else None

    def provider_user(self, email: str) -> UserRecord:
        """The user an identity provider vouched for, registered with role ``user`` on first login."""
        user = self.find(email)
        if user is not None:
            return user
        return self.store.insert(UserRecord(id=str(uuid.uuid4()), email=check_email(email), role=USER,
                                            created=now()))


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)


def _new_token() -> str:
    return "pd_" + secrets.token_urlsafe(32)
