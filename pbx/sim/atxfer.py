"""The seat console's attended transfer (咨询转接) in the simulator, as Asterisk 22's bridge_basic.c
does it for AMI `Atxfer` / `CancelAtxfer` on a seat's channel bridged with a queue caller.

Copied from the recordings on Asterisk 22.10.1 with the rendered dialplan
(tests/data/asterisk-traces/atxfer_seat_completed, atxfer_seat_cancelled):

* `Atxfer` (Exten `<target>#`, Context `hotline-consult`): TRANSFER_CONTEXT on the seat, the queued
  DTMF (`*2`, then the digits), `Hold` of the seat and hold audio for the caller, a Local pair
  `Local/<target>@hotline-consult-<n>;1/;2` whose `;1` joins a new bridge with the seat (the
  consultation), while `;2` runs the dialplan's Dial() of the target (the CONSULT context of the
  rendered extensions.conf: a seat's endpoint, or an outside number by the trunk);
* completed (the seat's channel is hung up by AMI `Hangup` once the target answered):
  `BridgeMerge` of the consultation into the caller's bridge, `AttendedTransfer`, `AgentComplete`
  (Reason transfer; queue_log ATTENDEDTRANSFER), the seat hangs up, then Local channel
  optimisation swaps the target's channel into the caller's bridge and the Local halves hang up;
  the caller and the target talk until one of them hangs up;
* cancelled (`CancelAtxfer`: DTMF `*1`): the seat goes back into the caller's bridge, hold audio
  stops, `Unhold`, and the Local halves and the target hang up.

It works on the model's own building blocks (`SimPbx` and its bridge, member and dial helpers),
as a part of it kept in its own module.

Not trace-backed (built from the same blocks): the target never answers or hangs up during the
consultation (the seat is back with the caller, as after a cancel), the seat hangs up before the
target answered or the caller hangs up during the consultation (the consultation is cancelled
first, then the call goes on as without one), and the target hanging up after the transfer (the
caller goes on in the dialplan, to the survey).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core import dialplan as names
from pbx.sim.dialplan import split_args

if TYPE_CHECKING:
    from pbx.sim.config import PhoneConfig
    from pbx.sim.model import Bridge, Channel, Member, Queue, SimPbx

FEATURE_FILE = "features.conf"


@dataclass
class Consultation:
    seat: Channel
    caller: Channel
    caller_bridge: Bridge
    exten: str
    one: Channel
    two: Channel
    bridge: Bridge  # the consultation's: the seat and `one`
    target: Channel | None = None  # the phone `two` dialled
    target_endpoint: str = ""
    dial_bridge: Bridge | None = None  # `two` and the target, once it answered
    over: asyncio.Event = field(default_factory=asyncio.Event)


def feature_code(pbx: SimPbx) -> str:
    """features.conf `[featuremap] atxfer` of the configuration the simulator runs ("" if none)."""
    path = pbx.conf_dir / FEATURE_FILE
    if not path.exists():
        return ""
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "featuremap" and line.startswith("atxfer"):
            return line.split("=", 1)[1].lstrip(">").strip()
    return ""


def _new_bridge(pbx: SimPbx) -> Bridge:
    from pbx.sim.model import Bridge

    bridge = Bridge(str(uuid.UUID(int=pbx.rng.getrandbits(128), version=4)))
    pbx.emit("BridgeCreate", "call,all", pbx._bridge_block(bridge))
    return bridge


def _enter(pbx: SimPbx, bridge: Bridge, ch: Channel) -> None:
    bridge.members.append(ch)
    ch.bridge = bridge
    pbx.emit("BridgeEnter", "call,all", pbx._bridge_block(bridge), ch.block())


def _leave(pbx: SimPbx, bridge: Bridge, ch: Channel) -> None:
    if ch in bridge.members:
        bridge.members.remove(ch)
    if ch.bridge is bridge:
        ch.bridge = None
    pbx.emit("BridgeLeave", "call,all", pbx._bridge_block(bridge), ch.block())


def _dtmf(pbx: SimPbx, ch: Channel, digits: str) -> None:
    for digit in digits:
        pbx.chan_event(
            "DTMFEnd",
            ch,
            [("Digit", digit), ("DurationMs", "0"), ("Direction", "Received")],
            privilege="dtmf,all",
        )


def _local_pair_block(one: Channel, two: Channel) -> list[tuple[str, str]]:
    return [*one.block("LocalOne"), *two.block("LocalTwo")]


def start(pbx: SimPbx, seat: Channel, exten: str, context: str, code: str) -> Consultation | None:
    """AMI Atxfer on `seat`: the consultation starts when the seat is bridged with one caller."""
    from pbx.sim.model import DOWN, RING, UNKNOWN

    if context:
        pbx.varset(seat, "TRANSFER_CONTEXT", context, always=True)
    bridge_now = seat.bridge
    caller = next((c for c in bridge_now.members if c is not seat), None) if bridge_now else None
    if bridge_now is None or caller is None or seat.name in pbx.consults:
        _dtmf(pbx, seat, code + exten)  # no bridge to transfer from: the digits go nowhere
        return None
    _dtmf(pbx, seat, code)
    pbx.chan_event("Hold", seat)
    pbx.chan_event("MusicOnHoldStart", caller, [("Class", "default")])
    digits = exten.split("#", 1)[0]
    _dtmf(pbx, seat, exten)
    context = context or names.CONSULT
    base = f"Local/{digits}@{context}-{pbx.next_local_seq():08x}"
    one = pbx.new_channel(
        "", state=DOWN, cid=UNKNOWN, context=context, exten=digits, linkedid=seat.linkedid, name=f"{base};1"
    )
    two = pbx.new_channel(
        "", state=RING, cid=UNKNOWN, context=context, exten=digits, linkedid=seat.linkedid, name=f"{base};2"
    )
    for ch in (one, two):
        ch.language = "en"  # a Local channel's own language (the traces: en)
    pbx.chan_event("Newchannel", one)
    pbx.chan_event("Newchannel", two)
    pbx.varset(one, "TRANSFERERNAME", seat.name, always=True)
    pbx.varset(one, "ATTENDEDTRANSFER", seat.name, always=True)
    bridge = _new_bridge(pbx)
    pbx.varset(two, "ATTENDEDTRANSFER", seat.name, always=True)
    pbx.varset(two, "TRANSFERERNAME", seat.name, always=True)
    two.cid_num = seat.cid_num
    pbx.chan_event("NewCallerid", two, [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")])
    pbx.emit(
        "LocalBridge",
        "call,all",
        _local_pair_block(one, two),
        [("Context", context), ("Exten", digits), ("LocalOptimization", "Yes")],
    )
    c = Consultation(seat, caller, bridge_now, digits, one, two, bridge)
    pbx.consults[seat.name] = c
    pbx.spawn(_consult(pbx, c))
    return c


async def _consult(pbx: SimPbx, c: Consultation) -> None:
    """The `;2` half runs the CONSULT context: Dial() of the target, then Hangup()."""
    from pbx.sim.model import RINGING, UNKNOWN, UP

    step = pbx.dialplan.step(c.two.context, c.two.exten, 1)
    if step is None or step.app.lower() != "dial":
        _back_to_caller(pbx, c, dtmf="")
        return
    data = pbx.expand(c.two, step.data)
    pbx.newexten(c.two, 1, step.app, data)
    _enter(pbx, c.bridge, c.one)
    pbx.varset(c.one, "ATTENDEDTRANSFER", "", always=True)
    args = split_args(data)
    _tech, _, resource = args[0].partition("/")
    ring_for = float(args[1]) if len(args) > 1 and args[1].strip() else math.inf
    number, endpoint, phone = pbx._dial_target(resource)
    target = pbx.new_channel(
        endpoint,
        state=0,
        cid=number,
        context=phone.context if phone else names.SEATS_OUT,
        exten="s",
        linkedid=c.seat.linkedid,
    )
    pbx.chan_event("Newchannel", target)
    # The seat leaves the caller's bridge for the consultation's (the caller stays, on hold).
    _leave(pbx, c.caller_bridge, c.seat)
    target.exten = number
    pbx.newexten(target, 1, "AppDial", "(Outgoing Line)")
    target.conn_num = c.two.cid_num
    _enter(pbx, c.bridge, c.seat)
    pbx.bridge_peers(c.one, c.seat)
    pbx.chan_event("DialBegin", c.two, target.block("Dest"), [("DialString", resource)])
    c.target, c.target_endpoint = target, endpoint
    if phone is None:
        # Not trace-backed: no such endpoint: the Dial fails at once.
        await _not_answered(pbx, c, "CHANUNAVAIL")
        return
    pbx.newstate(target, RINGING)
    pbx.member_device_changed(f"PJSIP/{endpoint}", "RINGING")
    pbx.newstate(c.one, RINGING)
    pbx.chan_event("DialState", c.two, target.block("Dest"), [("DialStatus", "RINGING")])
    # bridge_basic's own dial of `;1` (no calling channel: only Dest headers).
    pbx.emit("DialState", "call,all", c.one.block("Dest"), [("DialStatus", "RINGING")])
    answered = await _answers(pbx, c, phone, ring_for)
    if answered is not True:
        if answered is False:
            await _not_answered(pbx, c, "NOANSWER")
        return
    pbx.newstate(target, UP)
    pbx.member_device_changed(f"PJSIP/{endpoint}", "INUSE")
    pbx.chan_event("DialEnd", c.two, target.block("Dest"), [("DialStatus", "ANSWER")])
    pbx.newstate(c.two, UP)
    pbx.newstate(c.one, UP)
    pbx.emit("DialEnd", "call,all", c.one.block("Dest"), [("DialStatus", "ANSWER")])
    target.exten = ""
    c.dial_bridge = _new_bridge(pbx)
    pbx.newexten(target, 1, "AppDial", "(Outgoing Line)")
    _enter(pbx, c.dial_bridge, target)
    _enter(pbx, c.dial_bridge, c.two)
    pbx.bridge_peers(target, c.two)
    c.one.cid_num, c.one.conn_num = number, UNKNOWN
    hit = await pbx.wait(phone.hangup_after.draw(pbx.rng), target.interrupt, c.over)
    if hit != 1 and pbx.consults.get(c.seat.name) is c:
        # Not trace-backed: the consulted party hangs up: the seat is back with the caller.
        _back_to_caller(pbx, c, dtmf="")


async def _answers(pbx: SimPbx, c: Consultation, phone: PhoneConfig, ring_for: float) -> bool | None:
    """True: the target answered; False: it did not within the Dial's timeout; None: the
    consultation ended meanwhile (cancelled)."""
    answers = pbx.rng.random() < phone.answer_probability
    delay = phone.answer_delay.draw(pbx.rng)
    ok = answers and delay < ring_for
    hit = await pbx.wait(delay if ok else ring_for, c.over)
    if hit is not None:
        return None
    return ok


async def _not_answered(pbx: SimPbx, c: Consultation, status: str) -> None:
    assert c.target is not None
    pbx.chan_event("DialEnd", c.two, c.target.block("Dest"), [("DialStatus", status)])
    pbx.hangup(c.target, 0)
    pbx.device_idle(c.target_endpoint)
    c.target = None
    _back_to_caller(pbx, c, dtmf="")


def cancel(pbx: SimPbx, seat: Channel, abort_code: str = "*1") -> bool:
    """AMI CancelAtxfer on `seat` (features.conf `atxferabort`, default *1)."""
    c = pbx.consults.get(seat.name)
    _dtmf(pbx, seat, abort_code)
    if c is None:
        return False
    _back_to_caller(pbx, c, dtmf="")
    return True


def _back_to_caller(pbx: SimPbx, c: Consultation, *, dtmf: str) -> None:
    """The consultation ends without a transfer (trace atxfer_seat_cancelled)."""
    pbx.consults.pop(c.seat.name, None)
    c.over.set()
    _dtmf(pbx, c.seat, dtmf)
    if c.seat.bridge is c.bridge:
        _leave(pbx, c.bridge, c.seat)
    if not c.seat.gone:
        _enter(pbx, c.caller_bridge, c.seat)
        pbx.bridge_peers(c.seat, c.caller)
    pbx.chan_event("MusicOnHoldStop", c.caller)
    pbx.chan_event("Unhold", c.seat)
    if c.one.bridge is c.bridge:
        _leave(pbx, c.bridge, c.one)
    pbx.emit("BridgeDestroy", "call,all", pbx._bridge_block(c.bridge, 0))
    pbx.chan_event("HangupRequest", c.two, [("Cause", "16")])
    pbx.hangup(c.one, 16)
    target = c.target
    if c.dial_bridge is not None and target is not None:
        _leave(pbx, c.dial_bridge, c.two)
        _leave(pbx, c.dial_bridge, target)
        pbx.emit("BridgeDestroy", "call,all", pbx._bridge_block(c.dial_bridge, 0))
    _local_two_gone(pbx, c)
    if target is not None and not target.gone:
        pbx.hangup(target, 16)
        pbx.device_idle(c.target_endpoint)


def _local_two_gone(pbx: SimPbx, c: Consultation) -> None:
    pbx.chan_event("SoftHangupRequest", c.two, [("Cause", "16")])
    pbx.run_h_exten(c.two)
    pbx.hangup(c.two, 16)


async def settle(
    pbx: SimPbx,
    c: Consultation,
    hit: int | None,
    q: Queue,
    m: Member,
    hold: int,
    answered_at: float,
) -> str | None:
    """`Queue()`'s bridged call woke up (`hit`: 0 the caller, 1 the seat, None its time was up)
    while the seat consulted. The seat's AMI Hangup once the target answered completes the
    transfer, and the caller then talks with the target: returns how Queue() ends ("gone" or
    "survey"). Otherwise the consultation is cancelled and None tells the caller to go on as
    without one."""
    target = c.target
    if hit != 1 or target is None or c.dial_bridge is None or not c.seat.soft_hangup:
        _back_to_caller(pbx, c, dtmf="")
        return None
    pbx.consults.pop(c.seat.name, None)
    c.over.set()
    _complete(pbx, c, target, q, m, hold, answered_at)
    return await _talk_after_transfer(pbx, c.caller, target, c.target_endpoint, c.caller_bridge)


def _complete(
    pbx: SimPbx, c: Consultation, target: Channel, q: Queue, m: Member, hold: int, answered_at: float
) -> None:
    """Trace atxfer_seat_completed, from the seat's hangup to the Local halves' end."""
    assert c.dial_bridge is not None
    pbx.emit(
        "BridgeMerge",
        "call,all",
        pbx._bridge_block(c.caller_bridge, prefix="To"),
        pbx._bridge_block(c.bridge, prefix="From"),
    )
    _leave(pbx, c.bridge, c.one)
    _enter(pbx, c.caller_bridge, c.one)
    pbx.varset(c.seat, "BRIDGEPEER", "", always=True)
    _leave(pbx, c.bridge, c.seat)
    pbx.chan_event("MusicOnHoldStop", c.caller)
    pbx.bridge_peers(c.caller, c.one)
    talk = int(pbx.now() - answered_at)
    pbx.emit(
        "AttendedTransfer",
        "call,all",
        [("Result", "Success")],
        c.seat.block("OrigTransferer"),
        pbx._bridge_block(c.caller_bridge, prefix="Orig", count=2),
        c.seat.block("SecondTransferer"),
        pbx._bridge_block(c.bridge, prefix="Second", count=0),
        c.caller.block("Transferee"),
        c.one.block("TransferTarget"),
        [("IsExternal", "No"), ("DestType", "Bridge"), ("DestBridgeUniqueid", c.caller_bridge.id)],
    )
    pbx._agent_event(
        "AgentComplete",
        c.caller,
        c.seat.block("Dest"),
        q,
        m,
        [("HoldTime", str(hold)), ("TalkTime", str(talk))],
        [("Reason", "transfer")],
    )
    # queue_log: ATTENDEDTRANSFER|BRIDGE|<the caller's bridge>|holdtime|calltime|origposition.
    transfer = ("ATTENDEDTRANSFER", "BRIDGE", c.caller_bridge.id, str(hold), str(talk), "1")
    pbx.records.queue_log(pbx.now(), c.caller.uniqueid, q.config.name, m.name, *transfer)
    m.in_call = False
    m.calls_taken += 1
    m.last_call = int(pbx.now())
    m.last_call_end = pbx.now()
    pbx.emit("BridgeDestroy", "call,all", pbx._bridge_block(c.bridge, 0))
    pbx.hangup(c.seat, 16)
    pbx.member_device_changed(m.state_interface, "NOT_INUSE", after_call=q)
    # Local channel optimisation: the target's channel takes `;1`'s place in the caller's bridge.
    pbx.emit(
        "LocalOptimizationBegin",
        "call,all",
        _local_pair_block(c.one, c.two),
        target.block("Source"),
        [("DestUniqueId", c.two.uniqueid), ("Id", "0")],
    )
    _leave(pbx, c.dial_bridge, target)
    pbx.varset(c.one, "BRIDGEPEER", "", always=True)
    _leave(pbx, c.caller_bridge, c.one)
    _enter(pbx, c.caller_bridge, target)
    pbx.bridge_peers(target, c.caller)
    pbx.emit(
        "LocalOptimizationEnd", "call,all", _local_pair_block(c.one, c.two), [("Success", "No"), ("Id", "0")]
    )
    pbx.chan_event("HangupRequest", c.two, [("Cause", "16")])
    _leave(pbx, c.dial_bridge, c.two)
    pbx.emit("BridgeDestroy", "call,all", pbx._bridge_block(c.dial_bridge, 0))
    pbx.hangup(c.one, 16)
    _local_two_gone(pbx, c)


async def _talk_after_transfer(
    pbx: SimPbx, caller: Channel, target: Channel, endpoint: str, bridge: Bridge
) -> str:
    """The caller and the consulted party talk; the first to hang up ends it."""
    spec = caller.spec
    phone = pbx.phones.get(endpoint)
    caller_talk = spec.talk_time if spec is not None else math.inf
    target_talk = phone.hangup_after.draw(pbx.rng) if phone is not None else math.inf
    hit = await pbx.wait(min(caller_talk, target_talk), caller.interrupt, target.interrupt)
    caller_ends = hit == 0 or (hit is None and caller_talk <= target_talk)
    first, second = (caller, target) if caller_ends else (target, caller)
    if not first.soft_hangup:
        pbx.chan_event("HangupRequest", first)
    pbx.bridge_peers(first, second, clear=True)
    _leave(pbx, bridge, first)
    if caller_ends:
        pbx.chan_event("SoftHangupRequest", caller, [("Cause", "16")])
    _leave(pbx, bridge, second)
    pbx.emit("BridgeDestroy", "call,all", pbx._bridge_block(bridge, 0))
    if caller_ends:
        pbx.hangup(caller, 16)
        pbx.endpoint_idle(caller.endpoint)
    pbx.hangup(target, 16)
    pbx.device_idle(endpoint)
    return "gone" if caller_ends else "survey"
