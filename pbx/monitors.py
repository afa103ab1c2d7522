"""`Monitors`: the supervisors' monitors (班长监听 / 耳语 / 强插) as the tracker needs to see them.

The supervisor's console Originates `Local/m-<id>.<call>@hotline-monitor` (`core.dialplan.MONITOR`,
ChannelId the same: ;1's Uniqueid, ;2's `<ChannelId>;2`) with ChanSpy(<the seat's leg>,<options>)
on ;1 (seats/monitor.py). ;2 dials the supervisor's own phone; once it answers, ChanSpy runs on ;1,
as for a three-way call (pbx.conference, recorded in tests/data/asterisk-traces/three_way_barge):

* `ChanSpyStart` with `SpyerChannel` the monitor's ;1: the supervisor is in the call;
* after an AMI (re)login, a monitor's ;1 in the `CoreShowChannels` snapshot running ChanSpy is
  connected, and a connected one missing from it ended while we were away;
* `Hangup` of the monitor's ;1: it is over, whoever ended it (the supervisor put the phone down,
  the console hung it up, the seat's leg ended: ChanSpy `E`), or it never began (the phone did not
  answer within the Originate's timeout, or ;2's Dial gave up).

The call it spies on is the ChannelId's part after its first dot, so even a monitor that never
connected names its call.

接管 (take-over): ;2's `DialBegin` names the supervisor's phone channel (`DestChannel`,
`DestUniqueid`); the console's AMI `Bridge` of the caller's channel with that channel moves both
into a new bridge (the seat's leg, alone in the queue's bridge, is hung up; so is ;2, alone in
Dial's, and ;1's ChanSpy with it). `phone()` tells the tracker which monitor a channel entering a
bridge is the phone of. Pure: no I/O, no clock.
"""

from __future__ import annotations

from core import dialplan
from core.ids import CallId


def monitor_of(channel: str) -> tuple[str, CallId] | None:
    """`Local/m-7f.1733.5@hotline-monitor-00000000;1` -> (`m-7f.1733.5`, `1733.5`); None for any other
    channel."""
    if not channel.startswith("Local/"):
        return None
    exten, at, rest = channel.removeprefix("Local/").partition("@")
    if not at or not exten.startswith(dialplan.MONITOR_PREFIX) or "." not in exten:
        return None
    if rest.rsplit(";", 1)[0].rsplit("-", 1)[0] != dialplan.MONITOR:
        return None
    return exten, CallId(exten.split(".", 1)[1])


class Monitors:
    """The monitors whose ;1 is there: ringing the supervisor (`Newchannel` seen) or spying
    (`ChanSpyStart` seen), until their ;1 hangs up."""

    def __init__(self) -> None:
        self._ringing: set[str] = set()
        self._connected: set[str] = set()
        self._phones: dict[str, tuple[str, str]] = {}  # phone's Uniqueid -> (monitor key, channel)

    def seen(self, channel: str) -> None:
        """A `Newchannel`: a monitor's ;1 is born (its supervisor's phone is about to ring)."""
        found = monitor_of(channel)
        if found is not None and channel.endswith(";1") and found[0] not in self._connected:
            self._ringing.add(found[0])

    def dial_begin(self, channel: str, dest_uid: str, dest_channel: str) -> bool:
        """A DialBegin: True when it is a monitor's ;2 ringing the supervisor's phone (remembered:
        the channel a take-over bridges the caller with)."""
        found = monitor_of(channel)
        if found is None or not channel.endswith(";2"):
            return False
        if dest_uid:
            self.phone_of(found[0], dest_uid, dest_channel)
        return True

    def phone_of(self, key: str, uid: str, channel: str) -> None:
        """Channel `uid` (`channel`) is monitor `key`'s phone: from ;2's Dial, or from a snapshot."""
        self._phones[uid] = (key, channel)

    def phone(self, uid: str) -> tuple[str, CallId, str] | None:
        """(monitor key, its call, the phone's channel name) when `uid` is a monitor's phone."""
        found = self._phones.get(uid)
        if found is None:
            return None
        return found[0], CallId(found[0].split(".", 1)[1]), found[1]

    def keys(self) -> frozenset[str]:
        """The monitors still there: ringing, spying, or whose phone a take-over bridged."""
        return frozenset(self._ringing | self._connected | {key for key, _ in self._phones.values()})

    def phone_channel(self, key: str) -> str:
        """The phone channel monitor `key`'s ;2 dialled ("" when its DialBegin was not seen)."""
        return next((channel for k, channel in self._phones.values() if k == key), "")

    def phone_gone(self, uid: str) -> None:
        self._phones.pop(uid, None)

    def spy_start(self, spyer: str) -> tuple[str, CallId] | None:
        """A ChanSpyStart: the monitor whose ;1 is the spyer connected (once); None otherwise."""
        found = monitor_of(spyer)
        if found is None or not spyer.endswith(";1") or found[0] in self._connected:
            return None
        self._ringing.discard(found[0])
        self._connected.add(found[0])
        return found

    def hangup(self, channel: str) -> tuple[str, CallId, bool] | None:
        """A Hangup: the monitor whose ;1 it is ended; (key, call, whether it had connected)."""
        found = monitor_of(channel)
        if found is None or not channel.endswith(";1"):
            return None
        connected = found[0] in self._connected
        self._connected.discard(found[0])
        self._ringing.discard(found[0])
        return found[0], found[1], connected

    def adopt(self, channel: str, application: str) -> tuple[str, CallId] | None:
        """After a (re)login: a monitor's ;1 running ChanSpy in the snapshot is connected (once)."""
        if application != "ChanSpy":
            self.seen(channel)  # still ringing the supervisor's phone
            return None
        return self.spy_start(channel)

    def gone(self, present: set[str]) -> list[tuple[str, CallId, bool]]:
        """After a (re)login: the monitors whose ;1 (Uniqueid: their ChannelId) is not in the
        snapshot's `present` ended while we were away (key, call, whether it had connected);
        forgotten here."""
        self._phones = {uid: found for uid, found in self._phones.items() if uid in present}
        out = []
        for key in sorted((self._connected | self._ringing) - present):
            out.append((key, CallId(key.split(".", 1)[1]), key in self._connected))
            self._connected.discard(key)
            self._ringing.discard(key)
        return out
