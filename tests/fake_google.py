"""Google's token-info service as the tests need it, served on 127.0.0.1 beside the API under test."""

from __future__ import annotations

from typing import Any, ClassVar

import tornado.web
from api_client import ApiTestCase

from api.auth import EMAIL_SCOPE


class FakeTokenInfo(tornado.web.RequestHandler):
    """Google's token-info endpoint as tests need it: one good token, one without the scope, one expired."""

    ANSWERS: ClassVar[dict[str, tuple[int, dict[str, str]]]] = {
        "google-good": (
            200,
            {"email": "gi@example.org", "expires_in": "3599", "scope": f"openid {EMAIL_SCOPE}"},
        ),
        "google-no-scope": (200, {"email": "gi@example.org", "expires_in": "3599", "scope": "openid"}),
        "google-unverified": (
            200,
            {
                "email": "gi@example.org",
                "expires_in": "3599",
                "scope": EMAIL_SCOPE,
                "email_verified": "false",
            },
        ),
        "google-ours": (
            200,
            {
                "email": "gi@example.org",
                "expires_in": "3599",
                "scope": EMAIL_SCOPE,
                "aud": "phylodash-client",
                "email_verified": "true",
            },
        ),
        "google-expired": (400, {"error": "invalid_token", "error_description": "Invalid Value"}),
    }
    calls: ClassVar[list[str]] = []

    def get(self) -> None:
        token = self.get_query_argument("access_token")
        FakeTokenInfo.calls.append(token)
        status, answer = self.ANSWERS.get(token, (400, {"error": "invalid_token"}))
        self.set_status(status)
        self.finish(answer)


class FakeGoogleTestCase(ApiTestCase):
    """A service whose Google token checks go to :class:`FakeTokenInfo`, served beside the API."""

    def extra_settings(self) -> dict[str, Any]:
        return {"google_tokeninfo_url": f"http://127.0.0.1:{self.get_http_port()}/tokeninfo"}

    def get_app(self) -> tornado.web.Application:
        app = super().get_app()
        app.add_handlers(r".*", [(r"/tokeninfo", FakeTokenInfo)])
        return app
