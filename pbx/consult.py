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
    dest_uid: str = ""
    dest_channel: str = ""
    dial_status: str = ""
    completed: bool = False


def local_pair(channel: str) -> str:
    """`Local/1002@hotline-consult-00000000;1` -> `Local/1002@hotline-consult-00000000`."""
    return channel.rsplit(";", 1)[0] if channel.startswith("Local/") else ""


class Consultations:
    def __init__(self) -> None:
        self._by_pair: dict[str, Consultation] = {}
        self._dests: set[str] = set()  # Uniqueids a consultation dialled, until completed or gone

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
        c = self._by_pair.setdefault(pair, Consultation(pair, e.get("Exten")))
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

    def complete(self, target_channel: str, exten: str) -> Consultation:
        """`AttendedTransfer` named a Local `;1` as the target: the consultation it belongs to
        (the dialled channel becomes the caller's party). A target that is no Local channel (a
        phone's own transfer) is returned as it is."""
        pair = local_pair(target_channel)
        c = self._by_pair.get(pair) if pair else None
        if c is None:
            return Consultation(pair, exten, completed=True)
        c.completed = True
        self._dests.discard(c.dest_uid)
        return c

    def hangup(self, e: AmiEvent) -> Consultation | None:
        """A channel hung up. Returns the consultation that ended without a transfer when it is
        the `;1` half of one that was never completed (cancelled, or the target never answered)."""
        self._dests.discard(e.uniqueid)
        pair = self.pair_of(e)
        if not pair or not e.get("Channel").endswith(";1"):
            return None
        c = self._by_pair.pop(pair, None) or Consultation(pair, e.get("Exten"))
        return None if c.completed else c
