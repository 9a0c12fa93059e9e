"""Masks personal data in text before it is logged: emails, phone numbers, card numbers, IP addresses."""

from __future__ import annotations

import re
from collections.abc import Callable

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes: any card-like number, Luhn-valid or not.
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
_IPV6 = re.compile(r"(?<![:\w])(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){7})"
                   r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![:\w])")
# Optional +country code, optional (area), then 2-4 digit groups; kept only with 7-15 digits in all.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\w])")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match[str]) -> str:
    text = match.group()
    digits = sum(c.isdigit() for c in text)
    return "[PHONE]" if 7 <= digits <= 15 and not _ISO_DATE.fullmatch(text) else text


# Order matters: cards before phones (a phone pattern would take part of a card number).
_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, "[EMAIL]"),
    (_CARD, "[CARD]"),
    (_IPV4, "[IP]"),
    (_IPV6, "[IP]"),
    (_PHONE, _phone),
)


def redact(text: str) -> str:
    """`text` with each match replaced by a tag such as `[EMAIL]`; other text is left as it was."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
