"""Who is calling: ``Authorization: Bearer <token>`` checked by the provider ``?provider=`` names.

- ``local`` (default): a token issued by ``python -m api users``; checked against stored hashes.
- ``google``: an OAuth access token, checked with Google's token-info endpoint (its URL is a
  setting, so tests use a fake one on 127.0.0.1). Valid when it carries the userinfo.email scope
  and an email (not marked unverified), and, when ``PHYLODASH_GOOGLE_CLIENT_ID`` is set, was issued
  to that OAuth client; the first login registers the user with role ``user``. A valid answer is
  remembered for at most a minute (and never past the token's expiry).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from engine.errors import UnauthorizedError
from engine.services.accounts import Accounts, hash_token
from engine.storage.records import UserRecord

EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"
PROVIDERS = ("local", "google")
_REMEMBER_SECONDS = 60.0
_MAX_TOKEN_LENGTH = 4096



class Authenticator:
    """Turns a request's bearer token and provider into the calling user's record."""

    def __init__(self, accounts: Accounts, tokeninfo_url: str, run: Callable[..., Any],
                 client_id: str | None = None) -> None:
        self.accounts = accounts
        self.tokeninfo_url = tokeninfo_url
        self.client_id = client_id  # when set, only tokens issued to this OAuth client are accepted
        self._run = run  # awaitable runner of blocking calls (an executor)
        self._google: dict[str, tuple[str, float]] = {}

    async def user(self, authorization: str | None, provider: str | None) -> UserRecord:
        """The user the credentials name; UnauthorizedError (with a reason) otherwise."""
        provider = "local" if provider is None else provider  # ?provider= (empty) names no provider
        if provider not in PROVIDERS:
            raise UnauthorizedError(f"unknown provider {provider[:40]!r}; use one of: {', '.join(PROVIDERS)}")
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError("send the header 'Authorization: Bearer <token>'")
        if len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
            raise UnauthorizedError("the token is malformed")
        if provider == "local":
            user = await self._run(self.accounts.by_token, token)
            if user is None:
                raise UnauthorizedError("the token is not valid (unknown or revoked)")
            return user
        email = await self._google_email(token)
        return await self._run(self.accounts.provider_user, email)

    async def _google_email(self, token: str) -> str:
        key = hash_token(token)
        remembered = self._google.get(key)
        if remembered is not None and remembered[1] > time.monotonic():
            return remembered[0]
        url = f"{self.tokeninfo_url}?{urllib.parse.urlencode({'access_token': token})}"
        try:
            response = await AsyncHTTPClient().fetch(url, request_timeout=10, raise_error=True)
            info = json.loads(response.body)
        except HTTPClientError as error:
            raise UnauthorizedError("Google did not accept the token (invalid or expired)") from error
        except (TimeoutError, OSError, ValueError) as error:
            raise UnauthorizedError("the token could not be checked with Google; try again") from error
        info = info if isinstance(info, dict) else {}
        email = info.get("email")
        if EMAIL_SCOPE not in str(info.get("scope", "")).split() or not isinstance(email, str) or not email:
            raise UnauthorizedError("the Google token does not carry the userinfo.email scope and an email")
        if str(info.get("email_verified", "true")).lower() != "true":
            raise UnauthorizedError("Google has not verified the token's email address")
        if self.client_id and self.client_id not in (info.get("aud"), info.get("azp")):
            raise UnauthorizedError("the Google token was issued to another application")
        try:
            lifetime = min(_REMEMBER_SECONDS, float(info.get("expires_in", _REMEMBER_SECONDS)))
        except (TypeError, ValueError):
            lifetime = 0.0
        if lifetime <= 0:
            raise UnauthorizedError("the Google token has expired")
        now = time.monotonic()
        self._google = {k: v for k, v in self._google.items() if v[1] > now}  # forget expired answers
        self._google[key] = (email, now + lifetime)
        return email
