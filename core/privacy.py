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


def _names_a_number(key: str) -> bool:
    return "number" in key or key in {"callerid", "caller_id"}


def mask_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Mask every value whose key names a phone number (`caller_number`, `number`, ...)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and _names_a_number(key):
            out[key] = mask_number(value)
        elif isinstance(value, Mapping):
            out[key] = mask_fields(value)
        else:
            out[key] = value
    return out


# --- masking by data type ---------------------------------------------------------------------
#
# Personal numbers leak through fields that do not say "number": an Asterisk channel name
# (`PJSIP/13900139000-00000012`, `Local/13900139000@hotline-callback`), a transcript, an error
# message. So everything leaving the server for a role that may not see full numbers goes through
# `mask_phone_numbers`, which masks every phone-number-shaped run of digits in every string,
# whatever its key. What counts as a phone number:
#
# * a mainland mobile, 1[3-9] and 9 more digits, optionally written 139-0013-9000 / 139 0013 9000
#   and optionally after +86 / 0086 / 86;
# * a landline with its area code, 0 + 2-3 digits + a 7-8 digit local number (02162345678,
#   021-62345678, (0755)12345678);
# * a bare local landline, 7-8 digits starting with 2-9 (62345678): Shanghai trunks may deliver
#   caller ids without the area code.
#
# A run counts only when no ASCII letter or digit touches it on either side, so ids that mix
# letters and digits (ULIDs, hex channel suffixes such as `-0000001a`) are never cut. Kept
# readable on purpose: seat ids (1001, 4 digits), service numbers (12345, 12348, 5 digits),
# district codes and queue names (310106, q-310106-labor: 6 digits), street codes (9 and 12
# digits, not starting with 0), Asterisk uniqueids (1795300000.16: 10 digits starting with 1),
# dates and times (runs of 2 and 4), and 7-8 digit runs starting with 0 or 1 (channel sequence
# numbers such as 00000012). Known false positives: an 8-digit compact date (20261123) and a
# public landline typed into free text are masked too; the office directory (public numbers
# that admins edit) is served unmasked by the console, see `console_web.security`.

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_PHONE = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?:"
    + r"(?:(?:\+|00)?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}"  # mobile
    + r"|\(0\d{2,3}\)[- ]?[2-9]\d{6,7}"  # (021)62345678
    + r"|0\d{2,3}[- ]?[2-9]\d{6,7}"  # 021-62345678, 02162345678
    + r"|[2-9]\d{6,7}"  # 62345678
    + r")"
    + _NOT_ALNUM_AFTER
)
_COUNTRY = re.compile(r"^(?:\+|00)?86[- ]?(?=1[3-9])")


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    prefix = ""
    country = _COUNTRY.match(text)
    if country is not None:
        prefix, text = text[: country.end()], text[country.end() :]
    n = sum(ch.isdigit() for ch in text)
    hidden = max(4, n - 7)
    keep_first = max(0, n - 4 - hidden)
    out = []
    seen = 0
    for ch in text:
        if ch.isdigit():
            out.append("*" if keep_first <= seen < keep_first + hidden else ch)
            seen += 1
        else:
            out.append(ch)
    return prefix + "".join(out)


def mask_text(text: str) -> str:
    """Every phone number in `text` masked: `PJSIP/13900139000-00000012` -> `PJSIP/139****9000-00000012`."""
    return _PHONE.sub(_mask_match, text)


PUBLIC_NUMBER_KEY = "public_phone"
"""A value under this key is an office's public switchboard number (`seats.workspace_views.
OfficeCard.public_phone`, read to callers by the seats): never masked."""


def mask_phone_numbers(data: Any) -> Any:
    """`data` (JSON-like: dicts, lists, tuples, strings, scalars) with every string run through
    `mask_text`, dictionary keys included; a value under a key that names a number
    (`caller_number`, `callerid`) is masked whatever its shape, one under `PUBLIC_NUMBER_KEY` is
    not masked. Returns new containers; the input is not changed."""
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, Mapping):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            if key == PUBLIC_NUMBER_KEY and isinstance(value, str):
                out[key] = value
                continue
            if isinstance(value, str) and isinstance(key, str) and _names_a_number(key):
                value = mask_number(value)  # also foreign formats the shapes above do not know
            out[mask_text(key) if isinstance(key, str) else key] = mask_phone_numbers(value)
        return out
    if isinstance(data, list | tuple):
        return [mask_phone_numbers(v) for v in data]
    return data


_MASKED = re.compile(_NOT_ALNUM_BEFORE + r"(?:\+|00)?[0-9(][0-9()\- ]*\*{4,}[0-9\- ]*\d" + _NOT_ALNUM_AFTER)


def restore_masked(new_text: str, old_text: str) -> str:
    """`new_text` with each masked number put back from `old_text` where that number was.

    The console shows a seat its own record masked (`139****9000`); when the seat saves it again,
    the stored number must not be overwritten by its mask. A masked run in `new_text` is replaced
    by the number of `old_text` whose mask it is; a masked run with no such number stays as typed.
    """
    originals: dict[str, str] = {}
    for match in _PHONE.finditer(old_text):
        originals.setdefault(_mask_match(match), match.group(0))
    if not originals:
        return new_text

    def one(match: re.Match[str]) -> str:
        return originals.get(match.group(0), match.group(0))

    return _MASKED.sub(one, new_text)
