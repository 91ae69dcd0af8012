"""The sign-in form's view: widgets bound to :class:`~dashboard.viewmodels.sign_in.SignIn`."""

from __future__ import annotations

import panel as pn

from dashboard.viewmodels.sign_in import SignIn


def sign_in_form(model: SignIn) -> pn.viewable.Viewable:
    """An API token, or an email and a password, and the button that checks them."""
    return pn.Column(
        "## Sign in",
        pn.widgets.PasswordInput.from_param(model.param.token, placeholder="pd_...", width=360,
                                            description=None),
        pn.pane.Markdown("or"),
        pn.widgets.TextInput.from_param(model.param.email, placeholder="you@example.org", width=360,
                                        description=None),
        pn.widgets.PasswordInput.from_param(model.param.password, width=360, description=None),
        pn.widgets.Button.from_param(model.param.submit, color="primary", width=120, description=None),
        pn.pane.Markdown(model.param.message, width=520),
        name="sign-in",
    )
