"""The live-transcript tap: AMI `Originate` of `Local/<exten>@<tap context>` running AudioSocket.

What Asterisk 22 was checked to do (shared/asterisk-traces/README.md): the action

    Action: Originate / Channel: Local/tap@asr-tap / Application: AudioSocket
    Data: <uuid>,<host>:<port> / Variable: SPY=<caller's channel name>

creates a Local channel pair. `;2` runs the dialplan `[asr-tap] exten => tap,1,ChanSpy(${SPY},qEo)`
(quiet, exit when the spied channel hangs up, only the spied channel's own audio), `;1` runs the
application AudioSocket, so the AudioSocket server hears the spied caller's voice as 0x10 frames
until the caller hangs up; then ChanSpy ends, `;2` runs `Hangup()`, chan_local hangs up `;1`
and AudioSocket just closes the socket (no 0x00).

Events emitted (modelled on core_unreal / app_chanspy / manager.c; the order of the answer and
of OriginateResponse is a thread race in Asterisk, this is one plausible order):

    Newchannel ;1 (Down), Newchannel ;2 (Down)       both Context <tap context>, Exten <exten>
    VarSet ;1 SPY, VarSet ;2 SPY                      Originate sets it on ;1, local_call copies it
    LocalBridge                                       LocalOne* ;1, LocalTwo* ;2, Context, Exten,
                                                      LocalOptimization (No with the /n option)
    Newexten ;2 1 ChanSpy <spied>,qEo
    Newstate ;2 Up, Newstate ;1 Up                   ChanSpy answers ;2, the answer reaches ;1
    OriginateResponse Success                         Channel ;1, Context "", Exten "" (an
                                                      application originate), Reason 4
    Newexten ;1 AudioSocket <data>
    ChanSpyStart                                      Spyer* ;2, Spyee* the spied channel
  spied channel hangs up:
    ChanSpyStop, Newexten ;2 2 Hangup, SoftHangupRequest ;2, Hangup ;2 (16),
    HangupRequest ;1 (16), Hangup ;1 (16)            (socket closed before Hangup ;1)
  AudioSocket ends first (server 0x00 / closes / cannot be reached) or ;1 is hung up:
    Hangup ;1 (16), HangupRequest ;2, ChanSpyStop, Hangup ;2 (16)

Not emitted: DeviceStateChange for the Local device, NewCallerid/NewConnectedLine, the
LocalOptimizationBegin/End pair (an application on ;1 never bridges, so nothing optimises).
When SPY names no existing channel (exact name, or else a channel-name prefix as ChanSpy takes),
or Data is not `<uuid>,<host>:<port>`, the simulator answers OriginateResponse Failure (Reason 0)
and creates nothing: no channels, no connection. (A real ChanSpy would wait for such a channel.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx.sim.audiosocket_client import AudioSocketLink, StreamEnd, parse_target
from pbx.sim.model import DOWN, RING, UP, Channel, SimPbx
from pbx.sim.voice import looped_frames

if TYPE_CHECKING:
    from collections.abc import Iterator


def split_local(resource: str) -> tuple[str, str, str]:
    """`tap@asr-tap/n` -> ("tap", "asr-tap", "n"); the context defaults to "default"."""
    target, _, options = resource.partition("/")
    exten, _, context = target.partition("@")
    return exten, context or "default", options


def new_local_pair(
    pbx: SimPbx,
    exten: str,
    context: str,
    options: str,
    variables: dict[str, str],
    channel_id: str = "",
    *,
    dialled: bool = False,
) -> tuple[Channel, Channel]:
    """chan_local's `Local/<exten>@<context>` pair for an Originate: Newchannel ;1 and ;2, the
    Originate's variables set on both (;2 gets copies), LocalBridge. With the Originate's
    `ChannelId`, ;1's uniqueid is that id and ;2's `<id>;2`. `dialled`: as the real Asterisk
    publishes an Originate's Local pair (tests/data/asterisk-traces/hold_whisper.ami.jsonl): ;2
    is born Ring and ;1, being dialled, shows AppDial2 before the variables are set."""
    seq = pbx.next_local_seq()
    base = f"Local/{exten}@{context}"
    halves: list[Channel] = []
    for suffix in ("1", "2"):
        halves.append(
            pbx.new_channel(
                base,
                state=RING if dialled and suffix == "2" else DOWN,
                cid="<unknown>",
                context=context,
                exten=exten,
                linkedid=halves[0].linkedid if halves else None,
                name=f"{base}-{seq:08x};{suffix}",
                uniqueid=(channel_id if suffix == "1" else f"{channel_id};2") if channel_id else None,
            )
        )
    one, two = halves
    pbx.chan_event("Newchannel", one)
    pbx.chan_event("Newchannel", two)
    if dialled:
        pbx.newexten(one, 1, "AppDial2", "(Outgoing Line)")
    for ch in (one, two):
        for k, v in variables.items():
            pbx.varset(ch, k, v, always=True)
    pbx.emit(
        "LocalBridge",
        "call,all",
        one.block("LocalOne"),
        two.block("LocalTwo"),
        [("Context", context), ("Exten", exten), ("LocalOptimization", "No" if "n" in options else "Yes")],
    )
    return one, two


def local_answered(
    pbx: SimPbx, action_id: str, one: Channel, two: Channel, cid_num: str, cid_name: str
) -> None:
    """;2 answered (if it is not Up yet), so ;1 is: the Originate's OriginateResponse Success."""
    if two.state != UP:
        pbx.newstate(two, UP)
    pbx.newstate(one, UP)
    pbx.originate_response(
        action_id,
        "Success",
        channel=one.name,
        context="",
        exten="",
        reason=4,
        uniqueid=one.uniqueid,
        cid_num=cid_num,
        cid_name=cid_name,
    )


def find_spied(pbx: SimPbx, spy: str) -> Channel | None:
    """The channel ChanSpy(${SPY}) would spy on: that exact name, else the first name it prefixes."""
    if not spy:
        return None
    exact = pbx.find_channel(spy)
    if exact is not None:
        return exact
    return next((c for c in pbx.channels if c.name.startswith(spy) and not c.name.startswith("Local/")), None)


def originate_tap(
    pbx: SimPbx,
    action_id: str,
    resource: str,
    data: str,
    variables: dict[str, str],
    cid_num: str,
    cid_name: str,
) -> None:
    """Start the tap (in the background); failures are answered with OriginateResponse Failure."""
    exten, context, options = split_local(resource)
    spied = find_spied(pbx, variables.get("SPY", ""))
    target = parse_target(data)
    if spied is None or target is None:
        pbx.originate_failure(action_id, f"Local/{resource}", "", "", 0, cid_num, cid_name)
        return
    pbx.spawn(
        _run_tap(pbx, action_id, exten, context, options, data, variables, spied, target, cid_num, cid_name)
    )


async def _run_tap(
    pbx: SimPbx,
    action_id: str,
    exten: str,
    context: str,
    options: str,
    data: str,
    variables: dict[str, str],
    spied: Channel,
    target: tuple[str, str, int],
    cid_num: str,
    cid_name: str,
) -> None:
    one, two = new_local_pair(pbx, exten, context, options, variables)
    # ;2 runs the tap context's dialplan as written (ChanSpy(${SPY},qEo), then Hangup()).
    first = pbx.dialplan.step(context, exten, 1)
    after = pbx.dialplan.step(context, exten, 2)
    assert first is not None  # ami_server only starts a tap whose priority 1 is ChanSpy
    pbx.newexten(two, 1, first.app, pbx.expand(two, first.data))
    local_answered(pbx, action_id, one, two, cid_num, cid_name)
    pbx.newexten(one, 1, "AudioSocket", data)
    spying = not spied.gone
    if spying:
        pbx.emit("ChanSpyStart", "call,all", two.block("Spyer"), spied.block("Spyee"))
    call_uuid, host, port = target
    end = StreamEnd.SERVER
    link = await AudioSocketLink.open(pbx, call_uuid, host, port) if spying else None
    try:
        if link is not None:
            end = await link.stream(_voice(pbx, spied), spied.ended, one.interrupt, two.interrupt)
    finally:
        if link is not None:
            await link.close()
    if spied.gone and end is not StreamEnd.SERVER and not one.interrupt.is_set():
        # ChanSpy's `E`: the spied channel hung up; ;2 goes on to Hangup(), chan_local hangs up ;1.
        pbx.emit("ChanSpyStop", "call,all", two.block("Spyer"), spied.block("Spyee"))
        if after is not None:
            pbx.newexten(two, 2, after.app, pbx.expand(two, after.data))
        pbx.chan_event("SoftHangupRequest", two, [("Cause", "16")])
        pbx.hangup(two, 16)
        pbx.chan_event("HangupRequest", one, [("Cause", "16")])
        pbx.hangup(one, 16)
        return
    # AudioSocket ended on ;1 (server hung up, could not connect, ;1 hung up): ;1 goes, then ;2.
    pbx.hangup(one, one.hangup_cause or 16)
    pbx.chan_event("HangupRequest", two, [("Cause", "16")])
    if spying:
        stop_spyee = [] if spied.gone else spied.block("Spyee")
        pbx.emit("ChanSpyStop", "call,all", two.block("Spyer"), stop_spyee)
    pbx.hangup(two, 16)


def _voice(pbx: SimPbx, spied: Channel) -> Iterator[bytes]:
    """The spied channel's own audio: its conversation recording, looped with a pause."""
    return looped_frames(pbx.speech_pcm(spied), pbx.config.speech_gap)
