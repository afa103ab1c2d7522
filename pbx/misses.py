"""The miss of a caller who left a queue unanswered, as the tracker and the reconciler both tell it.

One home for its event ids (`<call>:abandoned`, `<call>:timed-out:<queue>`): the records'
reconciliation publishes a miss the live tracker may have published already, and the callback
service's exactly-once policy relies on both giving it the same id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.call_events import CallAbandoned, CallTimedOut
from core.ids import CallId, EventId


def queue_miss(
    call_id: CallId,
    at: datetime,
    *,
    queue: str,
    caller_number: str,
    wait_seconds: float = 0.0,
    position: int = 0,
    original_position: int = 0,
    timed_out: bool = False,
    inferred: bool = False,
) -> CallAbandoned | CallTimedOut:
    """`CallTimedOut` when the queue's timeout sent the caller on, else `CallAbandoned`.

    `inferred`: an abandonment concluded, not seen (the call ended while we were blind, or the
    records do not say how it left the queue); a timeout is always seen.
    """
    miss: type[CallAbandoned] | type[CallTimedOut]
    if timed_out:
        miss, event_id = CallTimedOut, f"{call_id}:timed-out:{queue}" if queue else f"{call_id}:timed-out"
    else:
        miss, event_id = CallAbandoned, f"{call_id}:abandoned"
    event = miss(
        at=at,
        event_id=EventId(event_id),
        call_id=call_id,
        queue=queue,
        wait_seconds=wait_seconds,
        position=position,
        original_position=original_position,
        caller_number=caller_number,
    )
    return replace(event, inferred=True) if inferred and isinstance(event, CallAbandoned) else event
