"""Hold (保持), the three-way call (三方通话) and a supervisor in a call (班长监听): AMI `Originate` of
`Local/<exten>@<context>` with `Application: ChanSpy`, as the consoles send them (seats/workspace.py,
seats/monitor.py).

    Action: Originate / Channel: Local/hold-<id>@hotline-hold / ChannelId: hold-<id>
    Application: ChanSpy / Data: <the caller>,qwE
    Action: Originate / Channel: Local/c-<id>@hotline-conference / ChannelId: c-<id>
    Application: ChanSpy / Data: <the seat's leg>,qBE / Variable: HOTLINE_THIRD=1002

    Action: Originate / Channel: Local/m-<id>.<call>@hotline-monitor / ChannelId: m-<id>.<call>
    Application: ChanSpy / Data: <the seat's leg>,qE|qwE|qBE / Variable: HOTLINE_MONITOR_PHONE=8001

(the last one: a supervisor listening, whispering or barging; ;2 dials the supervisor's own
phone, which is bridged to ;2 once it answers, as a third party's is.)

chan_local creates the pair (`ChannelId` is ;1's uniqueid, ;2's is `<id>;2`, as manager.c's
assigned ids and core_unreal give them: checked on the real Asterisk by
tests/realpbx/test_real_asterisk.py). ;2 runs the context's dialplan as written (Answer and
the hold music's Playback loop for a hold; Goto ${HOTLINE_THIRD} and Dial for a third party). Once ;2 is answered,
;1 is: the OriginateResponse (Success) follows and ;1 runs ChanSpy on the named channel until
that channel is gone (`E`), ;1 is hung up (AMI Hangup of the ChannelId: 恢复, 移出第三方) or ;2 ends
(the third party hung up); then ;1 hangs up and chan_local hangs up the other half. ;2 never
answered within the Originate's timeout (nobody picks up): OriginateResponse Failure, both gone.

The simulated audio: no voice of a seat or a third party is simulated, and the hold music is not
played into the caller's simulated recording. What ChanSpy passes ;2 is the spied call's audio, the
caller's voice: ;2 speaks it, so the conference's own recording (MixMonitor on ;2, 录音) holds it,
as Asterisk's does.
"""

from __future__ import annotations

import math

from core import dialplan
from pbx.sim.model import RINGING, UP, Channel, SimPbx
from pbx.sim.tap import find_spied, local_answered, new_local_pair, split_local


def is_local_spy(pbx: SimPbx, resource: str, application: str) -> bool:
    """`Local/<exten>@<context>` whose Originate runs ChanSpy, into a context that has `exten`."""
    exten, context, _ = split_local(resource)
    return application.lower() == "chanspy" and pbx.dialplan.step(context, exten, 1) is not None


async def run_local_spy(
    pbx: SimPbx,
    action_id: str,
    resource: str,
    data: str,
    variables: dict[str, str],
    channel_id: str,
    ring_for: float,
) -> None:
    """`ring_for`: the Originate's Timeout, in seconds (;2 must be answered by then)."""
    exten, context, options = split_local(resource)
    base = f"Local/{exten}@{context}"
    one, two = new_local_pair(pbx, exten, context, options, variables, channel_id, dialled=True)
    spied = find_spied(pbx, data.split(",", 1)[0])
    if context == dialplan.CONFERENCE and spied is not None and spied.bridge is not None:
        two.voice = next((c.voice for c in spied.bridge.members if c.voice is not None), None)
    pbx.spawn(pbx.run_dialplan(two))
    waited = 0.0
    while two.state != UP and two.bridge is None and not two.gone and not one.interrupt.is_set():
        if waited >= ring_for:
            break
        if one.state != RINGING and any(
            c.linkedid == one.linkedid and c.state == RINGING for c in pbx.channels if c not in (one, two)
        ):
            pbx.newstate(one, RINGING)  # chan_local passes ;2's ringing (the third party's) to ;1
        await pbx.wait(0.05, two.ended, one.interrupt)
        waited += 0.05
    if two.gone or one.interrupt.is_set() or (two.state != UP and two.bridge is None):
        # Not answered: the Originate fails; the half still there goes.
        pbx.originate_response(
            action_id,
            "Failure",
            channel=base,
            context="",
            exten="",
            reason=3,
            uniqueid="",
            cid_num="",
            cid_name="",
        )
        if not two.gone:
            two.request_hangup(16)
        if not one.gone:
            pbx.hangup(one, 16)
        return
    # Dial answers the channel that dialled once the callee answers; Answer() answers it itself.
    local_answered(pbx, action_id, one, two, "<unknown>", "<unknown>")
    spied = find_spied(pbx, data.split(",", 1)[0])
    if spied is not None and not spied.gone:
        pbx.emit("ChanSpyStart", "call,all", one.block("Spyer"), spied.block("Spyee"))
        await pbx.wait(math.inf, one.interrupt, spied.ended, two.ended)
        if two.gone and not one.interrupt.is_set():
            # ;2 went first (its Dial() ended: an AMI Bridge took the phone away, 接管): chan_local
            # queues the hangup on ;1, then ChanSpy stops (tests/data/asterisk-traces/takeover).
            pbx.chan_event("HangupRequest", one, [("Cause", "16")])
        pbx.emit("ChanSpyStop", "call,all", one.block("Spyer"), [] if spied.gone else spied.block("Spyee"))
    _hang_up_pair(pbx, one, two)


def _hang_up_pair(pbx: SimPbx, one: Channel, two: Channel) -> None:
    """;1's ChanSpy is over (or ;1 was hung up): chan_local asks ;2 to hang up, ;1 goes, then ;2
    ends in its own dialplan (recorded: HangupRequest ;2, Hangup ;1, then ;2's SoftHangupRequest
    and Hangup)."""
    if not two.gone:
        pbx.chan_event("HangupRequest", two, [("Cause", "0")])
    pbx.hangup(one, 0 if one.soft_hangup else one.hangup_cause or 16)
    if not two.gone:
        two.request_hangup(16, soft=True)


__all__ = ["is_local_spy", "run_local_spy"]
