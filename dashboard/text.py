"""Text from users' files shown on the page: escaped, so ids and metadata never become markup."""

from __future__ import annotations

import html
import re

# Markdown's punctuation; < > & are left to html.escape, which runs after (so no entity is split).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def plain(text: object) -> str:
    """``text`` as Markdown that shows exactly these characters (no HTML, no Markdown effects)."""
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", str(text)), quote=False)
