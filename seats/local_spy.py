"""ChanSpy from a Local channel: how a seat's hold and third party (`seats.workspace`) and a
supervisor's monitor (`seats.monitor`) reach into a call.

The Local channel is originated with its ChannelId as its extension in `context`: ;2 runs that
context (the hold music, the third party's phone, the supervisor's phone) and, once ;2 answers, ;1
runs ChanSpy on the seat's leg. AMI actions (Hangup) name the channel by that id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from core.errors import PbxActionFailed
from core.ports import CallControl

log = logging.getLogger(__name__)


async def spy_from_local(
    control: CallControl,
    context: str,
    channel_id: str,
    spy: str,
    *,
    variables: Mapping[str, str] | None = None,
    timeout_ms: int = 30_000,
) -> None:
    """Originate Local/<channel_id>@<context> running ChanSpy(`spy`) on ;1 once ;2 answers
    (within `timeout_ms`)."""
    await control.originate(
        f"Local/{channel_id}@{context}",
        context=context,
        exten=channel_id,
        application="ChanSpy",
        data=spy,
        variables=variables,
        action_id=channel_id,
        channel_id=channel_id,
        timeout_ms=timeout_ms,
    )


async def end_local(control: CallControl, channel_id: str) -> None:
    """Hang up the Local channel (or a phone's channel the monitor bridged); one gone already (the
    call, the phone or the third party ended it) is no error."""
    try:
        await control.hangup(channel_id)
    except PbxActionFailed as exc:
        log.info("Hangup %s: %s", channel_id, exc.message)
