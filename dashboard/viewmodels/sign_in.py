"""Signing in: an API token, or an email and the password an admin set."""

from __future__ import annotations

import math

import param

from dashboard.session import SessionModel
from dashboard.text import plain

HELP = ("Sign in with the API token `make serve` printed (a new one: `python -m api users token EMAIL`), "
        "or with your email and the password an admin set (`python -m api users password EMAIL`).")


class SignIn(SessionModel):
    """The sign-in form; on success it sets the session's ``user`` and forgets the secrets typed in."""

    token = param.String("", label="API token", doc="An API token (pd_...).")
    email = param.String("", label="Email", doc="The email of a user with a dashboard password.")
    password = param.String("", label="Password", doc="That user's password.")
    submit = param.Event(label="Sign in", doc="Check what was typed in.")
    message = param.String(HELP, doc="Help, or why signing in failed (Markdown).")

    def _init_callbacks(self) -> None:
        self.param.watch(self._on_submit, "submit")

    async def _on_submit(self, _event: object) -> None:
        await self.sign_in()

    async def sign_in(self) -> bool:
        """Check the token, or the email and password; True when the session's user was set.

        Failures are counted per address (:class:`~engine.services.throttle.SignInThrottle`, shared with
        the API): past the limit, a good token still signs in, but a password is not even checked
        (its scrypt hash is costly) until the address may try again.
        """
        accounts, throttle = self.session.service.accounts, self.session.service.sign_ins
        address = self.session.address
        token, email, password = self.token.strip(), self.email.strip(), self.password
        wait = throttle.retry_after(address)
        if token:
            user = await self.session.run(accounts.by_token, token)
            failure = "**That token is not valid** (unknown or revoked). Check it and try again."
        elif email and password and not wait:
            user = await self.session.run(accounts.by_password, email, password)
            failure = "**That email and password do not match.** Check them and try again."
        elif email and password:
            user, failure = None, ""
        else:
            user, failure = None, "Type an API token, or an email and a password."
        self.param.update(token="", password="")
        if user is None:
            if wait:
                failure = (f"**Too many failed sign-ins from this address.** Try again in {math.ceil(wait)} "
                           "seconds.")
            elif token or (email and password):
                throttle.failed(address)
            self.message = failure
            return False
        self.message = f"Signed in as **{plain(user.email)}** ({user.role})."
        self.session.user = user
        return True
