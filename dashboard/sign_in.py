"""Signing in to the dashboard: an API token, or an email and the password the admin set."""

from __future__ import annotations

import panel as pn

from dashboard.session import Session
from dashboard.text import plain

HELP = ("Sign in with the API token `make serve` printed (a new one: `python -m api users token EMAIL`), "
        "or with your email and the password an admin set (`python -m api users password EMAIL`).")


class SignIn:
    """The sign-in form; on success it sets ``session.user``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.token = pn.widgets.PasswordInput(label="API token", placeholder="pd_...", width=360)
        self.email = pn.widgets.TextInput(label="Email", placeholder="you@example.org", width=360)
        self.password = pn.widgets.PasswordInput(label="Password", width=360)
        self.button = pn.widgets.Button(label="Sign in", color="primary", width=120)
        self.message = pn.pane.Markdown(HELP, width=520)
        self.button.on_click(self._on_click)

    def panel(self) -> pn.viewable.Viewable:
        """The form."""
        return pn.Column("## Sign in", self.token, pn.pane.Markdown("or"), self.email, self.password,
                         self.button, self.message, name="sign-in")

    async def _on_click(self, _event: object) -> None:
        await self.sign_in_now()

    async def sign_in_now(self) -> bool:
        """Check what was typed in; on success set the session's user and clear the secrets."""
        accounts = self.session.service.accounts
        token, email, password = (self.token.value or "").strip(), (self.email.value or "").strip(), \
            self.password.value or ""
        if token:
            user = await self.session.run(accounts.by_token, token)
            failure = "**That token is not valid** (unknown or revoked). Check it and try again."
        elif email and password:
            user = await self.session.run(accounts.by_password, email, password)
            failure = "**That email and password do not match.** Check them and try again."
        else:
            user, failure = None, "Type an API token, or an email and a password."
        self.token.value = self.password.value = ""
        if user is None:
            self.message.object = failure
            return False
        self.message.object = f"Signed in as **{plain(user.email)}** ({user.role})."
        self.session.user = user
        return True
