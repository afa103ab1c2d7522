"""`ThirdParties`: the seats' three-way calls (三方通话) as the tracker needs to see them.

The seat console Originates `Local/c-<id>@hotline-conference` (`core.dialplan.CONFERENCE`,
ChannelId `c-<id>`: ;1's Uniqueid and the pair's Linkedid, ;2's Uniqueid is `c-<id>;2`) with
ChanSpy(<the seat's leg>,qBE) on ;1 (seats/workspace.py). ;2 Goto's ${HOTLINE_THIRD} and Dials
the third party (a seat's endpoint, or an outside number by the trunk); once it answers, ;1 barges
into the seat's leg. Recorded on a real Asterisk 22.10.1
(tests/data/asterisk-traces/three_way_barge.ami.jsonl):

* `DialBegin` of ;2 (its `Exten`: the extension dialled) names the third party's channel;
* `ChanSpyStart` (`SpyerChannel` ;1, `SpyeeUniqueid` / `SpyeeLinkedid`: the seat's leg and the
  call) is when the third party is in the call;
* `ChanSpyStop` is when it is out again: the third party hung up (;2 ends), the seat dropped it
  (AMI Hangup of the ChannelId), or the seat's leg is gone (ChanSpy `E`); then ;1 and ;2 hang up.
* ;2's `MixMonitorStart` (its `MIXMONITOR_FILENAME` set just before) is the conference's own
  recording (录音), made while ;2 is bridged to the third party: it becomes a segment of the call
  the third party joins, from its join to its leave.

None of these channels share the caller's Linkedid: the pair is its own "call" to the tracker,
which it never reports. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core import dialplan
from core.call_events import LegKind
from core.ids import SeatId
from pbx.ami_event import AmiEvent


@dataclass(slots=True)
class ThirdParty:
    """One conference Local pair, `key` its ChannelId (`c-<id>`)."""

    key: str
    exten: str = ""  # what ;2 dialled: a seat's extension or an outside number
    dest_uid: str = ""
    dest_channel: str = ""
    call_id: str = ""  # the call it barged into, once it has
    spied_uid: str = ""  # the seat's leg it barged into
    joined_at: datetime | None = None
    left: bool = False
    # Once joined: who it is (a seat id or the number), and the seat that invited it.
    party: str = ""
    party_kind: LegKind = LegKind.EXTERNAL
    seat_id: SeatId | None = None
    # ;2's recording: its Uniqueid, file and channel ("" until its MixMonitorStart).
    recording_uid: str = ""
    recording_path: str = ""
    recording_channel: str = ""


def conference_key(channel: str) -> str:
    """`Local/c-7f@hotline-conference-00000000;1` -> `c-7f`; "" for any other channel."""
    if not channel.startswith("Local/"):
        return ""
    exten, at, rest = channel.removeprefix("Local/").partition("@")
    if not at or not exten.startswith(dialplan.CONFERENCE_PREFIX):
        return ""
    context = rest.rsplit(";", 1)[0].rsplit("-", 1)[0]
    return exten if context == dialplan.CONFERENCE else ""


class ThirdParties:
    def __init__(self) -> None:
        self._by_key: dict[str, ThirdParty] = {}

    def _of(self, channel: str) -> ThirdParty | None:
        key = conference_key(channel)
        if not key:
            return None
        return self._by_key.setdefault(key, ThirdParty(key))

    def dial_begin(self, e: AmiEvent) -> bool:
        """;2 dialled the third party: remember its channel. True if the dial was a conference's."""
        party = self._of(e.get("Channel"))
        if party is None:
            return False
        party.exten = e.get("Exten") or party.exten
        party.dest_uid, party.dest_channel = e.get("DestUniqueid"), e.get("DestChannel")
        return True

    def recording_started(self, e: AmiEvent, path: str) -> bool:
        """;2's `MixMonitorStart`, `path` its file: kept until the third party joins a call.
        True if the channel was a conference's (then no other call owns the recording)."""
        party = self._of(e.get("Channel"))
        if party is None:
            return False
        if path and e.get("Channel").endswith(";2"):
            party.recording_uid, party.recording_path = e.uniqueid, path
            party.recording_channel = e.get("Channel")
        return True

    def spy_start(self, e: AmiEvent) -> ThirdParty | None:
        """`ChanSpyStart` of a conference's ;1: the third party joined the call (once)."""
        party = self._of(e.get("SpyerChannel"))
        if party is None or party.joined_at is not None or party.left:
            return None
        party.call_id = e.get("SpyeeLinkedid")
        party.spied_uid = e.get("SpyeeUniqueid")
        party.joined_at = e.at
        return party

    def adopt(self, one: AmiEvent, snapshot: Sequence[AmiEvent], at: datetime) -> ThirdParty | None:
        """After a (re)login: the `CoreShowChannel` of a conference's ;1 running ChanSpy that we
        did not see join (the app started meanwhile) joins now, `at`; its ;2's extension and
        the channel it dialled are in the same `snapshot`. None for any other channel."""
        key = conference_key(one.get("Channel"))
        known = self._by_key.get(key)
        if not key or not one.get("Channel").endswith(";1") or one.get("Application") != "ChanSpy":
            return None
        if known is not None and known.joined_at is not None:
            return None
        spied_name = one.get("ApplicationData").split(",", 1)[0]
        spied = next((e for e in snapshot if e.get("Channel") == spied_name), None)
        if spied is None:
            return None
        party = self._by_key.setdefault(key, ThirdParty(key))
        for e in snapshot:
            if conference_key(e.get("Channel")) == key and e.get("Channel").endswith(";2"):
                party.exten = e.get("Exten")
            elif e.linkedid == one.linkedid and not e.get("Channel").startswith("Local/"):
                party.dest_uid, party.dest_channel = e.uniqueid, e.get("Channel")
        party.call_id, party.spied_uid, party.joined_at = spied.linkedid, spied.uniqueid, at
        return party

    def spy_stop(self, e: AmiEvent) -> ThirdParty | None:
        """`ChanSpyStop` of a conference's ;1: the third party that joined is out (once)."""
        key = conference_key(e.get("SpyerChannel"))
        return self._leave(self._by_key.get(key)) if key else None

    def hangup(self, e: AmiEvent) -> ThirdParty | None:
        """A conference's ;1 or the third party's own channel hung up: one that joined and has
        not left yet leaves now (a ChanSpyStop that never came). ;1 gone: the pair is forgotten."""
        key = conference_key(e.get("Channel"))
        if key and e.get("Channel").endswith(";1"):
            return self._leave(self._by_key.pop(key, None))
        party = next((p for p in self._by_key.values() if p.dest_uid and p.dest_uid == e.uniqueid), None)
        return self._leave(party)

    def of_call(self, call_id: str) -> list[ThirdParty]:
        """The third parties in the call now (joined, not left): they leave with it."""
        return [p for p in self._by_key.values() if p.call_id == call_id and not p.left]

    def leave(self, party: ThirdParty) -> ThirdParty | None:
        return self._leave(party)

    def conferences(self) -> list[str]:
        """The ChannelIds of the conference pairs known now."""
        return sorted(self._by_key)

    def forget(self, key: str) -> ThirdParty | None:
        return self._by_key.pop(key, None)

    @staticmethod
    def _leave(party: ThirdParty | None) -> ThirdParty | None:
        if party is None or party.joined_at is None or party.left:
            return None
        party.left = True
        return party
