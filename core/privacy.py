"""Caller numbers are personal data: masked for every role that does not need them, never logged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_DIGITS = re.compile(r"\d")


def mask_number(number: str | None) -> str:
    """138****8000 for mobiles; keep the first 3 and last 4 digits, hide the rest.

    Short numbers (internal extensions, 12345) are kept as they are; anything with fewer than
    8 digits is not a personal number. Hidden / unknown numbers come back unchanged.
    """
    if not number:
        return ""
    digits = _DIGITS.findall(number)
    if len(digits) < 8:
        return number
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Mask every value whose key names a phone number (`caller_number`, `number`, ...)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and ("number" in key or key in {"callerid", "caller_id"}):
            out[key] = mask_number(value)
        elif isinstance(value, Mapping):
            out[key] = mask_fields(value)
        else:
            out[key] = value
    return out
