"""The project's own dialplan on a real Asterisk 22.10.1: feed the recorded AMI sessions through
`CallTracker` the way the bridge does, and read what really happened from Asterisk's own files.

Folder: `shared/asterisk-traces/project-dialplan-22.10.1/` (its README has the table of calls).

Feeding. Every `project_ami_*.ami` file is one AMI session: login, a `CoreShowChannels` +
`QueueStatus` snapshot (list items carry the action's `ActionID` and no `Timestamp`), then live
events. Like `pbx.ami_bridge`, each session first calls `tracker.rebuild(...)` with its snapshot,
stamped with the login's `SuccessfulAuth` time, then applies every other event in wire order.
Run 2 is three consecutive sessions of ONE tracker (a TCP kill, then an outage).

Ground truth, never the project's own records:
* `Master.csv` (cdr_csv, `loguniqueid`): which channels a call had (`uniqueid` column = the call's
  Linkedid for the caller's or the callback seat's rows), its Dial attempts and their targets;
* `queue_log`: ENTERQUEUE / CONNECT / ABANDON per call;
* `asterisk_full.log`: `Channel X joined ... bridge` / `left` with milliseconds, so each seat's
  (or citizen's) own talk time is `left - joined`: the CDR's billsec cannot give it after a
  transfer (its Dial row counts the new seat's ringing, the queue row runs to the caller's hangup).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.events import DomainEvent
from pbx.ami_event import AmiEvent, parse_trace
from pbx.tracker import CallTracker

FOLDER = (
    Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-traces" / "project-dialplan-22.10.1"
)

RUNS: dict[str, tuple[str, ...]] = {
    "run1": ("project_ami_run1.ami",),
    "run2": (
        "project_ami_run2_session1.ami",
        "project_ami_run2_session2_after_ssK.ami",
        "project_ami_run2_session3_after_outage.ami",
    ),
    "run3": ("project_ami_run3_business_hours.ami",),
}

_SNAPSHOT_ITEMS = {
    "CoreShowChannel",
    "CoreShowChannelsComplete",
    "QueueParams",
    "QueueMember",
    "QueueEntry",
    "QueueStatusComplete",
}


@dataclass(frozen=True, slots=True)
class Session:
    name: str
    login_at: datetime
    channels: list[AmiEvent]
    queue_status: list[AmiEvent]
    live: list[AmiEvent]

    @property
    def last_at(self) -> datetime:
        return max(e.at for e in self.live)


def read_session(name: str) -> Session:
    snapshot: list[AmiEvent] = []
    live: list[AmiEvent] = []
    login_at: datetime | None = None
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for kind, headers in parse_trace((FOLDER / name).read_bytes()):
        if kind != "event":
            continue
        event = AmiEvent.from_headers(headers, received_at=last)
        last = event.at
        if login_at is None and event.name == "SuccessfulAuth":
            login_at = event.at
        if event.name in _SNAPSHOT_ITEMS and "ActionID" in headers:
            snapshot.append(event)
        else:
            live.append(event)
    assert login_at is not None, f"{name}: no SuccessfulAuth"
    # The list items carry no Timestamp: stamp them with the login time, as the bridge would.
    snapshot = [AmiEvent(e.name, e.uniqueid, e.linkedid, login_at, e.headers) for e in snapshot]
    return Session(
        name=name,
        login_at=login_at,
        channels=[e for e in snapshot if e.name == "CoreShowChannel"],
        queue_status=[e for e in snapshot if e.name in ("QueueParams", "QueueMember", "QueueEntry")],
        live=live,
    )


def feed(tracker: CallTracker, sessions: Iterable[Session]) -> list[DomainEvent]:
    out: list[DomainEvent] = []
    for session in sessions:
        out += tracker.rebuild(session.channels, session.queue_status, session.login_at)
        for event in session.live:
            out += tracker.apply(event)
    return out


def run_events(run: str, tracker: CallTracker | None = None) -> list[DomainEvent]:
    return feed(tracker or CallTracker(), [read_session(n) for n in RUNS[run]])


def all_events() -> list[DomainEvent]:
    out: list[DomainEvent] = []
    for run in RUNS:
        out += run_events(run)
    return out


# --- ground truth ------------------------------------------------------------------------------


def readme_linkedids() -> list[str]:
    """The Linkedid column of the README's table of calls."""
    text = (FOLDER / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^\| (\d{10}\.\d+) \|", text, flags=re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CdrRow:
    dcontext: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    disposition: str
    billsec: int
    uniqueid: str


def cdr_rows() -> list[CdrRow]:
    rows: list[CdrRow] = []
    with (FOLDER / "Master.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.reader(f):
            rows.append(
                CdrRow(
                    dcontext=r[3],
                    channel=r[5],
                    dstchannel=r[6],
                    lastapp=r[7],
                    lastdata=r[8],
                    disposition=r[14],
                    billsec=int(r[13]),
                    uniqueid=r[16],
                )
            )
    return rows


def queue_log() -> list[list[str]]:
    return [line.split("|") for line in (FOLDER / "queue_log").read_text().splitlines() if line]


def seat_interfaces() -> set[str]:
    """`PJSIP/1001`...: every interface app_queue ever added as a member."""
    return {r[3] for r in queue_log() if r[4] == "ADDMEMBER"}


_BRIDGE = re.compile(r"^\[([\d-]+ [\d:.]+)\] .*bridge_channel\.c: Channel (\S+) (joined|left) ")


def bridge_times() -> dict[str, list[tuple[datetime, datetime | None]]]:
    """Per channel name, each (joined, left) interval of the full log (UTC, as the CDR's usegmtime)."""
    out: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for line in (FOLDER / "asterisk_full.log").read_text(encoding="utf-8", errors="replace").splitlines():
        m = _BRIDGE.match(line)
        if not m:
            continue
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
        spans = out.setdefault(m.group(2), [])
        if m.group(3) == "joined":
            spans.append((at, None))
        elif spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], at)
    return out


def _interface(channel: str) -> str:
    return re.sub(r"-[0-9a-f]{8}(;[12])?$", "", channel)


@dataclass(slots=True)
class TrueLeg:
    party: str  # the seat id, or the citizen's number
    channel: str
    talk: float | None  # seconds bridged; None: never bridged
    left_at: datetime | None


@dataclass(slots=True)
class TrueCall:
    linkedid: str
    outcome: str  # answered | abandoned | ivr_only | callback
    seat_legs: list[TrueLeg] = field(default_factory=list)
    transfers: list[tuple[str, str]] = field(default_factory=list)  # (kind, ok|failed)
    customer_answered: bool | None = None  # callbacks only


def truth(linkedid: str) -> TrueCall:
    seats = seat_interfaces()
    rows = [r for r in cdr_rows() if r.uniqueid == linkedid]
    qlog = [r for r in queue_log() if r[1] == linkedid]
    spans = bridge_times()

    def leg(channel: str) -> TrueLeg:
        iv = spans.get(channel, [])
        talk = sum((b - a).total_seconds() for a, b in iv if b is not None) if iv else None
        return TrueLeg(_interface(channel).split("/", 1)[1], channel, talk, iv[-1][1] if iv else None)

    callback = any(_interface(r.channel) in seats for r in rows)
    if callback:
        dial = next(r for r in rows if r.lastapp == "Dial")
        return TrueCall(
            linkedid,
            "callback",
            seat_legs=[leg(rows[0].channel)],
            customer_answered=dial.disposition == "ANSWERED" and bool(dial.dstchannel),
        )
    call = TrueCall(linkedid, "ivr_only")
    events = [r[4] for r in qlog]
    if "CONNECT" in events:
        call.outcome = "answered"
    elif "ABANDON" in events:
        call.outcome = "abandoned"
    seen: list[str] = []
    for r in rows:
        if r.dstchannel and _interface(r.dstchannel) in seats and r.dstchannel not in seen:
            seen.append(r.dstchannel)
    # A seat that rang but never answered was never bridged: not a leg of the conversation.
    call.seat_legs = [lg for lg in (leg(c) for c in seen) if lg.talk is not None]
    call.transfers = [("queue", "ok")] * max(events.count("ENTERQUEUE") - 1, 0)
    for r in rows:
        if r.lastapp != "Dial":
            continue
        target = r.lastdata.split(",", 1)[0]
        kind = "seat" if target in seats else "external"
        call.transfers.append((kind, "ok" if r.dstchannel else "failed"))
    return call
