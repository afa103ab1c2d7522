"""`Consultations`: the seats' attended transfers (咨询转接) as the tracker needs to see them.

AMI `Atxfer` on a seat's channel makes Asterisk (bridge_basic) put the caller on hold and dial
`Local/<target>@hotline-consult` (`core.dialplan.CONSULT`); the Local channel's `;2` half runs the
dialplan and Dial()s the target (a seat's phone, or an outside number by the trunk). Every one of
these channels shares the caller's Linkedid, so without this the tracker would take them for
parties of the call. Recorded on a real Asterisk 22.10.1 (tests/data/asterisk-traces/atxfer_*):

* completed (the seat leaves): `AttendedTransfer` with `TransferTargetChannel` the `;1` half,
  then Local channel optimisation swaps the dialled channel into the caller's bridge and both
  halves hang up: the caller's new party is the channel the `;2` half dialled;
* cancelled (`CancelAtxfer`, the target hangs up or never answers): no transfer event at all;
  the halves hang up and the seat is back with the caller.

Local channel optimisation may also come during the consultation, once both halves are bridged
(a race inside Asterisk): the target's channel then replaces `;1` in the seat's bridge, the
halves hang up, and `AttendedTransfer` names the target's own channel. So a consultation ends
without a transfer when its target's channel hangs up untransferred, or when `;1` hangs up
before any target answered, not merely when the Local halves go.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import dialplan
from pbx.ami_event import AmiEvent


@dataclass(slots=True)
class Consultation:
    """One consultation: the Local pair `key` (its name without `;1`/`;2`) dialled `exten`."""

    key: str
    exten: str
    context: str = dialplan.CONSULT
    linkedid: str = ""  # the call's
    dest_uid: str = ""
    dest_channel: str = ""
    dial_status: str = ""
    completed: bool = False
    one_gone: bool = False  # the `;1` half hung up (optimised away, the target answered)


def local_pair(channel: str) -> str:
    """`Local/1002@hotline-consult-00000000;1` -> `Local/1002@hotline-consult-00000000`."""
    return channel.rsplit(";", 1)[0] if channel.startswith("Local/") else ""


class Consultations:
    def __init__(self) -> None:
        self._by_pair: dict[str, Consultation] = {}
        self._dests: set[str] = set()  # Uniqueids a consultation dialled, until completed or gone
        # Pairs whose consultation ended with its target's hang-up while `;1` was still up: that
        # `;1`'s Hangup comes after (in either order, seen on Asterisk 22.10.1) and is no news.
        self._over: set[str] = set()

    @staticmethod
    def pair_of(e: AmiEvent) -> str:
        """The Local pair of a consultation's own channel (either half), or ""."""
        if e.get("Context") != dialplan.CONSULT:
            return ""
        return local_pair(e.get("Channel"))

    def is_consult_channel(self, e: AmiEvent) -> bool:
        """A channel that only talks to the seat: a Local half, or what it dialled (not yet the caller's)."""
        return bool(self.pair_of(e)) or e.uniqueid in self._dests

    def dial_begin(self, e: AmiEvent) -> bool:
        """The `;2` half dialled the target: remember the target's channel. True if it was ours."""
        pair = self.pair_of(e)
        if not pair:
            return False
        c = self._by_pair.setdefault(pair, Consultation(pair, e.get("Exten"), e.get("Context"), e.linkedid))
        c.dest_uid, c.dest_channel = e.get("DestUniqueid"), e.get("DestChannel")
        self._dests.add(c.dest_uid)
        return True

    def dial_end(self, e: AmiEvent) -> bool:
        pair = self.pair_of(e)
        if not pair:
            return False
        c = self._by_pair.get(pair)
        if c is not None:
            c.dial_status = e.get("DialStatus").strip().upper()
        return True

    def complete(self, e: AmiEvent) -> Consultation:
        """`AttendedTransfer`: its target is a consultation's Local `;1`, or the channel it dialled
        (optimised into the seat's bridge already), or not named at all (Asterisk 22 leaves the
        TransferTarget* headers out when the target's snapshot is gone: then the call's answered
        consultation). That consultation is done and its dialled channel is the caller's party
        now. Any other transfer (a phone's own) is returned as it is, without a dialled channel."""
        target_channel, target_uid = e.get("TransferTargetChannel"), e.get("TransferTargetUniqueid")
        pair = local_pair(target_channel)
        open_ = [x for x in self._by_pair.values() if not x.completed]
        c = self._by_pair.get(pair) if pair else None
        if c is None and target_uid:
            c = next((x for x in open_ if x.dest_uid == target_uid), None)
        if c is None and not target_channel:
            linkedid = e.get("SecondTransfererLinkedid") or e.get("OrigTransfererLinkedid")
            c = next((x for x in open_ if x.linkedid == linkedid and x.dial_status == "ANSWER"), None)
        if c is None:
            return Consultation(pair, e.get("TransferTargetExten"), completed=True)
        c.completed = True
        if c.one_gone:
            del self._by_pair[c.key]  # otherwise forgotten when `;1` hangs up
        self._dests.discard(c.dest_uid)
        return c

    def hangup(self, e: AmiEvent) -> Consultation | None:
        """A channel hung up. Returns the consultation that ended without a transfer: its dialled
        channel hung up untransferred (cancelled, or the target hung up), or its `;1` half did
        while no target had answered (the Dial failed, or the seat cancelled while it rang)."""
        if e.uniqueid in self._dests:
            self._dests.discard(e.uniqueid)
            c = next(
                (x for x in self._by_pair.values() if x.dest_uid == e.uniqueid and not x.completed), None
            )
            if c is not None:
                del self._by_pair[c.key]
                if not c.one_gone:
                    self._over.add(c.key)
            return c
        pair = self.pair_of(e)
        if not pair or not e.get("Channel").endswith(";1"):
            return None
        if pair in self._over:
            self._over.discard(pair)
            return None  # told when its target hung up
        c = self._by_pair.get(pair)
        if c is None:
            return Consultation(pair, e.get("Exten"), e.get("Context"))  # it never dialled anyone
        if c.completed:
            del self._by_pair[pair]
            return None
        if c.dial_status == "ANSWER":
            c.one_gone = True  # the target's channel stays (optimised into the seat's bridge) or follows
            return None
        del self._by_pair[pair]
        self._dests.discard(c.dest_uid)
        return c
