"""The one place that decides how much of a secret may be shown.

Reports name a secret by its first four characters and its length, never
more: in messages (through :func:`redact`) and in any input echoed back to
people, such as a source line under a caret (through :func:`mask`).
"""

from __future__ import annotations

from collections.abc import Iterable

SHOWN_CHARACTERS = 4


def redact(secret: str) -> str:
    """``'Qx8~…' (40 characters)``: enough to find it, too little to use it."""
    shown = secret[:SHOWN_CHARACTERS] if len(secret) > 2 * SHOWN_CHARACTERS else secret[:1]
    return f"'{shown}…' ({len(secret)} characters)"


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret cut to its first characters."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            shown = secret[:SHOWN_CHARACTERS] if len(secret) > 2 * SHOWN_CHARACTERS else secret[:1]
            text = text.replace(secret, f"{shown}…")
    return text
