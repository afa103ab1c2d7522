"""Names shared with the dialplan: AGI script names and channel variables.

The rendered dialplan (`asterisk_conf`) is checked against these in tests, so the two cannot
drift apart.
"""

from __future__ import annotations

import enum

from core import dialplan

SCRIPT_IVR = "ivr"
"""FastAGI script of the caller's first minute: agi://host:port/ivr."""
SCRIPT_SURVEY = "survey"
"""FastAGI script of the satisfaction survey after the seat hung up: agi://host:port/survey."""

LINKEDID = "CHANNEL(linkedid)"
"""Read first in every session: the call id (`core.ids.CallId` is Asterisk's Linkedid)."""


class ChannelVar(enum.StrEnum):
    """Channel variables the IVR writes (W) or reads (R)."""

    QUEUE = dialplan.VAR_QUEUE  # W: queue for Queue()
    CATEGORY = "HOTLINE_CATEGORY"  # W: category code (labor, legal_aid...)
    DISTRICT = "HOTLINE_DISTRICT"  # W: district code from the address flow
    OFFICE = "HOTLINE_OFFICE"  # W: office id from the address flow
    IVR_PATH = "HOTLINE_IVR_PATH"  # W: keys pressed, e.g. main:1/consult:2
    CALLBACK = "HOTLINE_CALLBACK"  # W: 1 when the caller asked to be called back
    NEXT = dialplan.VAR_NEXT  # W: queue | callback | hangup; the dialplan branches on it
    REASON = "HOTLINE_REASON"  # W: why the IVR ended as it did (IvrReason)
    SURVEYED = "HOTLINE_SURVEYED"  # R/W: 1 once the survey was offered on this channel
    TRANSFERRED = dialplan.VAR_TRANSFERRED  # R: set by the dialplan's transfer contexts
    TRANSFER_FROM = dialplan.VAR_TRANSFER_FROM  # R: the seat that transferred the caller
    READBACK_DISTRICT = dialplan.VAR_READBACK_DISTRICT  # W: the district of the office read back
    DISTRICT_KEYS = dialplan.VAR_DISTRICT_KEYS  # W: key:district pairs of the menu about to play


MEMBERNAME = "MEMBERNAME"
"""Set by Queue() on the caller's channel (queues.conf `setinterfacevar = yes`)."""
MEMBERINTERFACE = "MEMBERINTERFACE"
