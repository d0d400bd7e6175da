"""How a scenario's post is shown: posted words versus [bracketed context]."""

from __future__ import annotations

import re

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")

PLATFORM_LABELS = {
    "facebook": "Facebook", "twitter": "X / Twitter", "instagram": "Instagram",
    "linkedin": "LinkedIn", "tiktok": "TikTok", "whatsapp": "WhatsApp group",
    "blog": "Blog", "wikipedia": "Wikipedia", "other": "Message",
}
# The action bar under a post, as each platform lays it out (words only: no logos or icons).
PLATFORM_ACTIONS = {
    "facebook": ("Like", "Comment", "Share"), "twitter": ("Reply", "Repost", "Like", "Views"),
    "instagram": ("Like", "Comment", "Send", "Save"), "linkedin": ("Like", "Comment", "Repost", "Send"),
    "tiktok": ("Like", "Comment", "Save", "Share"), "whatsapp": (), "blog": ("Comments", "Share"),
    "wikipedia": ("Read", "Edit", "View history"), "other": (),
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


def platform_actions(platform: str) -> tuple[str, ...]:
    return PLATFORM_ACTIONS.get(platform, ())


def sentence_case(text: str) -> str:
    """Upper-case the first letter only (Jinja's capitalize lowercases the rest: "Head of english")."""
    return text[:1].upper() + text[1:]


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def account_label(account: str) -> str:
    return ACCOUNT_LABELS.get(account, account)
