"""How a scenario's post is shown: posted words versus [bracketed context]."""

from __future__ import annotations

import re

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")

PLATFORM_LABELS = {
    "facebook": "Facebook", "twitter": "X / Twitter", "instagram": "Instagram",
    "linkedin": "LinkedIn", "tiktok": "TikTok", "whatsapp": "WhatsApp group",
    "blog": "Blog", "wikipedia": "Wikipedia", "other": "Message",
}
ACCOUNT_LABELS = {
    "personal": "Personal account", "school_official": "School's official account",
    "trust_official": "Trust's official account",
}


def split_post(text: str) -> list[tuple[str, str]]:
    """[("words", ...), ("context", ...)] in order; the template escapes both."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _BRACKETS.finditer(text):
        before = text[position:match.start()].strip()
        if before:
            parts.append(("words", before))
        if match.group(1).strip():
            parts.append(("context", match.group(1).strip()))
        position = match.end()
    rest = text[position:].strip()
    if rest:
        parts.append(("words", rest))
    return parts


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def account_label(account: str) -> str:
    return ACCOUNT_LABELS.get(account, account)
