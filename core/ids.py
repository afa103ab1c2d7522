"""Typed identifiers.

Ids are plain strings at run time; `NewType` keeps a call id from being passed where a seat id
is expected. Asterisk's own ids (`Uniqueid`, `Linkedid`) are kept as they are; our ids are
time-ordered so that a listing by id is a listing by creation time.
"""

from __future__ import annotations

import os
import time
from typing import NewType

CallId = NewType("CallId", str)
"""A call: Asterisk's `Linkedid` of the caller's leg."""
ChannelId = NewType("ChannelId", str)
"""One channel (leg): Asterisk's `Uniqueid`."""
SeatId = NewType("SeatId", str)
TeamId = NewType("TeamId", str)
UserId = NewType("UserId", str)
WorkOrderId = NewType("WorkOrderId", str)
OfficeId = NewType("OfficeId", str)
EventId = NewType("EventId", str)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str = "") -> str:
    """A 26-character ULID-style id: 48 bits of milliseconds, then 80 random bits.

    Sorting these ids sorts by creation time (to the millisecond), which keeps database
    indexes append-only and makes listings stable without a separate sort column.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return prefix + "".join(reversed(chars))


def new_event_id() -> EventId:
    return EventId(new_id("ev_"))
